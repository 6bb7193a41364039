"""TCP keys from the lttng-modules 2.9/2.10 network layout (transport variant selected by
`protocol` / `nexthdr`), IPv4 and IPv6, and events without a usable TCP header.

Two traces are written by ctfgen210 (real 2.10 metadata, hand-encoded events); babeltrace2
checks that they decode to what was meant; then `tracesync latency` must find exactly
the planned matches, with their keys, and count the events without a TCP header."""
import csv
import json
import os
import re
import tempfile
import unittest

import bt2_oracle
import ctfgen210
import harness

OFFSET = 1499450703143835608
A_CLOCK, B_CLOCK = "11111111-2222-3333-4444-555555555555", "66666666-7777-8888-9999-aaaaaaaaaaaa"
A_UUID, B_UUID = "0a0a0a0a-0000-0000-0000-000000000001", "0b0b0b0b-0000-0000-0000-000000000002"

# (trace, cycles (ns after the clock offset), event, IP version, IP protocol, TCP key)
EVENTS = [
    ("alpha", 1000000, "net_dev_queue", 4, 6, (1000, 2000, 0x018)),
    ("beta", 1040000, "net_if_receive_skb", 4, 6, (1000, 2000, 0x018)),
    ("beta", 2000000, "net_dev_queue", 6, 6, (7, 8, 0x010)),
    ("alpha", 2030000, "net_if_receive_skb", 6, 6, (7, 8, 0x010)),
    ("alpha", 3000000, "net_dev_queue", 4, 17, None),  # UDP: transport variant "unknown"
    ("beta", 3500000, "net_if_receive_skb", None, 0, None),  # no network header
    ("alpha", 4000000, "net_dev_queue", 4, 6, (0xFFFFFFFF, 0, 0x1FF)),
    ("beta", 4010000, "net_if_receive_skb", 4, 6, (0xFFFFFFFF, 0, 0x1FF)),
    # the receive recorded before the send (latency -1000 ns)
    ("beta", 5000000, "net_if_receive_skb", 4, 6, (55, 66, 0x002)),
    ("alpha", 5001000, "net_dev_queue", 4, 6, (55, 66, 0x002)),
    # same seq and ack, other flags: no match
    ("alpha", 6000000, "net_dev_queue", 4, 6, (9, 9, 0x018)),
    ("beta", 6000500, "net_if_receive_skb", 4, 6, (9, 9, 0x010)),
]
PLANNED = {  # (source, destination, send ns, receive ns, (seq, ack, flags))
    ("alpha", "beta", OFFSET + 1000000, OFFSET + 1040000, (1000, 2000, 0x018)),
    ("beta", "alpha", OFFSET + 2000000, OFFSET + 2030000, (7, 8, 0x010)),
    ("alpha", "beta", OFFSET + 4000000, OFFSET + 4010000, (0xFFFFFFFF, 0, 0x1FF)),
    ("alpha", "beta", OFFSET + 5001000, OFFSET + 5000000, (55, 66, 0x002)),
}


def tcp_of(fields):
    nh = fields.get("network_header", {})
    for ip in ("ipv4", "ipv6"):
        th = nh.get(ip, {}).get("transport_header", {})
        if "tcp" in th:
            t = th["tcp"]
            return (t["seq"], t["ack_seq"], t["flags"])
    return None


class Layout210(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.paths = {}
        for name, clock, uuid in (("alpha", A_CLOCK, A_UUID), ("beta", B_CLOCK, B_UUID)):
            path = os.path.join(cls.tmp.name, name)
            events = [(c, e, ctfgen210.net_payload(ip, proto, tcp))
                      for t, c, e, ip, proto, tcp in EVENTS if t == name]
            ctfgen210.write_trace(path, name, clock, uuid, OFFSET, events)
            cls.paths[name] = path

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_generator_checked_by_babeltrace2(self):
        for name, path in self.paths.items():
            got = [(e["ts"], e["name"], tcp_of(e["fields"])) for e in bt2_oracle.read_trace(path)]
            want = [(OFFSET + c, e, tcp) for t, c, e, ip, proto, tcp in EVENTS if t == name]
            self.assertEqual(got, want)

    def test_matches(self):
        c = os.path.join(self.tmp.name, "m.csv")
        j = os.path.join(self.tmp.name, "m.json")
        harness.run(["latency", "-q", "--csv", c, "--json", j,
                     "alpha=" + self.paths["alpha"], "beta=" + self.paths["beta"]])
        with open(c, newline="") as f:
            rows = list(csv.DictReader(f))
        got = set()
        for r in rows:
            m = re.fullmatch(r"seq=(\d+) ack_seq=(\d+) flags=0x([0-9a-f]+)", r["key"])
            got.add((r["source"], r["destination"], int(r["send_ns"]), int(r["receive_ns"]),
                     (int(m.group(1)), int(m.group(2)), int(m.group(3), 16))))
        self.assertEqual(got, PLANNED)
        with open(j) as f:
            doc = json.load(f)
        tr = {t["name"]: t for t in doc["matching"]["traces"]}
        self.assertEqual(tr["alpha"]["unusable"], {"net_dev_queue": 1})
        self.assertEqual(tr["beta"]["unusable"], {"net_if_receive_skb": 1})
        self.assertEqual(tr["alpha"]["events"], {"net_dev_queue": 5, "net_if_receive_skb": 1})
        self.assertEqual(tr["beta"]["tcp"]["receive"]["seen"], 4)
        self.assertEqual(tr["beta"]["tcp"]["receive"]["unmatched"], 1)
        self.assertEqual(doc["total"]["negative"], 1)


if __name__ == "__main__":
    unittest.main()
