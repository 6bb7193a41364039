"""tracesync simulate: babeltrace2 reads what it writes (every file of every
preset, with the counts it reports), values round-trip, truth.json's counts and
truth-matches.csv's delays are recomputed independently, output is
deterministic, bad scenarios are rejected with their line number."""
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import bt2

import harness
import simcheck

PRESETS = {
    # preset: --duration for the test (small volumes)
    "default": "40ms",
    "ntp-lan": "150ms",
    "ptp-kvm-idle": "300ms",
    "ptp-kvm-stress": "30ms",
    "long-idle": "1min",
    "contended": "60ms",
    "lan": "40ms",
}


def simulate(out, *args):
    return harness.run(["simulate", "-o", out] + list(args))


def stream_events(trace_dir, name):
    """Events of one stream file read alone by babeltrace2 (no muxer involved)."""
    d = tempfile.mkdtemp(prefix="ts-sim-one-")
    try:
        os.symlink(os.path.abspath(os.path.join(trace_dir, "metadata")), os.path.join(d, "metadata"))
        os.symlink(os.path.abspath(os.path.join(trace_dir, name)), os.path.join(d, name))
        out = []
        for ts, cpu, ev in simcheck.events(d):
            out.append((ts, cpu, ev.name))
        return out
    finally:
        shutil.rmtree(d)


true_of = simcheck.true_of


class SimulateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ts-sim-")
        cls.out = os.path.join(cls.tmp, "default")
        p = simulate(cls.out, "--preset", "default", "--duration", "40ms")
        cls.report = p.stdout
        cls.truth = simcheck.load_truth(cls.out)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def machine(self, name):
        return next(m for m in self.truth["machines"] if m["name"] == name)

    def test_every_file_of_every_preset_is_read_by_babeltrace2(self):
        for preset, dur in PRESETS.items():
            with self.subTest(preset=preset):
                out = os.path.join(self.tmp, "p-" + preset)
                p = simulate(out, "--preset", preset, "--duration", dur)
                truth = simcheck.load_truth(out)
                reported = {}
                for line in p.stdout.splitlines():
                    m = re.match(r"\s+(\S+)\s+(host|guest|machine)\s+(\d+)\s+(\d+)\s", line)
                    if m:
                        reported[m.group(1)] = int(m.group(4))
                self.assertEqual(set(reported), {m["name"] for m in truth["machines"]})
                for m in truth["machines"]:
                    tdir = os.path.join(out, m["trace"])
                    files = simcheck.stream_files(tdir)
                    self.assertEqual(len(files), m.get("cpus", m.get("vcpus")))
                    total = 0
                    for f in files:
                        evs = stream_events(tdir, f)
                        cpu = int(f.split("_")[1])
                        self.assertTrue(all(e[1] == cpu for e in evs), f)
                        ts = [e[0] for e in evs]
                        self.assertEqual(ts, sorted(ts), "%s/%s: time goes back" % (tdir, f))
                        total += len(evs)
                    self.assertEqual(total, m["events_total"], tdir)
                    self.assertEqual(total, reported[m["name"]], tdir)
                    self.assertGreater(total, 0, tdir)
                    self.assertTrue(os.path.isfile(os.path.join(tdir, "index", files[0] + ".idx")))
                shutil.rmtree(out)

    def test_env_clock_and_header(self):
        for m in self.truth["machines"]:
            tdir = os.path.join(self.out, m["trace"])
            it = bt2.TraceCollectionMessageIterator(simcheck._source(tdir))
            for msg in it:
                if type(msg) is bt2._StreamBeginningMessageConst:
                    trace = msg.stream.trace
                    cc = msg.stream.cls.default_clock_class
                    break
            env = dict(trace.environment)
            self.assertEqual(str(env["hostname"]), m["hostname"])
            self.assertEqual(str(env["domain"]), "kernel")
            self.assertEqual(str(env["tracer_name"]), "lttng-modules")
            self.assertEqual((int(env["tracer_major"]), int(env["tracer_minor"])), (2, 13))
            self.assertEqual(cc.name, "monotonic")
            self.assertEqual(str(cc.uuid), m["host_id"])
            self.assertEqual(cc.frequency, 10**9)
            self.assertEqual(cc.offset.seconds * 10**9 + cc.offset.cycles, m["clock"]["offset"])
            meta = subprocess.run(["babeltrace2", "--output-format=ctf-metadata", tdir],
                                  stdout=subprocess.PIPE, text=True, check=True).stdout
            want = "event_header_" + m["event_header"]
            self.assertIn("event.header := struct %s;" % want, meta)
            self.assertEqual(m["event_header"] == "compact", m["event_classes"] < 31)
        self.assertEqual({m["event_header"] for m in self.truth["machines"]}, {"large", "compact"})

    def test_matches_are_in_the_traces(self):
        """Every line of truth-matches.csv names a send and a receive event that
        babeltrace2 decodes at those times with those keys."""
        want_send, want_recv = {}, {}
        with open(os.path.join(self.out, "truth-matches.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertGreater(len(rows), 50)
        kinds = {r["kind"] for r in rows}
        self.assertEqual(kinds, {"tcp", "vmsync"})
        for r in rows:
            key = (r["kind"], int(r["key1"]), int(r["key2"]), int(r["key3"]))
            want_send.setdefault(r["src"], []).append((int(r["send_ns"]), key))
            want_recv.setdefault(r["dst"], []).append((int(r["recv_ns"]), key))
        versions = set()
        for m in self.truth["machines"]:
            seen = {}
            for ts, _cpu, ev in simcheck.events(os.path.join(self.out, m["trace"])):
                p = ev.payload_field
                if ev.name in ("net_dev_queue", "net_if_receive_skb"):
                    if int(p["network_header_type"]) == 0:
                        continue
                    nh = p["network_header"].selected_option
                    versions.add(int(nh["version"]))
                    if int(nh["version"]) == 4:
                        self.assertEqual(int(nh["ihl"]), 5)
                        l3 = int(nh["tot_len"])
                    else:
                        l3 = 40 + int(nh["payload_len"])
                    # skb->len counts the Ethernet header on send, not on receive
                    self.assertEqual(int(p["len"]), l3 + (14 if ev.name == "net_dev_queue" else 0))
                    if int(nh["transport_header_type"]) != 1:
                        continue
                    self.assertEqual(str(nh["protocol" if nh["version"] == 4 else "nexthdr"].labels[0]),
                                     "_tcp")
                    tcp = nh["transport_header"].selected_option
                    self.assertEqual(int(tcp["data_offset"]), 5)
                    key = ("tcp", int(tcp["seq"]), int(tcp["ack_seq"]), int(tcp["flags"]))
                    seen[(ev.name, ts, key)] = 1
                elif ev.name.startswith("vmsync_"):
                    seen[(ev.name, ts, ("vmsync", int(p["vm_uid"]), int(p["cnt"]), 0))] = 1
                elif ev.name == "kvm_x86_hypercall":
                    self.assertEqual(int(p["nr"]), 5)
                    seen[("hypercall", ts, ("vmsync", int(p["a1"]), int(p["a0"]), 0))] = 1
            for ts, key in want_send.get(m["name"], []):
                names = ["net_dev_queue"] if key[0] == "tcp" else ["vmsync_gh_guest", "vmsync_hg_host"]
                self.assertTrue(any((n, ts, key) in seen for n in names), (m["name"], ts, key))
            for ts, key in want_recv.get(m["name"], []):
                names = ["net_if_receive_skb"] if key[0] == "tcp" else ["vmsync_gh_host", "vmsync_hg_guest"]
                self.assertTrue(any((n, ts, key) in seen for n in names), (m["name"], ts, key))
                if key[0] == "vmsync" and ("vmsync_gh_host", ts, key) in seen:
                    # the stock hypercall event carries the same key at the same time
                    self.assertIn(("hypercall", ts, key), seen)
        self.assertEqual(versions, {4, 6})

    def test_tracesync_reads_the_same_counts(self):
        """tracesync's own decoder agrees with truth.json and babeltrace2."""
        info = json.loads(harness.run(["info", "--json", self.out]).stdout)
        counts = {t["name"]: t["events"] for t in info["traces"]}
        for m in self.truth["machines"]:
            self.assertEqual(counts[m["name"]], m["events_total"])
        hosts = {t["name"]: t["host_id"] for t in info["traces"]}
        for m in self.truth["machines"]:
            self.assertEqual(hosts[m["name"]], m["host_id"])

    def test_example_scenarios_run(self):
        d = os.path.join(harness.ROOT, "scenarios")
        files = sorted(f for f in os.listdir(d) if f.endswith(".scn"))
        self.assertTrue(files)
        for f in files:
            out = os.path.join(self.tmp, "ex-" + f)
            simulate(out, os.path.join(d, f), "--duration", "10ms")
            self.assertTrue(simcheck.load_truth(out)["machines"])
            shutil.rmtree(out)

    def test_vcpu_threads_in_statedump_and_kvm_events(self):
        host = self.machine("host0")
        guests = [g for g in self.truth["guests"] if g["host"] == "host0"]
        threads = simcheck.vcpu_threads(os.path.join(self.out, host["trace"]),
                                        {g["qemu_pid"] for g in guests})
        for g in guests:
            for v in g["vcpus"]:
                self.assertEqual(threads[v["tid"]], (g["qemu_pid"], v["vcpu"]))
        # kvm_x86_exit.vcpu_id is the vCPU of the thread running on that CPU
        tid_vcpu = {tid: vc for tid, (_pid, vc) in threads.items()}
        current, n = {}, 0
        for ts, cpu, ev in simcheck.events(os.path.join(self.out, host["trace"])):
            if ev.name == "sched_switch":
                current[cpu] = int(ev.payload_field["next_tid"])
            elif ev.name in ("kvm_x86_exit", "kvm_x86_entry"):
                self.assertIn(current.get(cpu), tid_vcpu)
                self.assertEqual(int(ev.payload_field["vcpu_id"]), tid_vcpu[current[cpu]])
                n += 1
        self.assertGreater(n, 100)

    def check_recount(self, out):
        truth, res = simcheck.recount(out)
        outside = 0
        for g in truth["guests"]:
            r = res[g["name"]]
            self.assertEqual(sum(c["total"] for c in r.values()), g["events_total"])
            self.assertEqual(sum(c["outside"] for c in r.values()), g["events_outside_running_raw"])
            self.assertEqual(sum(c["unchecked"] for c in r.values()), g["events_unchecked_raw"])
            for v in g["vcpus"]:
                c = r[v["vcpu"]]
                self.assertEqual((c["total"], c["outside"], c["unchecked"]),
                                 (v["events_total"], v["events_outside_running_raw"],
                                  v["events_unchecked_raw"]))
            outside += g["events_outside_running_raw"]
        return outside

    def test_truth_counts_recomputed_independently(self):
        # tens of microseconds of clock error put guest events out of place
        self.assertGreater(self.check_recount(self.out), 0)
        for preset in ("contended", "ptp-kvm-stress"):
            with self.subTest(preset=preset):
                out = os.path.join(self.tmp, "rc-" + preset)
                simulate(out, "--preset", preset, "--duration", "40ms")
                self.check_recount(out)
                shutil.rmtree(out)

    def test_guest_events_only_in_guest_mode_in_true_time(self):
        """Mapped back to true time, no guest event falls outside its vCPU's
        running periods (whatever the clock errors)."""
        margins = {}
        truth, res = simcheck.recount(self.out, true_time=True, margins=margins)
        for g in truth["guests"]:
            counts = res[g["name"]]
            self.assertEqual(sum(c["total"] for c in counts.values()), g["events_total"])
            self.assertEqual(sum(c["outside"] for c in counts.values()), 0, g["name"])
            # guest events keep >= 600 ns after kvm_x86_entry and >= 300 ns before
            # kvm_x86_exit (the event before a VMCALL or HLT; 500 ns otherwise), with
            # 1 ns of rounding each way when mapping back to true time
            before, after = margins[g["name"]]
            self.assertGreaterEqual(before, 600 - 2, g["name"])
            self.assertGreaterEqual(after, 300 - 2, g["name"])

    def test_perfect_clocks_put_no_event_outside(self):
        scn = os.path.join(self.tmp, "perfect.scn")
        with open(scn, "w") as f:
            f.write("sim duration=60ms seed=3\n"
                    "machine h role=host cpus=2\n"
                    "machine g role=guest host=h vcpus=2 pin=0,1 load=0.5\n"
                    "machine k role=guest host=h vcpus=1 pin=1 load=0.5\n"
                    "clock h offset=20us drift=+30ppm\n"
                    "clock g follow=h\n"
                    "clock k follow=h\n"
                    "tcp g h rate=2k/s\n"
                    "tcp h k rate=1k/s\n")
        out = os.path.join(self.tmp, "perfect")
        simulate(out, scn)
        truth, res = simcheck.recount(out)
        for g in truth["guests"]:
            self.assertGreater(g["events_total"], 1000)
            self.assertEqual(g["events_outside_running_raw"], 0, g["name"])
            self.assertEqual(sum(c["outside"] for c in res[g["name"]].values()), 0)
        shutil.rmtree(out)

    def test_delays_follow_the_true_clocks(self):
        clocks = {m["name"]: m["clock"]["knots"] for m in self.truth["machines"]}
        links = {(l["from"], l["to"]): l for l in self.truth["links"]}
        n = 0
        with open(os.path.join(self.out, "truth-matches.csv")) as f:
            for r in csv.DictReader(f):
                ts = true_of(clocks[r["src"]], int(r["send_ns"]))
                tr = true_of(clocks[r["dst"]], int(r["recv_ns"]))
                delay = int(r["delay_ns"])
                self.assertLessEqual(abs((tr - ts) - delay), 2, r)
                if r["kind"] == "tcp":
                    self.assertGreaterEqual(delay, links[(r["src"], r["dst"])]["min_ns"], r)
                else:
                    self.assertGreater(delay, 0)
                    self.assertLess(delay, 20000)
                n += 1
        self.assertGreater(n, 50)

    def test_deterministic(self):
        def digest(out):
            h = {}
            for d, _dirs, files in os.walk(out):
                for f in files:
                    p = os.path.join(d, f)
                    with open(p, "rb") as fh:
                        h[os.path.relpath(p, out)] = hashlib.sha256(fh.read()).hexdigest()
            return h

        a, b, c = (os.path.join(self.tmp, x) for x in ("det-a", "det-b", "det-c"))
        simulate(a, "--preset", "default", "--duration", "20ms", "--seed", "7")
        simulate(b, "--preset", "default", "--duration", "20ms", "--seed", "7")
        simulate(c, "--preset", "default", "--duration", "20ms", "--seed", "8")
        da, db, dc = digest(a), digest(b), digest(c)
        self.assertGreater(len(da), 20)
        self.assertEqual(da, db)
        self.assertNotEqual(da["guest1/kernel/channel0_0"], dc["guest1/kernel/channel0_0"])
        for x in (a, b, c):
            shutil.rmtree(x)

    def test_print_preset_is_the_preset(self):
        text = harness.run(["simulate", "--print-preset", "lan"]).stdout
        scn = os.path.join(self.tmp, "lan.scn")
        with open(scn, "w") as f:
            f.write(text)
        a, b = os.path.join(self.tmp, "pp-a"), os.path.join(self.tmp, "pp-b")
        simulate(a, "--preset", "lan", "--duration", "10ms")
        simulate(b, scn, "--duration", "10ms")
        for m in ("alpha", "beta", "gamma"):
            for f in ("metadata", "channel0_0", "channel0_1"):
                with open(os.path.join(a, m, "kernel", f), "rb") as x, \
                        open(os.path.join(b, m, "kernel", f), "rb") as y:
                    self.assertEqual(x.read(), y.read(), (m, f))
        names = harness.run(["simulate", "--list-presets"]).stdout.split()
        for p in PRESETS:
            self.assertIn(p, names)
        shutil.rmtree(a)
        shutil.rmtree(b)

    def test_scale_multiplies_volume(self):
        a, b = os.path.join(self.tmp, "sc-a"), os.path.join(self.tmp, "sc-b")
        simulate(a, "--preset", "lan", "--duration", "20ms")
        simulate(b, "--preset", "lan", "--duration", "20ms", "--scale", "3")
        na = sum(m["events_total"] for m in simcheck.load_truth(a)["machines"])
        nb = sum(m["events_total"] for m in simcheck.load_truth(b)["machines"])
        self.assertGreater(nb / na, 2.2)
        self.assertLess(nb / na, 3.8)
        shutil.rmtree(a)
        shutil.rmtree(b)

    def test_bad_input_is_rejected_with_its_line(self):
        scn = os.path.join(self.tmp, "bad.scn")
        with open(scn, "w") as f:
            f.write("# fine so far\nmachine h role=host\nmachine g role=guest host=h\n"
                    "link g h min=5us mean=bogus\n")
        p = harness.run(["simulate", scn, "-o", os.path.join(self.tmp, "bad")], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("bad.scn:4:", p.stderr)
        self.assertIn("mean=bogus", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "bad")))
        p = harness.run(["simulate", "--preset", "nope", "-o", os.path.join(self.tmp, "x")],
                        check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("unknown preset", p.stderr)
        for args in (["--preset", "lan"], ["-o", "x"], ["--preset", "lan", scn, "-o", "x"],
                     ["--preset", "lan", "-o", "x", "--scale", "0"],
                     ["--preset", "lan", "-o", "x", "--duration", "-1s"]):
            p = harness.run(["simulate"] + args, check=False)
            self.assertEqual(p.returncode, 2, args)
        # a non-empty output directory needs --force
        p = harness.run(["simulate", "--preset", "lan", "--duration", "5ms", "-o", self.out],
                        check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not empty", p.stderr)
        out = os.path.join(self.tmp, "forced")
        simulate(out, "--preset", "lan", "--duration", "5ms")
        simulate(out, "--preset", "lan", "--duration", "5ms", "--force")
        shutil.rmtree(out)


if __name__ == "__main__":
    unittest.main()
