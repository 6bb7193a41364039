"""`tracesync vm` on generated scenarios whose clocks and vCPU states are known.

For every scenario (the presets with guests, shortened, and scenarios of our own:
two hosts, an old host kernel whose kvm_x86_entry vcpu_id is an index, a newer one
where it is a pointer, a guest without vmsync events mapped with --guest):
- raw clocks: per guest and per vCPU, the events, the bad events and the unchecked
  events are exactly truth.json's events_total, events_outside_running_raw and
  events_unchecked_raw (truth.json's own counts are checked independently of
  tracesync, from babeltrace2, by tests/sim);
- the true clocks applied (a FORMULAS.json built here from truth.json's knots, one
  segment per knot interval, mapping every trace onto true time): no bad event;
- the model: each guest's host and QEMU pid, each vCPU's host thread, as truth.json
  has them.
"""
import json
import os
import tempfile
import unittest
from decimal import Decimal, getcontext
from fractions import Fraction

import harness

getcontext().prec = 80

TWO_HOSTS = """\
sim duration=600ms start=2024-03-15T10:00:00Z seed=5
machine hostA role=host cpus=3 load=0.2 kernel=5.4.0-150-generic
machine hostB role=host cpus=2 load=0.1
machine vm1 role=guest host=hostA vcpus=2 pin=1,2 load=0.4 entry_vcpu_id=index
machine vm2 role=guest host=hostB vcpus=3 pin=0,1 load=0.3 vmsync=false entry_vcpu_id=pointer
clock hostA offset=0 drift=+2ppm
clock hostB offset=300us drift=-3ppm
clock vm1 offset=-20us drift=+5ppm
clock vm2 offset=15us drift=+1ppm wander=10us/200ms
tcp vm1 hostA rate=200/s
tcp vm2 hostB rate=200/s
tcp hostA hostB rate=100/s
"""


def dec(fr, places):
    q = Decimal(fr.numerator) / Decimal(fr.denominator)
    return format(q.quantize(Decimal(1).scaleb(-places)), "f")


def truth_formulas(truth):
    """FORMULAS.json mapping every trace onto true time: the inverse of each clock's
    knots (truth.json: clock = c0 + floor((t - t0) (c1 - c0) / (t1 - t0)) between
    knots), one segment per knot interval of the trace's own time."""
    traces = []
    for m in truth["machines"]:
        knots = m["clock"]["knots"]
        segs = []
        for (t0, c0), (t1, c1) in zip(knots, knots[1:]):
            if t1 == t0 or c1 == c0:
                continue  # a step: the previous segment covers it
            slope = Fraction(t1 - t0, c1 - c0)
            segs.append({"start_ns": c0, "end_ns": c1, "slope": dec(slope, 45),
                         "offset_ns": dec(Fraction(t0) - slope * c0, 25)})
        t = {"name": m["name"]}
        if len(segs) == 1:
            t.update(slope=segs[0]["slope"], offset_ns=segs[0]["offset_ns"])
        elif segs:
            t["segments"] = segs
        traces.append(t)
    return {"reference": None, "traces": traces}


class Scenario:
    """A generated scenario, `tracesync vm` raw and with the true clocks."""

    def __init__(self, tmp, name, preset=None, text=None, duration=None):
        self.out = os.path.join(tmp, name)
        args = ["simulate", "-q", "-o", self.out, "--no-truth-matches"]
        if preset:
            args += ["--preset", preset]
        else:
            scn = os.path.join(tmp, name + ".scn")
            with open(scn, "w") as f:
                f.write(text)
            args.append(scn)
        if duration:
            args += ["--duration", duration]
        harness.run(args)
        with open(os.path.join(self.out, "truth.json")) as f:
            self.truth = json.load(f)
        # guests without vmsync events are given with --guest NAME=QEMU_PID
        self.guest_args = []
        for g in self.truth["guests"]:
            if g["vmsync_cpu"] < 0:
                self.guest_args += ["--guest", "%s=%d" % (g["name"], g["qemu_pid"])]
        self.raw = self.vm([])
        self.formulas = os.path.join(tmp, name + "-true.json")
        with open(self.formulas, "w") as f:
            json.dump(truth_formulas(self.truth), f)
        self.true = self.vm(["--formulas", self.formulas])

    def vm(self, extra):
        j = self.out + "-%d.json" % len(extra)
        harness.run(["vm", self.out, "--json", j] + self.guest_args + extra)
        with open(j) as f:
            return json.load(f)


class ScenarioTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.scenarios = [
            Scenario(d, "default", preset="default", duration="800ms"),
            Scenario(d, "contended", preset="contended", duration="800ms"),
            Scenario(d, "ptp-kvm-stress", preset="ptp-kvm-stress", duration="1s"),
            Scenario(d, "ptp-kvm-idle", preset="ptp-kvm-idle", duration="1s"),
            Scenario(d, "two-hosts", text=TWO_HOSTS),
        ]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def guests(self, doc):
        return {g["name"]: g for g in doc["guests"]}

    def test_raw_counts_are_the_truth(self):
        for s in self.scenarios:
            got = self.guests(s.raw)
            self.assertEqual(sorted(got), sorted(g["name"] for g in s.truth["guests"]), s.out)
            for tg in s.truth["guests"]:
                g = got[tg["name"]]
                where = "%s: guest %s" % (os.path.basename(s.out), tg["name"])
                self.assertEqual(g["events_total"], tg["events_total"], where)
                self.assertEqual(g["bad"], tg["events_outside_running_raw"], where)
                self.assertEqual(g["unchecked"], tg["events_unchecked_raw"], where)
                self.assertEqual(g["unchecked_no_mapping"], 0, where)
                vc = {v["vcpu"]: v for v in g["vcpus"]}
                for tv in tg["vcpus"]:
                    v = vc[tv["vcpu"]]
                    w = "%s vCPU %d" % (where, tv["vcpu"])
                    self.assertEqual(v["events_total"], tv["events_total"], w)
                    self.assertEqual(v["bad"], tv["events_outside_running_raw"], w)
                    self.assertEqual(v["unchecked"], tv["events_unchecked_raw"], w)

    def test_raw_clocks_show_bad_events(self):
        # the presets' clock errors (tens of microseconds) must be visible
        s = self.scenarios[0]
        for g in s.raw["guests"]:
            self.assertGreater(g["bad"], 0, g["name"])
            self.assertGreater(g["bad_percent"], 1.0, g["name"])

    def test_true_clocks_give_no_bad_event(self):
        for s in self.scenarios:
            for g in s.true["guests"]:
                where = "%s: guest %s" % (os.path.basename(s.out), g["name"])
                self.assertEqual(g["bad"], 0, where)
                self.assertEqual(g["unchecked_no_mapping"], 0, where)
                # nearly everything is checked (only the traces' edges are not)
                self.assertGreater(g["checked"], 0.99 * g["events_total"], where)
                self.assertTrue(s.true["corrected"])

    def test_model_is_the_truth(self):
        for s in self.scenarios:
            got = self.guests(s.raw)
            for tg in s.truth["guests"]:
                g = got[tg["name"]]
                where = "%s: guest %s" % (os.path.basename(s.out), tg["name"])
                self.assertEqual(g["host"], tg["host"], where)
                self.assertEqual(g["qemu_pid"], tg["qemu_pid"], where)
                self.assertEqual(g["mapping"], "vmsync" if tg["vmsync_cpu"] >= 0 else "user", where)
                if tg["vmsync_cpu"] >= 0:
                    self.assertEqual(g["vm_uid"], tg["vm_uid"], where)
                vc = {v["vcpu"]: v for v in g["vcpus"]}
                self.assertEqual(sorted(vc), [v["vcpu"] for v in tg["vcpus"]], where)
                for tv in tg["vcpus"]:
                    self.assertEqual(vc[tv["vcpu"]]["host_tid"], tv["tid"], where)
                    self.assertEqual(vc[tv["vcpu"]]["thread"], tv["thread"], where)

    def test_entry_vcpu_id_only_on_old_kernels(self):
        # two-hosts: vm1's host runs Linux 5.4 (vcpu_id of kvm_x86_entry is an index),
        # vm2's a newer kernel with pointer values there; the thread names give the
        # numbers in both cases, and the pointers must not create vCPUs
        s = self.scenarios[-1]
        vm2 = self.guests(s.raw)["vm2"]
        self.assertEqual(len(vm2["vcpus"]), 3)
        for v in vm2["vcpus"]:
            self.assertEqual(v["source"], "thread name")

    def test_guest_without_vmsync_needs_a_mapping(self):
        s = self.scenarios[-1]
        j = s.out + "-nomap.json"
        harness.run(["vm", s.out, "--json", j])
        with open(j) as f:
            doc = json.load(f)
        names = [g["name"] for g in doc["guests"]]
        self.assertIn("vm1", names)
        self.assertNotIn("vm2", names)  # no evidence that vm2 is a guest: not guessed
        roles = {t["name"]: t for t in doc["traces"]}
        self.assertIsNone(roles["vm2"]["guest"])
        self.assertTrue(roles["hostB"]["host"])

    def test_counts_add_up(self):
        for s in self.scenarios:
            for doc in (s.raw, s.true):
                for g in doc["guests"]:
                    parts = ("unchecked_no_mapping", "unchecked_before_first",
                             "unchecked_after_last", "unchecked_unknown")
                    self.assertEqual(g["unchecked"], sum(g[k] for k in parts))
                    self.assertEqual(g["events_total"], g["checked"] + g["unchecked"])
                    self.assertEqual(g["bad"], sum(g["histogram"]))
                    self.assertEqual(g["events_total"], sum(v["events_total"] for v in g["vcpus"]))
                    self.assertEqual(g["bad"], sum(e["bad"] for e in g["events"]))
                    self.assertEqual(g["events_total"], sum(e["events_total"] for e in g["events"]))


if __name__ == "__main__":
    unittest.main()
