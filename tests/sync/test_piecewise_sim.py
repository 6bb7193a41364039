"""`tracesync sync --method piecewise` on generated scenarios whose clocks are known.

Scenarios with drift changes, steps and oscillation: the presets long-idle (wander,
slews, sparse exchanges), ptp-kvm-stress (a guest that oscillates: drifts away and
snaps back), ntp-lan (wander, a slew), and ours in tests/sync/scenarios/ (drift-steps:
slews and forward steps of a guest and a peer; sawtooth: an oscillating guest, a
ptp_kvm guest, a wandering peer; sparse-drift: one exchange a minute for six hours),
each shortened or scaled down to keep the traces small.  For each:

- the map's error against the true clocks (truth.json) stays within the bounds it
  reports (--bounds) at every row of the bounds file and at every knot of the true
  clocks;
- no match found with the formulas installed has a negative latency once corrected,
  on the tree or off it; nor has any of the scenario's true matches (truth-matches.csv),
  including those the matcher does not pair (a clock step's, on drift-steps: the
  latency check allows for the formulas' bounds in the passes after the first);
- the map's largest error is below the single line's, or (when matches with hosts off
  its path moved it) within its bound;
- no outlier is left out (the data are clean);
- with guests: the VM analysis with these formulas finds no more bad events than with
  the true clocks plus those the bounds explain.

And on a linear scenario: one segment per pair and the hull method's very formulas.
"""
import json
import os
import re
import sys
import tempfile
import unittest

import harness

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pwcheck  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

SCENARIOS = {
    "long-idle": ["--preset", "long-idle", "--duration", "3h", "--scale", "0.1"],
    "ptp-kvm-stress": ["--preset", "ptp-kvm-stress", "--duration", "6s", "--scale", "0.03"],
    "ntp-lan": ["--preset", "ntp-lan", "--duration", "20s", "--scale", "0.2"],
    "drift-steps": [os.path.join(HERE, "scenarios", "drift-steps.scn")],
    "sawtooth": [os.path.join(HERE, "scenarios", "sawtooth.scn")],
    "sparse-drift": [os.path.join(HERE, "scenarios", "sparse-drift.scn")],
}
WITH_GUESTS = ("long-idle", "ptp-kvm-stress", "drift-steps", "sawtooth")


class PiecewiseScenarios(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.runs = {}
        for name, args in SCENARIOS.items():
            d = os.path.join(cls.tmp.name, name)
            out = os.path.join(d, "out")
            os.makedirs(d)
            harness.run(["simulate"] + args + ["-o", out, "-q"])
            f = os.path.join(d, "F.json")
            b = os.path.join(d, "bounds.csv")
            p = harness.run(["sync", "--method", "piecewise", "--no-latency", "-o", f,
                             "--bounds", b, out])
            cls.runs[name] = (out, f, b, p.stdout)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_error_within_bounds(self):
        for name, (out, f, b, _) in self.runs.items():
            with self.subTest(scenario=name):
                problems, stats = pwcheck.check_bounds(out, f, b)
                self.assertEqual(problems[:5], [], name)
                self.assertTrue(stats, name)  # some trace was checked

    def test_map_follows_the_clocks(self):
        # the largest error of the piecewise map is below that of the single line
        # wherever the single line fails -- unless matches with hosts off its path
        # moved the map (towards another host's map and its error): then within the
        # reported bound
        for name, (out, f, b, stdout) in self.runs.items():
            with open(f) as fh:
                doc = json.load(fh)
            off_path = set(re.findall(r"(?m)^  (\S+)\s+\d+ matches, \d+ receive before send",
                                      stdout))
            for tr in doc["traces"]:
                if tr["name"] == doc["reference"] or not tr.get("segments"):
                    continue
                with self.subTest(scenario=name, trace=tr["name"]):
                    pw = pwcheck.max_error(out, f, tr["name"], n=200)
                    lin = pwcheck.max_error(out, f, tr["name"], n=200, linear=True)
                    if tr["name"] in off_path and pw > lin:
                        self.assertLessEqual(pw, tr["error_bound_ns"], (name, tr["name"], pw))
                    else:
                        self.assertLessEqual(pw, lin, (name, tr["name"], pw, lin))

    def test_no_negative_latency(self):
        # the matches found with the formulas installed (the last matching pass): none
        # comes out receive-before-send, on the tree or off it
        for name, (out, f, b, stdout) in self.runs.items():
            with self.subTest(scenario=name):
                self.assertIn("receive before send after correction: none", stdout)

    def test_no_negative_latency_on_true_matches(self):
        # every message of the scenario (truth-matches.csv), mapped with the formulas
        for name, (out, f, b, stdout) in self.runs.items():
            with self.subTest(scenario=name):
                neg, total = pwcheck.true_match_negatives(out, f)
                self.assertGreater(total, 500)
                self.assertEqual(neg, 0, (name, neg, total))

    def test_no_outlier_in_clean_data(self):
        for name, (out, f, b, stdout) in self.runs.items():
            with self.subTest(scenario=name):
                self.assertNotIn("left out:", stdout)
                self.assertRegex(stdout, r"method: piecewise")

    def test_vm_bad_events_explained(self):
        for name in WITH_GUESTS:
            out, f, b, _ = self.runs[name]
            with self.subTest(scenario=name):
                with open(f) as fh:
                    ref = json.load(fh)["reference"]
                truth_f = f + ".truth.json"
                pwcheck.write_truth_formulas(out, truth_f, ref)
                res = {}
                for tag, ff in (("truth", truth_f), ("pw", f)):
                    j, c = f + "." + tag + ".vm.json", f + "." + tag + ".vm.csv"
                    harness.run(["vm", "--formulas", ff, "--json", j, "--csv", c, out])
                    with open(j) as fh:
                        res[tag] = json.load(fh)["total"]
                bad, explained = pwcheck.vm_explained(f + ".pw.vm.csv", b)
                self.assertEqual(bad, res["pw"]["bad"])
                self.assertGreater(res["pw"]["checked"], 1000)
                self.assertLessEqual(res["pw"]["bad"], res["truth"]["bad"] + explained,
                                     (name, res["truth"]["bad"], res["pw"]["bad"], explained))


LINEAR = """\
sim duration=3s start=2024-03-15T10:00:00Z seed=4
machine host0  role=host cpus=2 load=0.05
machine guest1 role=guest host=host0 vcpus=1 load=0.05
machine peer0  role=machine cpus=1 events=small load=0.05
clock host0  offset=3us drift=+1.2ppm
clock guest1 offset=-350us drift=+40ppm
clock peer0  offset=2ms drift=-25ppm
tcp guest1 host0 rate=200/s
tcp peer0 host0 rate=150/s
"""


class LinearScenario(unittest.TestCase):
    def test_one_segment_same_as_hull(self):
        with tempfile.TemporaryDirectory() as d:
            scn = os.path.join(d, "linear.scn")
            with open(scn, "w") as fh:
                fh.write(LINEAR)
            out = os.path.join(d, "out")
            harness.run(["simulate", scn, "-o", out, "-q"])
            docs = []
            for method in ("hull", "piecewise"):
                f = os.path.join(d, method + ".json")
                p = harness.run(["sync", "--method", method, "--no-latency", "-o", f, out])
                with open(f) as fh:
                    docs.append(json.load(fh))
                if method == "piecewise":
                    self.assertEqual(len(re.findall(r"piecewise accurate, 1 segment,", p.stdout)),
                                     2, p.stdout)
        hull, pw = docs
        self.assertEqual(hull["reference"], pw["reference"])
        for a, b in zip(hull["traces"], pw["traces"]):
            self.assertEqual((a["name"], a["slope"], a["offset_ns"]),
                             (b["name"], b["slope"], b["offset_ns"]))
            self.assertNotIn("segments", b)


class Arguments(unittest.TestCase):
    def test_bad_arguments(self):
        trace = os.path.join(harness.TRACES, "tc-synctraces")
        p = harness.run(["sync", "--method", "spline", trace], check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--method: expected hull or piecewise", p.stderr)
        p = harness.run(["sync", "--method", "piecewise", "--compat", "tracecompass", trace],
                        check=False)
        self.assertEqual(p.returncode, 2)
        p = harness.run(["sync", "--bounds", "/tmp/x.csv", trace], check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--bounds needs --method piecewise", p.stderr)
        p = harness.run(["sync", "--method", "piecewise", "--max-segments", "x", trace],
                        check=False)
        self.assertEqual(p.returncode, 2)

    def test_real_pair(self):
        # the scp pair: one segment, the hull method's formula, no negative latency
        trace = os.path.join(harness.TRACES, "tc-synctraces")
        with tempfile.TemporaryDirectory() as d:
            fh_, fp = os.path.join(d, "h.json"), os.path.join(d, "p.json")
            harness.run(["sync", "--no-latency", "-o", fh_, trace])
            p = harness.run(["sync", "--method", "piecewise", "--no-latency", "-o", fp, trace])
            self.assertIn("receive before send after correction: none", p.stdout)
            with open(fh_) as a, open(fp) as b:
                ha, pb = json.load(a), json.load(b)
            self.assertEqual([(t["slope"], t["offset_ns"]) for t in ha["traces"]],
                             [(t["slope"], t["offset_ns"]) for t in pb["traces"]])


if __name__ == "__main__":
    unittest.main()
