#!/usr/bin/python3
"""The hull method against the piecewise method on generated scenarios (the table in
docs/cli-sync.md).

    /usr/bin/python3 bench/sync_scenarios.py [--build build] [--full]

For each scenario: `tracesync simulate`, then `tracesync sync` with each method, and
per method: the worst quality of the non-reference traces, the largest error of the
formulas against the true clocks (truth.json, over the run), the largest bound
reported, the matches with a negative latency once corrected (as `tracesync latency
--formulas` matches them), and with guests the bad events of `tracesync vm` (and with
the true clocks' formulas).  --full: the presets at their full size (long-idle: two
days, 530 MB of traces) instead of the test suite's sizes.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "sync"))
import pwcheck  # noqa: E402

SCN = os.path.join(ROOT, "tests", "sync", "scenarios")
SMALL = [
    ("long-idle 3h x0.1", ["--preset", "long-idle", "--duration", "3h", "--scale", "0.1"], True),
    ("ptp-kvm-stress 6s x0.03", ["--preset", "ptp-kvm-stress", "--duration", "6s", "--scale", "0.03"], True),
    ("ntp-lan 20s x0.2", ["--preset", "ntp-lan", "--duration", "20s", "--scale", "0.2"], False),
    ("drift-steps", [os.path.join(SCN, "drift-steps.scn")], True),
    ("sawtooth", [os.path.join(SCN, "sawtooth.scn")], True),
    ("sparse-drift", [os.path.join(SCN, "sparse-drift.scn")], False),
]
FULL = [
    ("long-idle", ["--preset", "long-idle"], True),
    ("ptp-kvm-stress", ["--preset", "ptp-kvm-stress"], True),
    ("ntp-lan", ["--preset", "ntp-lan"], False),
]
RANK = {"accurate": 0, "approximate": 1, "incomplete": 2, "absent": 3, "fail": 4}


def run(bin_, args):
    p = subprocess.run([bin_] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode not in (0, 3):
        raise SystemExit("tracesync %s: %s" % (" ".join(args), p.stderr))
    return p.stdout


def fmt_ns(v):
    if v is None:
        return "unbounded"
    for unit, div in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if abs(v) >= div:
            return "%.3g %s" % (v / div, unit)
    return "%d ns" % v


def typical_bound(path):
    """The median over own time of the larger of the two bounds (traces pooled; each
    stretch between two rows weighs its length, at the larger of its ends)."""
    import csv
    rows = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            lo, hi = int(r["below_ns"]), int(r["above_ns"])
            rows.setdefault(r["trace"], []).append(
                (int(r["own_ns"]), -1 if min(lo, hi) < 0 else max(lo, hi)))
    spans = []
    for rs in rows.values():
        for (t1, b1), (t2, b2) in zip(rs, rs[1:]):
            if t2 > t1:
                b = -1 if min(b1, b2) < 0 else max(b1, b2)
                spans.append((float("inf") if b < 0 else b, t2 - t1))
    if not spans:
        return None
    spans.sort()
    half, acc = sum(w for _, w in spans) / 2, 0
    for b, w in spans:
        acc += w
        if acc >= half:
            return None if b == float("inf") else int(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--full", action="store_true")
    a = ap.parse_args()
    bin_ = os.path.join(ROOT, a.build, "tracesync")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, args, guests in (FULL if a.full else SMALL):
            out = os.path.join(tmp, "out%d" % len(rows))
            run(bin_, ["simulate"] + args + ["-o", out, "-q", "--force"])
            res = {}
            for method in ("hull", "piecewise"):
                f = os.path.join(tmp, method + ".json")
                bcsv = os.path.join(tmp, method + ".bounds.csv")
                run(bin_, ["sync", "--method", method, "--no-latency", "-o", f, out] +
                    (["--bounds", bcsv] if method == "piecewise" else []))
                with open(f) as fh:
                    doc = json.load(fh)
                traces = [t for t in doc["traces"] if t["name"] != doc["reference"]]
                q = max((t.get("quality", "absent") for t in traces), key=lambda x: RANK.get(x, 9))
                err = max(pwcheck.max_error(out, f, t["name"], n=300) for t in traces)
                bounds = [t.get("error_bound_ns") for t in traces]
                bound = None if None in bounds else max(bounds)
                segs = sum(len(t.get("segments") or [1]) for t in traces)
                j = os.path.join(tmp, method + ".lat.json")
                run(bin_, ["latency", "-q", "--formulas", f, "--json", j, out])
                with open(j) as fh:
                    lat = json.load(fh)["total"]
                vm = None
                if guests:
                    jv = os.path.join(tmp, method + ".vm.json")
                    cv = os.path.join(tmp, method + ".vm.csv")
                    run(bin_, ["vm", "--formulas", f, "--json", jv, "--csv", cv, out])
                    with open(jv) as fh:
                        vm = (json.load(fh)["total"]["bad"], None)
                    if method == "piecewise":
                        vm = (vm[0], pwcheck.vm_explained(cv, bcsv)[1])
                typical = typical_bound(bcsv) if method == "piecewise" else None
                tneg, ttot = pwcheck.true_match_negatives(out, f)
                res[method] = (q, err, bound, lat["negative"], lat["count"], vm, segs, tneg, ttot,
                               typical)
            truth_bad = None
            tf = os.path.join(tmp, "truth.json")
            pwcheck.write_truth_formulas(out, tf, doc["reference"])
            j = os.path.join(tmp, "truth.lat.json")
            run(bin_, ["latency", "-q", "--formulas", tf, "--json", j, out])
            with open(j) as fh:
                truth_neg = json.load(fh)["total"]["negative"]
            if guests:
                jv = os.path.join(tmp, "truth.vm.json")
                run(bin_, ["vm", "--formulas", tf, "--json", jv, out])
                with open(jv) as fh:
                    truth_bad = json.load(fh)["total"]["bad"]
            rows.append((name, res, truth_bad, truth_neg))
            print(name, res, truth_bad, truth_neg, file=sys.stderr)
    print("| scenario | method | quality | segments | max error | largest bound (median) | "
          "negative latencies: true matches | `latency --formulas` (true clocks) | "
          "bad VM events (within bounds) [true clocks] |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, res, truth_bad, truth_neg in rows:
        for method in ("hull", "piecewise"):
            q, err, bound, neg, cnt, vm, segs, tneg, ttot, typical = res[method]
            vmtxt = "-" if vm is None else "%d%s [%d]" % (
                vm[0], "" if vm[1] is None else " (%d)" % vm[1], truth_bad)
            btxt = fmt_ns(bound) + ("" if typical is None else " (%s)" % fmt_ns(typical))
            print("| %s | %s | %s | %d | %s | %s | %d of %d | %d of %d (%d) | %s |" % (
                name if method == "hull" else "", method, q, segs, fmt_ns(err), btxt,
                tneg, ttot, neg, cnt, truth_neg, vmtxt))


if __name__ == "__main__":
    main()
