"""CLI tests for `tracesync info` and `tracesync dump`: output contracts,
time windows, naming, several traces at once, errors and exit statuses, and
that input traces are never modified."""
import hashlib
import json
import os
import shutil
import tempfile
import unittest

import harness

T = harness.TRACES
SCP = os.path.join(T, "tc-synctraces")


def tree_digest(path):
    h = hashlib.sha256()
    for d, _dirs, files in sorted(os.walk(path)):
        for f in sorted(files):
            p = os.path.join(d, f)
            h.update(p.encode())
            with open(p, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


class InfoDump(unittest.TestCase):
    def test_info_json_contract(self):
        p = harness.run(["info", "--json", SCP, os.path.join(T, "bt-multi-domains")])
        d = json.loads(p.stdout)
        names = [t["name"] for t in d["traces"]]
        self.assertEqual(sorted(names), ["VM1", "VM3", "joraj-alpa/kernel", "joraj-alpa/ust"])
        by = {t["name"]: t for t in d["traces"]}
        self.assertEqual(by["VM1"]["events"], 110771)
        self.assertEqual(by["VM3"]["events"], 85729)
        self.assertEqual(by["joraj-alpa/kernel"]["discarded"] > 0, True)
        # kernel and ust of one boot share the clock uuid: one host id
        self.assertEqual(by["joraj-alpa/kernel"]["host_id"], by["joraj-alpa/ust"]["host_id"])
        self.assertNotEqual(by["VM1"]["host_id"], by["VM3"]["host_id"])
        for t in d["traces"]:
            for k in ("path", "hostname", "tracer", "clock", "streams", "packets", "first_ns",
                      "last_ns", "event_counts"):
                self.assertIn(k, t)
            self.assertEqual(sum(c["count"] for c in t["event_counts"]) <= t["events"], True)
        self.assertEqual(by["VM1"]["tracer"]["minor"], 1)
        self.assertEqual(by["VM1"]["clock"]["freq"], 1000000000)
        self.assertTrue(any("discarded" in x for x in d["diagnostics"]))

    def test_info_counts_match_dump(self):
        p = harness.run(["info", "--json", "--top", "0", os.path.join(T, "tc-flipping-endianness")])
        info = json.loads(p.stdout)["traces"][0]
        evs = harness.run_json_lines(["dump", "--format", "jsonl", os.path.join(T, "tc-flipping-endianness")])
        counts = {}
        for e in evs:
            counts[e["name"]] = counts.get(e["name"], 0) + 1
        self.assertEqual({c["name"]: c["count"] for c in info["event_counts"]}, counts)
        self.assertEqual(info["first_ns"], evs[0]["ts"])
        self.assertEqual(info["last_ns"], evs[-1]["ts"])

    def test_info_text(self):
        p = harness.run(["info", "--top", "3", os.path.join(T, "tc-synctraces", "scp_src")])
        self.assertIn("trace VM1", p.stdout)
        self.assertIn("events:      110771", p.stdout)
        self.assertIn("events by name (top 3 of 51)", p.stdout)

    def test_dump_two_traces_time_order_and_names(self):
        evs = harness.run_json_lines(["dump", "--format", "jsonl", "src=" + os.path.join(SCP, "scp_src"),
                                      "dst=" + os.path.join(SCP, "scp_dest")])
        self.assertEqual(len(evs), 110771 + 85729)
        self.assertEqual({e["trace"] for e in evs}, {"src", "dst"})
        ts = [e["ts"] for e in evs]
        self.assertEqual(ts, sorted(ts))

    def test_dump_window_absolute_and_relative(self):
        path = os.path.join(T, "tc-flipping-endianness")
        evs = harness.run_json_lines(["dump", "--format", "jsonl", path])
        lo, hi = evs[100]["ts"], evs[200]["ts"]
        win = harness.run_json_lines(["dump", "--format", "jsonl", "--begin", str(lo), "--end", str(hi), path])
        expect = [e for e in evs if lo <= e["ts"] <= hi]
        self.assertEqual(win, expect)
        # relative to the set's start (the earliest packet begin)
        info = json.loads(harness.run(["info", "--json", path]).stdout)["traces"][0]
        start = min(s for s in [info["first_ns"]])
        rel = harness.run_json_lines(["dump", "--format", "jsonl", "--end", "+1ms", path])
        self.assertTrue(all(e["ts"] <= start + 1000000 + 10**9 for e in rel))
        self.assertLess(len(rel), len(evs))

    def test_errors(self):
        p = harness.run(["info", "/nonexistent/x"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("/nonexistent/x", p.stderr)
        p = harness.run(["dump", "--format", "xml", SCP], check=False)
        self.assertEqual(p.returncode, 2)
        p = harness.run(["dump", "--begin", "yesterday", SCP], check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("yesterday", p.stderr)
        with tempfile.TemporaryDirectory() as d:
            p = harness.run(["info", d], check=False)
            self.assertEqual(p.returncode, 1)
            self.assertIn("no CTF trace found", p.stderr)

    def test_truncated_trace_reads_what_is_there(self):
        with tempfile.TemporaryDirectory() as d:
            dst = os.path.join(d, "t")
            shutil.copytree(os.path.join(T, "tc-synctraces", "scp_src"), dst)
            f = os.path.join(dst, "channel0_0")
            size = os.path.getsize(f)
            with open(f, "r+b") as fh:
                fh.truncate(size - 100000)
            full = harness.run_json_lines(["dump", "--format", "jsonl", os.path.join(T, "tc-synctraces", "scp_src")])
            p = harness.run(["dump", "--format", "jsonl", dst], check=False)
            self.assertEqual(p.returncode, 3)
            self.assertIn("channel0_0: byte ", p.stderr)
            self.assertIn("truncated", p.stderr)
            got = [json.loads(l) for l in p.stdout.splitlines()]
            self.assertGreater(len(got), len(full) * 0.8)
            self.assertLess(len(got), len(full))
            # what was read is exactly the beginning of the intact trace
            for a, b in zip(got, full):
                del a["trace"], b["trace"]
            self.assertEqual(got, full[:len(got)])

    def test_inputs_never_modified(self):
        paths = [os.path.join(T, "tc-synctraces"), os.path.join(T, "bt-lttng-tracefile-rotation")]
        before = [tree_digest(p) for p in paths]
        harness.run(["info", "--json"] + paths)
        harness.run(["dump", "--format", "jsonl"] + paths)
        self.assertEqual([tree_digest(p) for p in paths], before)


if __name__ == "__main__":
    unittest.main()
