"""`tracesync sync` and `tracesync offset` on the real scp pair (tc-synctraces).

The matches come from `tracesync latency --csv` (checked against babeltrace2 by
tests/match).  Two independent implementations written here check the formulas:
- the default mode's bounds from their definition, by brute force over every pair
  of matches with exact fractions: the steepest line is the smallest slope from
  an O->R point to an R->O point on its right, the flattest the largest slope
  from an R->O point to an O->R point on its right;
- the Trace Compass compatible mode, step by step from the anchor notes (section
  4.2/4.3: pivot walk, Java long cross products, DECIMAL128) with Python's decimal.
"""
import csv
import json
import os
import re
import tempfile
import unittest
from decimal import Context, Decimal, ROUND_HALF_EVEN
from fractions import Fraction

import harness

SCP = os.path.join(harness.TRACES, "tc-synctraces")
C34 = Context(prec=34, rounding=ROUND_HALF_EVEN)
C40 = Context(prec=40, rounding=ROUND_HALF_EVEN)
EXACT = Context(prec=1000)


def round40(fr):
    return C40.divide(Decimal(fr.numerator), Decimal(fr.denominator))


def wrap64(v):
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >= 1 << 63 else v


class TcPair:
    """Trace Compass's SyncAlgorithmFullyIncremental for one pair (anchor 4.2, 4.3)."""

    def __init__(self):
        self.U, self.L = [], []
        self.lmax, self.lmin = [None, None], [None, None]  # [pivot, last]
        self.quality = "absent"
        self.alpha, self.beta = Decimal(1), Decimal(0)
        self.n = 0

    @staticmethod
    def cross(p, a, b):
        return wrap64((a[0] - p[0]) * (b[1] - p[1]) - (a[1] - p[1]) * (b[0] - p[0]))

    def adjust(self, line, hull, s):
        i = 0
        if line[0] is not None:
            i = next((k for k, q in enumerate(hull) if q[2] == line[0][2]), 0)
        m = None
        while i < len(hull) - 1:
            m, n = hull[i], hull[i + 1]
            if wrap64(s * self.cross(m, n, line[1])) > 0:
                if n[0] < line[1][0]:
                    i += 1
                    continue
                line[0] = None
                break
            line[0] = m
            break
        if line[0] is None:
            line[0] = m
        if line[0] is not None and line[0][0] > line[1][0]:
            line[0] = None

    @staticmethod
    def slope(line):
        if line[0] is None or line[0][0] == line[1][0]:
            return Decimal(1)
        return C34.divide(Decimal(line[1][1] - line[0][1]), Decimal(line[1][0] - line[0][0]))

    def recompute(self):
        lmax, lmin = self.lmax, self.lmin
        if lmax[0] is not None or lmin[0] is not None:
            if self.quality == "fail":
                return
            amax, amin = self.slope(lmax), self.slope(lmin)
            if lmax[0] is None or lmin[0] is None:
                q = "approximate"
            elif amax > amin:
                q = "accurate"
            else:
                q = "fail"
            if q != "fail":
                bmin = EXACT.subtract(Decimal(lmax[1][1]), C34.multiply(amax, Decimal(lmax[1][0])))
                bmax = EXACT.subtract(Decimal(lmin[1][1]), C34.multiply(amin, Decimal(lmin[1][0])))
                self.alpha = C34.divide(EXACT.add(amax, amin), Decimal(2))
                self.beta = C34.divide(EXACT.add(bmin, bmax), Decimal(2))
            self.quality = q
        elif (lmax[0] is None and lmin[1] is None) or (lmax[1] is None and lmin[0] is None):
            self.quality = "incomplete"

    def add(self, o_to_r, x, y):
        p = (x, y, self.n)
        self.n += 1
        if o_to_r:
            side, other, line, oline, s = self.U, self.L, self.lmin, self.lmax, 1
        else:
            side, other, line, oline, s = self.L, self.U, self.lmax, self.lmin, -1
        qual = line[0] is None or line[1] is None or wrap64(s * self.cross(p, line[0], line[1])) > 0
        if qual:
            while len(side) >= 2 and wrap64(s * self.cross(p, side[-2], side[-1])) > 0:
                side.pop()
            side.append(p)
            line[1] = p
        self.adjust(line, other, s)
        if oline[1] is not None and not (oline[0] is not None and
                                         any(q[2] == oline[0][2] for q in side)):
            self.adjust(oline, side, -s)
        if qual:
            self.recompute()


def pair_lines(text):
    """alpha, beta and slope bounds of the (single) pair from the sync output."""
    a = re.search(r"alpha (\S+)  beta (\S+)", text)
    b = re.search(r"slope bounds: max (\S+)  min (\S+)", text)
    return Decimal(a.group(1)), Decimal(a.group(2)), Decimal(b.group(1)), Decimal(b.group(2))


class ScpSync(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.f_default = os.path.join(d, "F.json")
        cls.f_compat = os.path.join(d, "C.json")
        harness.run(["latency", "-q", "--csv", os.path.join(d, "m.csv"), "--json",
                     os.path.join(d, "m.json"), SCP])
        with open(os.path.join(d, "m.csv"), newline="") as f:
            cls.matches = [(r["source"], r["destination"], int(r["send_raw_ns"]),
                            int(r["receive_raw_ns"])) for r in csv.DictReader(f)]
        with open(os.path.join(d, "m.json")) as f:
            cls.hosts = {t["name"]: t["host_id"] for t in json.load(f)["traces"]}
        cls.out_default = harness.run(["sync", "--no-latency", "-o", cls.f_default, SCP]).stdout
        cls.out_compat = harness.run(["sync", "--no-latency", "--compat", "tracecompass", "-o",
                                      cls.f_compat, SCP]).stdout
        with open(cls.f_default) as f:
            cls.doc_default = json.load(f)
        with open(cls.f_compat) as f:
            cls.doc_compat = json.load(f)
        names = sorted(cls.hosts, key=lambda n: cls.hosts[n])
        cls.R, cls.O = names[0], names[1]  # R: the host id that sorts first

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def points(self):
        """(o_to_r, x = R time, y = O time) in the order the matches are found."""
        pts = []
        for src, dst, send, recv in sorted(self.matches, key=lambda m: max(m[2], m[3])):
            if src == self.O:
                pts.append((True, recv, send))
            else:
                pts.append((False, send, recv))
        return pts

    def formula(self, doc, name):
        t = next(t for t in doc["traces"] if t["name"] == name)
        return Decimal(t["slope"]), Decimal(t["offset_ns"]), t

    def test_match_count(self):
        self.assertEqual(len(self.matches), 46)
        self.assertIn("matches: 46 ", self.out_default)

    def test_default_bounds_by_brute_force(self):
        pts = self.points()
        U = [(x, y) for o, x, y in pts if o]
        L = [(x, y) for o, x, y in pts if not o]
        amax, lmax = min((Fraction(l[1] - u[1], l[0] - u[0]), (u, l))
                         for u in U for l in L if u[0] < l[0])
        amin, lmin = max((Fraction(u[1] - l[1], u[0] - l[0]), (l, u))
                         for u in U for l in L if l[0] < u[0])
        self.assertLess(amin, amax)  # a consistent line exists
        alpha_s, beta_s, max_s, min_s = pair_lines(self.out_default)
        self.assertEqual(max_s, round40(amax))
        self.assertEqual(min_s, round40(amin))
        # bisector: alpha and beta the averages of the two lines'
        bmin = lmax[1][1] - amax * lmax[1][0]
        bmax = lmin[1][1] - amin * lmin[1][0]
        alpha, beta = (amax + amin) / 2, (bmin + bmax) / 2
        self.assertEqual(alpha_s, round40(alpha))
        self.assertEqual(beta_s, round40(beta))
        # the trace's formula maps O time to R time: T_R = (T_O - beta) / alpha
        slope, off, t = self.formula(self.doc_default, self.O)
        self.assertEqual(slope, round40(1 / alpha))
        self.assertEqual(off, round40(-beta / alpha))
        self.assertEqual(t["quality"], "accurate")
        self.assertEqual(t["host_id"], self.hosts[self.O])
        ref_slope, ref_off, r = self.formula(self.doc_default, self.R)
        self.assertEqual((ref_slope, ref_off, r["quality"]), (1, 0, "reference"))
        # every match lies on its side of the exact line
        for o, x, y in pts:
            if o:
                self.assertLessEqual(y, alpha * x + beta)
            else:
                self.assertGreaterEqual(y, alpha * x + beta)

    def test_compat_equals_step_by_step_model(self):
        tc = TcPair()
        for o, x, y in self.points():
            tc.add(o, x, y)
        alpha_s, beta_s, _, _ = pair_lines(self.out_compat)
        self.assertEqual(tc.quality, "accurate")
        self.assertEqual(alpha_s, tc.alpha)
        self.assertEqual(beta_s, tc.beta)
        slope, off, t = self.formula(self.doc_compat, self.O)
        self.assertEqual(slope, C34.divide(Decimal(1), tc.alpha))
        self.assertEqual(off, C34.divide(tc.beta.copy_negate(), tc.alpha))
        self.assertEqual(self.doc_compat["reference"], self.R)  # root: first host id
        self.assertIn("T_ref = %s * T + %s" % (t["slope"], t["offset_ns"]), self.out_compat)

    def test_no_negative_latency_after(self):
        for ff in (self.f_default, self.f_compat):
            j = os.path.join(self.tmp.name, "lat.json")
            harness.run(["latency", "-q", "--formulas", ff, "--json", j, SCP])
            with open(j) as f:
                doc = json.load(f)
            self.assertTrue(doc["corrected"])
            self.assertEqual(doc["total"]["count"], 46)
            self.assertEqual(doc["total"]["negative"], 0)
            self.assertEqual(doc["total"]["uncorrected"]["negative"], 24)
        self.assertIn("receive before send after correction: none", self.out_default)

    def test_latency_before_after_printed(self):
        out = harness.run(["sync", SCP]).stdout
        self.assertRegex(out, r"(?m)^total\s+46\s")
        self.assertIn("negative corr", out)

    def test_reference_option(self):
        p = harness.run(["sync", "--no-latency", "--reference", self.O, SCP])
        self.assertIn("reference: %s " % self.O, p.stdout)
        self.assertRegex(p.stdout, r"(?m)^%s\s+reference" % self.O)
        p = harness.run(["sync", "--reference", "nope", SCP], check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no trace named 'nope'", p.stderr)
        self.assertIn(self.R, p.stderr)

    def test_bad_arguments(self):
        for args in (["sync", "--compat", "lttv", SCP], ["sync"], ["offset", SCP],
                     ["offset", "--offset", "VM1=5", "--bogus", SCP]):
            p = harness.run(args, check=False)
            self.assertEqual(p.returncode, 2, args)
            self.assertTrue(p.stderr.strip(), args)

    def test_window_without_matches(self):
        # a window before any exchange: no match, identity, reported as unreached
        p = harness.run(["sync", "--no-latency", "--end", "+1ns", SCP])
        self.assertIn("matches: 0 ", p.stdout)
        self.assertIn("unreached", p.stdout)
        self.assertIn("(no path: identity)", p.stdout)

    def test_offset_file(self):
        p = harness.run(["offset", SCP, "--offset", "%s=-80.3ms" % self.O, "--offset",
                         "%s=250ns" % self.O])
        doc = json.loads(p.stdout)
        t = next(t for t in doc["traces"] if t["name"] == self.O)
        self.assertEqual(Decimal(t["slope"]), 1)
        self.assertEqual(Decimal(t["offset_ns"]), -80300000 + 250)
        self.assertEqual(t["host_id"], self.hosts[self.O])
        # composed onto the sync formulas: the slope is kept (Trace Compass drops it)
        out = os.path.join(self.tmp.name, "O.json")
        harness.run(["offset", SCP, "--formulas", self.f_default, "--offset",
                     "%s=1us" % self.O, "-o", out])
        with open(out) as f:
            comp = json.load(f)
        s0, o0, _ = self.formula(self.doc_default, self.O)
        s1, o1, t1 = self.formula(comp, self.O)
        self.assertEqual(s1, s0)
        self.assertEqual(o1, EXACT.add(o0, Decimal(1000)))
        self.assertEqual(t1["quality"], "accurate")
        self.assertEqual(t1["path_to_reference"], [self.O, self.R])
        self.assertEqual(t1["error_bound_ns"],
                         self.formula(self.doc_default, self.O)[2]["error_bound_ns"])
        self.assertEqual(comp["reference"], self.doc_default["reference"])
        # errors: an unknown trace, a bad duration
        p = harness.run(["offset", SCP, "--offset", "nope=1ms"], check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no trace named 'nope'", p.stderr)
        p = harness.run(["offset", SCP, "--offset", "%s=1 parsec" % self.O], check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("parsec", p.stderr)


if __name__ == "__main__":
    unittest.main()
