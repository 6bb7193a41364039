"""`tracesync vm` command line: errors, outputs (JSON, CSV, SVG), options.

The CSV is checked row by row against the definition of a bad event (the time is
strictly inside the out-period; the distance is to its nearer end, negative toward
the end, a tie counting as negative), its rows against the JSON counts; --begin/--end
against `tracesync dump` on the same window; --offset against the same offsets in a
formulas file and against the opposite offset on the host; the parallel check (no
CSV) against the sequential one (with CSV).
"""
import csv
import json
import os
import shutil
import tempfile
import unittest

import harness

SCENARIO = """\
sim duration=300ms start=2024-03-15T10:00:00Z seed=11
machine host0  role=host cpus=4 load=0.15 packet=16KiB
machine guest1 role=guest host=host0 vcpus=2 pin=1,2 load=0.3
machine guest2 role=guest host=host0 vcpus=1 pin=3 load=0.2
clock host0  offset=0 drift=+1ppm
clock guest1 offset=-25us drift=+8ppm
clock guest2 offset=30us drift=-4ppm
tcp guest1 host0 rate=300/s
tcp host0 guest2 rate=200/s
"""


class VmCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        scn = os.path.join(d, "s.scn")
        with open(scn, "w") as f:
            f.write(SCENARIO)
        cls.out = os.path.join(d, "out")
        harness.run(["simulate", "-q", "--no-truth-matches", "-o", cls.out, scn])
        cls.json = os.path.join(d, "vm.json")
        cls.csv = os.path.join(d, "bad.csv")
        cls.svg = os.path.join(d, "bad.svg")
        cls.stdout = harness.run(["vm", cls.out, "--json", cls.json, "--csv", cls.csv,
                                  "--svg", cls.svg]).stdout
        with open(cls.json) as f:
            cls.doc = json.load(f)
        with open(cls.csv, newline="") as f:
            cls.rows = list(csv.DictReader(f))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def vm_json(self, *args):
        j = os.path.join(self.tmp.name, "x.json")
        harness.run(["vm", self.out, "--json", j] + list(args))
        with open(j) as f:
            return json.load(f)

    def counts(self, doc):
        keys = ("events_total", "checked", "unchecked", "bad", "max_abs_ns", "min_signed_ns",
                "max_signed_ns", "histogram")
        return {g["name"]: ({k: g[k] for k in keys}, [{k: v[k] for k in keys} for v in g["vcpus"]])
                for g in doc["guests"]}

    # ---- errors ----------------------------------------------------------------

    def check_usage(self, args, text, code=2):
        p = harness.run(["vm"] + args, check=False)
        self.assertEqual(p.returncode, code, p.stderr)
        self.assertIn(text, p.stderr)
        self.assertEqual(p.stdout, "")

    def test_errors(self):
        self.check_usage([], "no trace given")
        self.check_usage(["--guest", "guest1", self.out], "expected NAME=QEMU_PID")
        self.check_usage(["--guest", "guest1=abc", self.out], "is not a process id")
        self.check_usage(["--guest", "nosuch=123", self.out], "no trace named 'nosuch'")
        self.check_usage(["--guest", "guest1=123@nohost", self.out], "no trace named 'nohost'")
        self.check_usage(["--offset", "nosuch=1us", self.out], "nosuch")
        self.check_usage(["--offset", "guest1=1parsec", self.out], "--offset")
        self.check_usage(["--top", "x", self.out], "--top")
        self.check_usage(["--threads", "0", self.out], "--threads")
        self.check_usage(["--begin", "+200ms", "--end", "+100ms", self.out], "--begin is after --end")
        self.check_usage(["--nosuch", self.out], "unknown option")
        missing = os.path.join(self.tmp.name, "missing.json")
        self.check_usage(["--formulas", missing, self.out], missing, code=1)
        self.check_usage([os.path.join(self.tmp.name, "nodir")], "no such directory", code=1)
        bad = os.path.join(self.tmp.name, "bad.json")
        with open(bad, "w") as f:
            json.dump({"traces": [{"name": "elsewhere", "offset_ns": "5"}]}, f)
        self.check_usage(["--formulas", bad, self.out], "elsewhere")

    def test_help(self):
        p = harness.run(["vm", "--help"])
        for opt in ("--formulas", "--offset", "--guest", "--begin", "--json", "--csv", "--svg", "--top"):
            self.assertIn(opt, p.stdout)

    def test_unwritable_outputs(self):
        nodir = os.path.join(self.tmp.name, "nodir", "x")
        for opt in ("--json", "--csv", "--svg"):
            p = harness.run(["vm", self.out, opt, nodir], check=False)
            self.assertEqual(p.returncode, 1, opt)
            self.assertIn(nodir, p.stderr)

    def test_traces_without_vms(self):
        p = harness.run(["vm", os.path.join(harness.TRACES, "tc-synctraces"), "--json",
                         os.path.join(self.tmp.name, "none.json")])
        self.assertIn("no host", p.stdout)
        self.assertIn("no guest", p.stdout)
        with open(os.path.join(self.tmp.name, "none.json")) as f:
            doc = json.load(f)
        self.assertEqual(doc["guests"], [])
        self.assertEqual(doc["total"]["events_total"], 0)

    def test_truncated_stream(self):
        # a guest stream cut in the middle of a packet: reported, not fatal
        d = os.path.join(self.tmp.name, "trunc")
        shutil.copytree(self.out, d)
        f = os.path.join(d, "guest1", "kernel", "channel0_1")
        size = os.path.getsize(f)
        with open(f, "r+b") as fh:
            fh.truncate(size - 5000)
        p = harness.run(["vm", d], check=False)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("channel0_1", p.stderr)
        self.assertIn("guest1", p.stdout)

    # ---- outputs -------------------------------------------------------------

    def test_json_contract(self):
        self.assertEqual(sorted(g["name"] for g in self.doc["guests"]), ["guest1", "guest2"])
        for g in self.doc["guests"]:
            for k in ("name", "events_total", "checked", "unchecked", "bad", "bad_percent",
                      "mean_abs_ns", "max_abs_ns", "mean_signed_ns", "vcpus"):
                self.assertIn(k, g)
            self.assertEqual(g["host"], "host0")
            for v in g["vcpus"]:
                for k in ("vcpu", "events_total", "checked", "unchecked", "bad", "bad_percent",
                          "mean_abs_ns", "max_abs_ns", "mean_signed_ns"):
                    self.assertIn(k, v)
            if g["checked"]:
                self.assertAlmostEqual(g["bad_percent"], 100.0 * g["bad"] / g["checked"], places=5)
        self.assertEqual(len(self.doc["histogram_bins"]), 20)

    def test_text_report(self):
        for g in self.doc["guests"]:
            self.assertIn("guest %s: host host0, QEMU process %d" % (g["name"], g["qemu_pid"]),
                          self.stdout)
            line = next(l for l in self.stdout.splitlines() if l.startswith(g["name"] + " "))
            self.assertEqual(line.split()[1:5],
                             [str(g["events_total"]), str(g["checked"]), str(g["unchecked"]),
                              str(g["bad"])])

    def test_csv_rows_follow_the_definition(self):
        self.assertEqual(len(self.rows), self.doc["total"]["bad"])
        per = {}
        for r in self.rows:
            t, b = int(r["time_ns"]), int(r["out_begin_ns"])
            e = int(r["out_end_ns"]) if r["out_end_ns"] else None
            d = int(r["distance_ns"])
            self.assertLess(b, t)
            if e is None:
                self.assertEqual(d, t - b)
            else:
                self.assertLess(t, e)
                self.assertEqual(d, t - b if t - b < e - t else -(e - t))
            self.assertEqual(int(r["abs_distance_ns"]), abs(d))
            self.assertEqual(int(r["raw_ns"]), t)  # no correction: raw = host clock
            key = (r["guest"], int(r["vcpu"]))
            per[key] = per.get(key, 0) + 1
        for g in self.doc["guests"]:
            for v in g["vcpus"]:
                self.assertEqual(per.get((g["name"], v["vcpu"]), 0), v["bad"])
        times = [int(r["time_ns"]) for r in self.rows]
        self.assertEqual(times, sorted(times))  # time order

    def test_svg(self):
        with open(self.svg) as f:
            s = f.read()
        self.assertTrue(s.lstrip().startswith("<svg") or s.lstrip().startswith("<?xml"))
        for g in self.doc["guests"]:
            if g["bad"]:
                self.assertIn("%s (%d)" % (g["name"], g["bad"]), s)

    # ---- options ---------------------------------------------------------------

    def test_parallel_and_sequential_agree(self):
        # without --csv/--svg the guests are checked in parallel
        self.assertEqual(self.counts(self.vm_json()), self.counts(self.doc))
        self.assertEqual(self.counts(self.vm_json("--threads", "1")), self.counts(self.doc))

    def test_window(self):
        start = min(int(l.split()[0].strip("[]").replace(".", ""))
                    for l in harness.run(["dump", os.path.join(self.out, "guest2")]).stdout.splitlines()[:1])
        b, e = start + 100000000, start + 150000000
        doc = self.vm_json("--begin", str(b), "--end", str(e), "--csv",
                           os.path.join(self.tmp.name, "w.csv"))
        self.assertEqual(doc["window"], {"begin_ns": b, "end_ns": e})
        for g in doc["guests"]:
            n = 0
            for t in g["traces"]:
                out = harness.run(["dump", "--begin", str(b), "--end", str(e),
                                   os.path.join(self.out, t)]).stdout
                n += len(out.splitlines())
            self.assertEqual(g["events_total"], n, g["name"])
            self.assertGreater(n, 0)
        with open(os.path.join(self.tmp.name, "w.csv"), newline="") as f:
            for r in csv.DictReader(f):
                self.assertTrue(b <= int(r["time_ns"]) <= e)

    def test_offset_paths_agree(self):
        a = self.vm_json("--offset", "guest1=7us", "--offset", "guest2=-3us")
        f = os.path.join(self.tmp.name, "off.json")
        harness.run(["offset", self.out, "--offset", "guest1=7us", "--offset", "guest2=-3us",
                     "-o", f])
        b = self.vm_json("--formulas", f)
        self.assertEqual(self.counts(a), self.counts(b))
        self.assertTrue(a["corrected"])
        # moving the host later by 5us is moving every guest earlier by 5us
        c = self.vm_json("--offset", "host0=5us")
        d = self.vm_json("--offset", "guest1=-5us", "--offset", "guest2=-5us")
        self.assertEqual(self.counts(c), self.counts(d))
        self.assertNotEqual(self.counts(c), self.counts(self.doc))

    def test_guest_mapping_by_pid(self):
        # the vmsync mapping and a user mapping of the same process agree
        g = {x["name"]: x for x in self.doc["guests"]}
        doc = self.vm_json("--guest", "guest1=%d" % g["guest1"]["qemu_pid"],
                           "--guest", "guest2=%d@host0" % g["guest2"]["qemu_pid"])
        self.assertEqual(self.counts(doc), self.counts(self.doc))
        self.assertEqual(sorted(x["mapping"] for x in doc["guests"]), ["user", "user"])
        # a wrong pid: reported, the guest's events unchecked
        doc = self.vm_json("--guest", "guest1=99999")
        g1 = next(x for x in doc["guests"] if x["name"] == "guest1")
        self.assertEqual(g1["mapping"], "none")
        self.assertEqual(g1["checked"], 0)
        self.assertTrue(any("process 99999" in n for n in doc["notes"]))

    def test_lost_events_make_states_unknown(self):
        # Mark events as discarded in a packet of the host CPU that runs guest2's vCPU:
        # events_discarded of its packet context (byte 72 of the packet, lttng-modules
        # 2.13 layout as written by the simulator).  The state of that host's vCPUs is
        # then unknown around the loss: events there move from checked to unchecked
        # (never to bad), and the bad events elsewhere stay the same.
        d = os.path.join(self.tmp.name, "lost")
        shutil.copytree(self.out, d)
        with open(os.path.join(d, "truth.json")) as f:
            truth = json.load(f)
        cpu = next(g for g in truth["guests"] if g["name"] == "guest2")["vcpus"][0]["host_cpu"]
        path = os.path.join(d, "host0", "kernel", "channel0_%d" % cpu)
        with open(path, "r+b") as f:
            data = bytearray(f.read())
            offsets, off = [], 0
            while off < len(data):
                offsets.append(off)
                off += int.from_bytes(data[off + 56:off + 64], "little") // 8
            self.assertGreater(len(offsets), 2, "the host stream needs a few packets")
            k = len(offsets) // 2
            p = offsets[k]
            data[p + 72:p + 80] = (7).to_bytes(8, "little")
            begin = int.from_bytes(data[offsets[k - 1] + 40:offsets[k - 1] + 48], "little")
            end = int.from_bytes(data[p + 40:p + 48], "little")
            f.seek(0)
            f.write(data)
        j = os.path.join(self.tmp.name, "lost.json")
        c = os.path.join(self.tmp.name, "lost.csv")
        p = harness.run(["vm", d, "--json", j, "--csv", c], check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("discarded 7 event(s)", p.stderr)
        with open(j) as f:
            doc = json.load(f)
        self.assertTrue(any("events were lost" in n for n in doc["notes"]))
        before = {g["name"]: g for g in self.doc["guests"]}
        off = truth["machines"][0]["clock"]["offset"] if truth["machines"][0]["name"] == "host0" \
            else next(m for m in truth["machines"] if m["name"] == "host0")["clock"]["offset"]
        lb, le = begin + off, end + off  # ns from origin (clock offset + cycles at 1 GHz)
        for g in doc["guests"]:
            b = before[g["name"]]
            self.assertGreater(g["unchecked_unknown"], 0, g["name"])  # every vCPU of host0
            self.assertEqual(g["checked"] + g["unchecked_unknown"], b["checked"], g["name"])
            self.assertLessEqual(g["bad"], b["bad"], g["name"])
            # the guest events in the lost range itself are all among the unknown ones
            n = 0
            for t in g["traces"]:
                n += len(harness.run(["dump", "--begin", str(lb), "--end", str(le),
                                      os.path.join(d, t)]).stdout.splitlines())
            self.assertGreaterEqual(g["unchecked_unknown"], n, g["name"])
        with open(c, newline="") as f:
            lost_rows = {(r["guest"], r["time_ns"], r["distance_ns"]) for r in csv.DictReader(f)}
        all_rows = {(r["guest"], r["time_ns"], r["distance_ns"]) for r in self.rows}
        self.assertTrue(lost_rows <= all_rows)  # unknown, never wrong
        self.assertFalse(any(lb <= int(t) <= le for _g, t, _d in lost_rows))

    def test_deterministic(self):
        self.assertEqual(harness.run(["vm", self.out]).stdout, harness.run(["vm", self.out]).stdout)


if __name__ == "__main__":
    unittest.main()
