"""`tracesync sync` on generated scenarios whose clocks are known (`tracesync simulate`).

- Linear clocks (offset + constant drift, no packet loss): the formulas' error against
  the true clocks (truth.json), over the whole run, is within the error bound the tool
  reports and below the smallest one-way delay of the trace's matches; after applying
  the formulas no match has a negative latency.
- ptp-kvm-stress (a guest whose clock oscillates away and back): the linear hull
  fails, and the tool says so: quality `fail` and where the bounds crossed.
"""
import csv
import json
import math
import os
import tempfile
import unittest
from decimal import Decimal
from fractions import Fraction

import harness

LINEAR = """\
sim duration=4s start=2024-03-15T10:00:00Z seed=7
machine host0  role=host cpus=4 load=0.1
machine guest1 role=guest host=host0 vcpus=2 pin=2,3 load=0.1
machine peer0  role=machine cpus=2 events=small load=0.05
clock host0  offset=3us drift=+1.2ppm
clock guest1 offset=-350us drift=+40ppm
clock peer0  offset=2ms drift=-25ppm
link host0 guest1 min=10us mean=60us tail=0.5%:200us
link guest1->host0 min=5us mean=35us tail=0.5%:150us
link guest1 peer0 min=40us mean=150us tail=1%:500us
tcp guest1 host0 rate=300/s req=200 resp=1400
tcp peer0 guest1 rate=150/s
ping host0 peer0 interval=200ms
"""


def clock_at(knots, t):
    """truth.json: piecewise linear between knots, floor; slope 1 outside."""
    if t <= knots[0][0]:
        return knots[0][1] + (t - knots[0][0])
    for (t0, c0), (t1, c1) in zip(knots, knots[1:]):
        if t <= t1:
            return c0 + (t - t0) * (c1 - c0) // (t1 - t0)
    return knots[-1][1] + (t - knots[-1][0])


class LinearScenario(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        scn = os.path.join(d, "linear.scn")
        with open(scn, "w") as f:
            f.write(LINEAR)
        cls.out = os.path.join(d, "out")
        harness.run(["simulate", scn, "-o", cls.out, "-q"])
        cls.formulas = os.path.join(d, "F.json")
        cls.stdout = harness.run(["sync", "--no-latency", "-o", cls.formulas, cls.out]).stdout
        with open(cls.formulas) as f:
            cls.doc = json.load(f)
        with open(os.path.join(cls.out, "truth.json")) as f:
            cls.truth = json.load(f)
        cls.min_delay = {}
        with open(os.path.join(cls.out, "truth-matches.csv"), newline="") as f:
            for r in csv.DictReader(f):
                for n in (r["src"], r["dst"]):
                    cls.min_delay[n] = min(cls.min_delay.get(n, 1 << 62), int(r["delay_ns"]))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_reference_is_the_vm_host(self):
        self.assertEqual(self.doc["reference"], "host0")

    def test_error_within_bounds_and_below_latency(self):
        knots = {m["name"]: m["clock"]["knots"] for m in self.truth["machines"]}
        for m in knots.values():
            self.assertEqual(len(m), 2, "the scenario's clocks must be linear")
        ref = self.doc["reference"]
        t0, t1 = self.truth["true_start_ns"], self.truth["true_end_ns"]
        self.assertEqual(len(self.doc["traces"]), 3)
        for tr in self.doc["traces"]:
            self.assertEqual(tr["quality"], "reference" if tr["name"] == ref else "accurate",
                             tr["name"])
            slope, off = Fraction(Decimal(tr["slope"])), Fraction(Decimal(tr["offset_ns"]))
            bound = tr["error_bound_ns"]
            worst = 0
            for i in range(201):
                t = t0 + (t1 - t0) * i // 200
                err = math.floor(slope * clock_at(knots[tr["name"]], t) + off) - clock_at(knots[ref], t)
                worst = max(worst, abs(err))
            # + 1 ns: the true clocks themselves are floored to whole ns
            self.assertLessEqual(worst, bound + 1, tr["name"])
            self.assertLess(worst, self.min_delay[tr["name"]], tr["name"])

    def test_no_negative_latency_after(self):
        j = os.path.join(self.tmp.name, "lat.json")
        harness.run(["latency", "-q", "--formulas", self.formulas, "--json", j, self.out])
        with open(j) as f:
            lat = json.load(f)
        self.assertGreater(lat["total"]["count"], 1000)
        self.assertGreater(lat["total"]["uncorrected"]["negative"], 0)
        self.assertEqual(lat["total"]["negative"], 0)
        self.assertIn("receive before send after correction: none", self.stdout)


class DriftingScenario(unittest.TestCase):
    def test_linear_hull_fails_clearly(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out")
            harness.run(["simulate", "--preset", "ptp-kvm-stress", "--duration", "5s", "--scale",
                         "0.05", "-o", out, "-q"])
            p = harness.run(["sync", "--no-latency", "-o", os.path.join(d, "F.json"), out])
            with open(os.path.join(d, "F.json")) as f:
                doc = json.load(f)
        q = {t["name"]: t["quality"] for t in doc["traces"]}
        self.assertEqual(q["host0"], "reference")
        self.assertEqual(q["guest1"], "accurate")  # follows the host: linear
        self.assertEqual(q["guest2"], "fail")      # oscillates away and back
        self.assertRegex(p.stdout, r"(?m)^guest2\s+fail\s")
        self.assertRegex(p.stdout, r"FAIL: no line fits every match: the bounds crossed at match "
                                   r"\d+ of this pair \(time \d+\.\d{9} on guest2\)")
        self.assertNotIn("error_bound_ns", next(t for t in doc["traces"] if t["name"] == "guest2"))


if __name__ == "__main__":
    unittest.main()
