"""`tracesync latency` on generated scenarios (`tracesync simulate`), whose truth is known:
every match must be a true pair (DIR/truth-matches.csv lists every TCP segment and vmsync
message sent and received), nearly every true pair between two machines must be found,
and once the true clocks are applied (--formulas built from DIR/truth.json) each
latency must equal the simulated one-way delay.  Several presets: KVM host and guests
with TCP and vmsync (default), NTP-disciplined machines with wandering clocks (ntp-lan),
a loaded host whose guest clock oscillates (ptp-kvm-stress), preempted vCPUs
(contended)."""
import csv
import json
import os
import re
import tempfile
import unittest
from decimal import Decimal, getcontext

import harness

getcontext().prec = 80


def inverse_formula(knots):
    """FORMULAS.json segments mapping a clock (ns) back to true time, from the truth's
    knots [(true_ns, clock_ns), ...] (clock linear between knots)."""
    segs = []
    for (t0, c0), (t1, c1) in zip(knots, knots[1:]):
        if c1 <= c0 or t1 <= t0:  # a clock step: no event has those clock values
            continue
        slope = Decimal(t1 - t0) / Decimal(c1 - c0)
        offset = Decimal(t0) - slope * Decimal(c0)
        segs.append({"start_ns": c0, "end_ns": c1, "slope": format(slope, "f"),
                     "offset_ns": format(offset, "f")})
    return segs


def parse_key(kind, text):
    if kind == "tcp":
        m = re.fullmatch(r"seq=(\d+) ack_seq=(\d+) flags=0x([0-9a-f]+)", text)
        return (int(m.group(1)), int(m.group(2)), int(m.group(3), 16))
    m = re.fullmatch(r"vm_uid=0x([0-9a-f]+) cnt=(\d+)", text)
    return (int(m.group(1), 16), int(m.group(2)), 0)


class GeneratedScenario(unittest.TestCase):
    PRESET, DURATION = "default", "600ms"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = os.path.join(cls.tmp.name, "scn")
        harness.run(["simulate", "-q", "--preset", cls.PRESET, "--duration", cls.DURATION,
                     "-o", cls.dir])
        with open(os.path.join(cls.dir, "truth.json")) as f:
            cls.truth = json.load(f)
        cls.true_pairs = {}
        with open(os.path.join(cls.dir, "truth-matches.csv"), newline="") as f:
            for r in csv.DictReader(f):
                key = (r["kind"], r["src"], r["dst"], int(r["send_ns"]), int(r["recv_ns"]),
                       (int(r["key1"]), int(r["key2"]), int(r["key3"])))
                cls.true_pairs[key] = int(r["delay_ns"])
        # trace names as tracesync gives them, from the machines' trace directories
        j = os.path.join(cls.tmp.name, "plain.json")
        c = os.path.join(cls.tmp.name, "plain.csv")
        harness.run(["latency", "-q", "--json", j, "--csv", c, cls.dir])
        with open(j) as f:
            cls.doc = json.load(f)
        with open(c, newline="") as f:
            cls.rows = list(csv.DictReader(f))
        machine_of_path = {os.path.normpath(os.path.join(cls.dir, m["trace"])): m["name"]
                           for m in cls.truth["machines"]}
        cls.machine = {t["name"]: machine_of_path[os.path.normpath(t["path"])]
                       for t in cls.doc["traces"]}
        # formulas: each trace's clock back to true time
        formulas = {"traces": []}
        for t in cls.doc["traces"]:
            m = next(x for x in cls.truth["machines"] if x["name"] == cls.machine[t["name"]])
            formulas["traces"].append({"name": t["name"],
                                       "segments": inverse_formula(m["clock"]["knots"])})
        cls.formulas = os.path.join(cls.tmp.name, "true-clocks.json")
        with open(cls.formulas, "w") as f:
            json.dump(formulas, f)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def key_of(self, r):
        return (r["kind"], self.machine[r["source"]], self.machine[r["destination"]],
                int(r["send_raw_ns"]), int(r["receive_raw_ns"]), parse_key(r["kind"], r["key"]))

    def test_every_match_is_a_true_pair(self):
        self.assertGreater(len(self.rows), 100)
        for r in self.rows:
            self.assertIn(self.key_of(r), self.true_pairs, r)

    KINDS = ("tcp", "vmsync")

    def test_nearly_every_true_pair_found(self):
        found = {self.key_of(r) for r in self.rows}
        for kind in self.KINDS:
            truth = [k for k in self.true_pairs if k[0] == kind]
            got = [k for k in found if k[0] == kind]
            self.assertGreater(len(truth), 0, kind)
            self.assertGreaterEqual(len(got), 0.95 * len(truth),
                                    "%s: %d of %d true pairs" % (kind, len(got), len(truth)))

    def test_true_clocks_give_true_delays(self):
        c = os.path.join(self.tmp.name, "true.csv")
        j = os.path.join(self.tmp.name, "true.json")
        harness.run(["latency", "-q", "--formulas", self.formulas, "--csv", c, "--json", j,
                     self.dir])
        with open(c, newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), len(self.rows))
        worst = 0
        for r in rows:
            delay = self.true_pairs[self.key_of(r)]
            # each true time is recovered within 1 ns (the clocks floor to whole ns)
            worst = max(worst, abs(int(r["latency_ns"]) - delay))
        self.assertLessEqual(worst, 2)
        with open(j) as f:
            doc = json.load(f)
        self.assertEqual(doc["total"]["negative"], 0)
        self.assertGreater(doc["total"]["min_ns"], 0)


class GeneratedNtpLan(GeneratedScenario):
    PRESET, DURATION, KINDS = "ntp-lan", "3s", ("tcp",)


class GeneratedKvmStress(GeneratedScenario):
    PRESET, DURATION = "ptp-kvm-stress", "1s"


class GeneratedContended(GeneratedScenario):
    PRESET, DURATION = "contended", "1s"


if __name__ == "__main__":
    unittest.main()
