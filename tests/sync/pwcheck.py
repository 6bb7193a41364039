"""Checks of synchronization results against a generated scenario's ground truth.

Used by test_piecewise_sim.py (and by hand:
`python3 tests/sync/pwcheck.py OUT FORMULAS.json BOUNDS.csv`).

- truth.json: every machine's clock as integer knots (true_ns, clock_ns); between two
  knots clock = c0 + floor((t - t0) * (c1 - c0) / (t1 - t0)); equal true times are a
  forward step; slope 1 outside.
- FORMULAS.json: per trace T_ref = floor(slope * T + offset_ns), or per segment over
  [start_ns, end_ns) (the first and last extend beyond).
- bounds CSV (tracesync sync --bounds): trace,own_ns,ref_ns,below_ns,above_ns: the
  true reference time at own time own_ns lies in [ref_ns - below_ns, ref_ns + above_ns].
"""
import bisect
import csv
import json
import sys
from decimal import Decimal
from fractions import Fraction


def clock_at(knots, t):
    """The clock's value at true time t."""
    if t < knots[0][0]:
        return knots[0][1] + (t - knots[0][0])
    i = bisect.bisect_right([k[0] for k in knots], t) - 1
    if i >= len(knots) - 1:
        return knots[-1][1] + (t - knots[-1][0])
    (t0, c0), (t1, c1) = knots[i], knots[i + 1]
    return c0 + (t - t0) * (c1 - c0) // (t1 - t0)


def clock_before(knots, t):
    """The clock's value at true time t as the limit from the left (before a step at t)."""
    if t <= knots[0][0]:
        return knots[0][1] + (t - knots[0][0])
    i = bisect.bisect_left([k[0] for k in knots], t) - 1
    if i >= len(knots) - 1:
        return knots[-1][1] + (t - knots[-1][0])
    (t0, c0), (t1, c1) = knots[i], knots[i + 1]
    return c0 + (t - t0) * (c1 - c0) // (t1 - t0)


def true_time(knots, c):
    """The first true time at which the clock reads c or more."""
    if c < knots[0][1]:
        return knots[0][0] + (c - knots[0][1])
    for (t0, c0), (t1, c1) in zip(knots, knots[1:]):
        if c0 <= c < c1:
            if t1 == t0:  # inside a forward step: never read; the step's instant
                return t0
            # smallest t with c0 + floor((t - t0) * dc / dt) >= c
            return t0 + -((-(c - c0) * (t1 - t0)) // (c1 - c0))
    return knots[-1][0] + (c - knots[-1][1])


class Formulas:
    def __init__(self, path):
        with open(path) as f:
            self.doc = json.load(f)
        self.maps = {}
        for tr in self.doc["traces"]:
            segs = [(int(s["start_ns"]), Fraction(Decimal(s["slope"])),
                     Fraction(Decimal(s["offset_ns"]))) for s in tr.get("segments") or []]
            lin = (Fraction(Decimal(tr.get("slope", "1"))), Fraction(Decimal(tr.get("offset_ns", "0"))))
            self.maps[tr["name"]] = (segs, lin)
        self.starts = {}
        self.reference = self.doc["reference"]

    def map(self, name, t):
        segs, lin = self.maps.get(name, ([], (1, 0)))
        if segs:
            st = self.starts.get(name)
            if st is None or len(st) != len(segs):
                st = self.starts[name] = [s[0] for s in segs]
            i = max(0, bisect.bisect_right(st, t) - 1)
            slope, off = segs[i][1], segs[i][2]
        else:
            slope, off = lin
        v = slope * t + off
        return v.numerator // v.denominator

    def trace(self, name):
        return next(t for t in self.doc["traces"] if t["name"] == name)


def load_truth(out):
    with open(out + "/truth.json") as f:
        truth = json.load(f)
    return truth, {m["name"]: [tuple(k) for k in m["clock"]["knots"]] for m in truth["machines"]}


def errors_at(knots, ref_knots, formulas, name, own_times):
    """map(T) - the true reference time at own time T, for each T."""
    out = []
    for c in own_times:
        t = true_time(knots, c)
        out.append(formulas.map(name, c) - clock_at(ref_knots, t))
    return out


def check_bounds(out, formulas_path, bounds_path, slack=2):
    """Returns (problems, stats): the instants where the error leaves the bounds, at every
    row of the CSV and at every truth knot of the trace and of the reference (the bound
    there interpolated between the rows around: a lower value than the true bound, so
    a stricter check); stats: per trace the largest |error| and the largest bound."""
    truth, knots = load_truth(out)
    fm = Formulas(formulas_path)
    ref = fm.reference
    rows = {}
    with open(bounds_path, newline="") as f:
        for r in csv.DictReader(f):
            rows.setdefault(r["trace"], []).append(
                (int(r["own_ns"]), int(r["ref_ns"]), int(r["below_ns"]), int(r["above_ns"])))
    problems, stats = [], {}
    for name, rs in rows.items():
        kn, rk = knots[name], knots[ref]
        worst_err = worst_bound = 0
        own = [r[0] for r in rs]
        errs = errors_at(kn, rk, fm, name, own)
        for (t, mapped, lo, hi), e in zip(rs, errs):
            if mapped != fm.map(name, t):
                problems.append("%s at %d: the CSV's ref_ns %d is not the formula's %d"
                                % (name, t, mapped, fm.map(name, t)))
            worst_err = max(worst_err, abs(e))
            worst_bound = max(worst_bound, lo, hi)
            if lo >= 0 and e > lo + slack or hi >= 0 and -e > hi + slack:
                problems.append("%s at own %d: error %d ns, bounds -%d +%d" % (name, t, e, lo, hi))
        # the truth knots (own times of the trace's and the reference's knots), strictly
        # between rows: the bounds interpolated linearly between the rows around
        extra = set()
        for tk, ck in kn:
            extra.add(ck)
        for tk, ck in rk:
            extra.add(clock_at(kn, tk))
        # own times inside a forward step of the trace's clock are never read
        jumps = [(c0, c1) for (t0, c0), (t1, c1) in zip(kn, kn[1:]) if t0 == t1]
        extra = sorted(x for x in extra if own[0] < x < own[-1] and
                       not any(c0 <= x < c1 for c0, c1 in jumps))
        errs = errors_at(kn, rk, fm, name, extra)
        for c, e in zip(extra, errs):
            j = bisect.bisect_left(own, c)
            if own[j] == c:
                continue
            (t1, _, lo1, hi1), (t2, _, lo2, hi2) = rs[j - 1], rs[j]
            if min(lo1, lo2, hi1, hi2) < 0:
                continue
            lo = lo1 + (lo2 - lo1) * (c - t1) // (t2 - t1)
            hi = hi1 + (hi2 - hi1) * (c - t1) // (t2 - t1)
            worst_err = max(worst_err, abs(e))
            if e > lo + slack or -e > hi + slack:
                problems.append("%s at own %d (truth knot): error %d ns, bounds -%d +%d"
                                % (name, c, e, lo, hi))
        stats[name] = (worst_err, worst_bound)
    return problems, stats


def max_error(out, formulas_path, name, n=400, linear=False):
    """Largest |map - truth| of a trace over its run (n instants plus the truth knots);
    linear: with the trace's single line, ignoring its segments."""
    truth, knots = load_truth(out)
    fm = Formulas(formulas_path)
    if linear:
        segs, lin = fm.maps[name]
        fm.maps[name] = ([], lin)
    kn, rk = knots[name], knots[fm.reference]
    t0, t1 = truth["true_start_ns"], truth["true_end_ns"]
    jumps = [(c0, c1) for (a, c0), (b, c1) in zip(kn, kn[1:]) if a == b]
    own = sorted(c for c in {clock_at(kn, t0 + (t1 - t0) * i // n) for i in range(n + 1)} |
                 {c for t, c in kn if t0 <= t <= t1} |
                 {clock_at(kn, t) for t, c in rk if t0 <= t <= t1}
                 if not any(c0 <= c < c1 for c0, c1 in jumps))
    return max(abs(e) for e in errors_at(kn, rk, fm, name, own))


def true_match_negatives(out, formulas_path):
    """The scenario's true matches (truth-matches.csv: every message both sent and
    received) whose receive maps before their send: (negative, total)."""
    fm = Formulas(formulas_path)
    neg = total = 0
    with open(out + "/truth-matches.csv", newline="") as f:
        for r in csv.DictReader(f):
            total += 1
            if fm.map(r["dst"], int(r["recv_ns"])) < fm.map(r["src"], int(r["send_ns"])):
                neg += 1
    return neg, total


if __name__ == "__main__":
    probs, st = check_bounds(sys.argv[1], sys.argv[2], sys.argv[3])
    for name, (e, b) in sorted(st.items()):
        print("%s: largest |error| %d ns, largest bound %d ns" % (name, e, b))
    print("%d problems" % len(probs))
    for p in probs[:20]:
        print("  " + p)


def write_truth_formulas(out, path, reference):
    """FORMULAS.json mapping every machine's clock onto the reference's exactly as the
    truth has it: segments between the own times where either clock changes slope."""
    import decimal
    decimal.getcontext().prec = 60
    truth, knots = load_truth(out)
    t0, t1 = truth["true_start_ns"], truth["true_end_ns"]
    rk = knots[reference]
    traces = []
    for m in truth["machines"]:
        name, kn = m["name"], knots[m["name"]]
        # exact but for the decimals' rounding: known to within 2 ns (which lets the
        # matcher refuse impossible pairs, as with the formulas of `sync`)
        tr = {"name": name, "error_bound_ns": 2}
        if name != reference:
            # breakpoints in true time: both clocks' knots, within the run (plus its ends)
            ts = sorted({t0, t1} | {t for t, c in kn + rk if t0 <= t <= t1})
            segs = []
            for a, b in zip(ts, ts[1:]):
                if b <= a:
                    continue
                # the clocks just after a and just before b (a step at a: the value
                # after it; at b: the value before it)
                ca, cb = clock_at(kn, a), clock_before(kn, b)
                ra, rb = clock_at(rk, a), clock_before(rk, b)
                if cb <= ca:
                    continue
                slope = Fraction(rb - ra, cb - ca)
                off = ra - slope * ca
                segs.append({"start_ns": ca, "end_ns": cb,
                             "slope": str(Decimal(slope.numerator) / Decimal(slope.denominator)),
                             "offset_ns": str(Decimal(off.numerator) / Decimal(off.denominator))})
            # contiguous, sorted; the first and last extend beyond
            for s1, s2 in zip(segs, segs[1:]):
                s1["end_ns"] = s2["start_ns"]
            tr["segments"] = segs
        traces.append(tr)
    with open(path, "w") as f:
        json.dump({"reference": reference, "traces": traces}, f, indent=1)


def vm_explained(vm_csv, bounds_path, trace_of_guest=None):
    """Bad events of a `tracesync vm --csv` run, and how many of them lie within the
    bounds (|distance| <= the larger bound at their own time, the bounds interpolated
    between the rows around)."""
    rows = {}
    with open(bounds_path, newline="") as f:
        for r in csv.DictReader(f):
            rows.setdefault(r["trace"], []).append(
                (int(r["own_ns"]), max(int(r["below_ns"]), int(r["above_ns"]))
                 if min(int(r["below_ns"]), int(r["above_ns"])) >= 0 else -1))
    owns = {k: [x[0] for x in v] for k, v in rows.items()}
    bad = explained = 0
    with open(vm_csv, newline="") as f:
        for r in csv.DictReader(f):
            bad += 1
            rs = rows.get(r["trace"])
            if not rs:
                continue
            own = owns[r["trace"]]
            t = int(r["raw_ns"])
            j = bisect.bisect_left(own, t)
            near = [rs[i][1] for i in (j - 1, j) if 0 <= i < len(rs)]
            if any(b < 0 for b in near):
                explained += 1  # unbounded there
            elif near and abs(int(r["distance_ns"])) <= max(near) + 2:
                explained += 1
    return bad, explained
