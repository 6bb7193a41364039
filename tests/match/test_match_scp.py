"""Matching on the real scp pair (tc-synctraces) against an independent implementation.

babeltrace2 decodes the two traces (tests/bt2_oracle.py: one src.ctf.fs per trace, no
muxer); a straightforward matcher here (plain dicts, no cleanup, no age bound) pairs
inet_sock_local_out (send) with inet_sock_local_in (receive) on (seq, ack_seq, flags).
`tracesync latency --csv` must give exactly the same pairs, so its memory bounds lost
nothing on this exchange.
"""
import csv
import json
import os
import re
import tempfile
import unittest

import bt2_oracle
import harness

SCP = os.path.join(harness.TRACES, "tc-synctraces")


def reference_matches(traces):
    """traces: {name: [event dict]} -> set of (src, dst, send_ts, recv_ts, key)."""
    merged = []
    for name, events in traces.items():
        for e in events:
            if e["name"] in ("inet_sock_local_out", "inet_sock_local_in"):
                f = e["fields"]
                merged.append((e["ts"], name, e["name"].endswith("_out"),
                               (f["seq"], f["ack_seq"], f["flags"])))
    merged.sort(key=lambda x: x[0])
    waiting = {True: {n: {} for n in traces}, False: {n: {} for n in traces}}
    matches = set()
    for ts, name, is_send, key in merged:
        others = [(waiting[not is_send][o][key], o) for o in traces
                  if o != name and key in waiting[not is_send][o]]
        if others:
            other_ts, other = min(others)
            del waiting[not is_send][other][key]
            if is_send:
                matches.add((name, other, ts, other_ts, key))
            else:
                matches.add((other, name, other_ts, ts, key))
        elif key not in waiting[is_send][name]:
            waiting[is_send][name][key] = ts
    return matches


def parse_key(text):
    m = re.fullmatch(r"seq=(\d+) ack_seq=(\d+) flags=0x([0-9a-f]+)", text)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3), 16))


class ScpMatching(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        csv_path = os.path.join(cls.tmp.name, "m.csv")
        json_path = os.path.join(cls.tmp.name, "m.json")
        harness.run(["latency", "-q", "--csv", csv_path, "--json", json_path, SCP])
        with open(json_path) as f:
            cls.doc = json.load(f)
        with open(csv_path, newline="") as f:
            cls.rows = list(csv.DictReader(f))
        # decode each trace with babeltrace2, named as tracesync names it
        cls.events = {}
        for t in cls.doc["traces"]:
            cls.events[t["name"]] = bt2_oracle.read_trace(t["path"])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_same_pairs_as_reference(self):
        ours = {(r["source"], r["destination"], int(r["send_ns"]), int(r["receive_ns"]),
                 parse_key(r["key"])) for r in self.rows}
        self.assertEqual(len(ours), len(self.rows), "a match appears twice in the CSV")
        ref = reference_matches(self.events)
        self.assertEqual(ours, ref)

    def test_trace_compass_count(self):
        # Trace Compass finds 46 matches in these traces (anchor notes, section 11).
        self.assertEqual(len(self.rows), 46)
        self.assertEqual(self.doc["total"]["count"], 46)

    def test_event_counts(self):
        for t in self.doc["matching"]["traces"]:
            events = self.events[t["name"]]
            for name in ("inet_sock_local_out", "inet_sock_local_in"):
                n = sum(1 for e in events if e["name"] == name)
                self.assertEqual(t["events"].get(name, 0), n, (t["name"], name))
            self.assertEqual(t["unusable"], {})
            tcp = t["tcp"]
            sends = sum(1 for e in events if e["name"] == "inet_sock_local_out")
            self.assertEqual(tcp["send"]["seen"], sends)
            for d in ("send", "receive"):
                c = tcp[d]
                self.assertEqual(c["seen"], c["matched"] + c["same_host"] + c["duplicate"]
                                 + c["unmatched"], (t["name"], d))

    def test_raw_equals_corrected_without_correction(self):
        for r in self.rows:
            self.assertEqual(r["send_ns"], r["send_raw_ns"])
            self.assertEqual(int(r["latency_ns"]), int(r["receive_ns"]) - int(r["send_ns"]))


if __name__ == "__main__":
    unittest.main()
