"""`tracesync latency` on real traces: statistics against Python's statistics module on
the CSV, the JSON contract, corrections, sorting, time windows, the SVG, bad input."""
import csv
import json
import math
import os
import statistics
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

import bt2_oracle
import harness

SCP = os.path.join(harness.TRACES, "tc-synctraces")
CONTRACT = ["count", "min_ns", "max_ns", "mean_ns", "stddev_ns", "median_ns", "p99_ns",
            "negative"]


def latency(args, tmp, name="out", check=True):
    """Run tracesync latency with --json and --csv into tmp; returns (proc, doc, rows)."""
    j = os.path.join(tmp, name + ".json")
    c = os.path.join(tmp, name + ".csv")
    p = harness.run(["latency", "--json", j, "--csv", c] + args, check=check)
    if p.returncode not in (0, 3):
        return p, None, None
    with open(j) as f:
        doc = json.load(f)
    with open(c, newline="") as f:
        rows = list(csv.DictReader(f))
    return p, doc, rows


def expected_stats(values):
    s = sorted(values)
    out = {"count": len(s), "min_ns": s[0], "max_ns": s[-1], "mean_ns": statistics.mean(s),
           "median_ns": statistics.median(s), "negative": sum(1 for v in s if v < 0)}
    out["stddev_ns"] = statistics.stdev(s) if len(s) >= 2 else None
    out["p99_ns"] = (statistics.quantiles(s, n=100, method="inclusive")[98] if len(s) >= 2
                     else s[0])
    return out


class LatencyStats(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.proc, cls.doc, cls.rows = latency([SCP], cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check_stats(self, got, values, what):
        exp = expected_stats(values)
        for k in ("count", "min_ns", "max_ns", "negative"):
            self.assertEqual(got[k], exp[k], (what, k))
        for k in ("mean_ns", "median_ns", "p99_ns", "stddev_ns"):
            # printed with 3 decimals
            self.assertTrue(math.isclose(got[k], exp[k], rel_tol=1e-12, abs_tol=1e-3),
                            (what, k, got[k], exp[k]))

    def test_contract_keys(self):
        self.assertIsInstance(self.doc["pairs"], list)
        self.assertGreater(len(self.doc["pairs"]), 0)
        for p in self.doc["pairs"]:
            for k in ["source", "destination", "kind"] + CONTRACT:
                self.assertIn(k, p)
            self.assertIn(p["kind"], ("tcp", "vmsync"))
            self.assertNotIn("uncorrected", p)
        for k in CONTRACT:
            self.assertIn(k, self.doc["total"])

    def test_pairs_against_python_statistics(self):
        groups = {}
        for r in self.rows:
            groups.setdefault((r["source"], r["destination"], r["kind"]), []).append(
                int(r["latency_ns"]))
        self.assertEqual(len(groups), len(self.doc["pairs"]))
        for p in self.doc["pairs"]:
            vals = groups[(p["source"], p["destination"], p["kind"])]
            self.check_stats(p, vals, (p["source"], p["destination"]))
            self.assertTrue(p["exact_quantiles"])
        self.check_stats(self.doc["total"], [int(r["latency_ns"]) for r in self.rows], "total")

    def test_latency_is_receive_minus_send(self):
        for r in self.rows:
            self.assertEqual(int(r["latency_ns"]), int(r["receive_ns"]) - int(r["send_ns"]))
            self.assertNotEqual(r["source"], r["destination"])

    def test_table_printed(self):
        out = self.proc.stdout
        lines = out.splitlines()
        self.assertTrue(lines[0].split()[:4] == ["source", "destination", "kind", "count"])
        total = [l for l in lines if l.startswith("total")]
        self.assertEqual(len(total), 1)
        self.assertEqual(total[0].split()[1], str(self.doc["total"]["count"]))
        for p in self.doc["pairs"]:
            self.assertTrue(any(l.split()[:4] == [p["source"], p["destination"], p["kind"],
                                                  str(p["count"])] for l in lines), p)
        # the columns line up: every row of the statistics table has the header's width
        width = len(lines[0])
        for l in lines[2:lines.index(total[0]) + 1]:
            if not l.startswith("-"):
                self.assertEqual(len(l), width, l)


class LatencyCorrections(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        _, cls.base, cls.base_rows = latency([SCP], cls.tmp.name, "base")
        names = [t["name"] for t in cls.base["traces"]]
        cls.a, cls.b = names[0], names[1]
        cls.proc, cls.doc, cls.rows = latency(
            ["--offset", "%s=-5us" % cls.a, "--offset", "%s=1.5ms" % cls.b,
             "--offset", "%s=+2us" % cls.a, SCP], cls.tmp.name, "off")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_shift(self):
        shift = {self.a: -3000, self.b: 1500000}
        self.assertEqual(len(self.rows), len(self.base_rows))
        for r in self.rows:
            self.assertEqual(int(r["send_ns"]) - int(r["send_raw_ns"]), shift[r["source"]])
            self.assertEqual(int(r["receive_ns"]) - int(r["receive_raw_ns"]),
                             shift[r["destination"]])
            self.assertEqual(int(r["latency_ns"]) - int(r["latency_raw_ns"]),
                             shift[r["destination"]] - shift[r["source"]])

    def test_json_corrected_and_uncorrected(self):
        self.assertTrue(self.doc["corrected"])
        base = {(p["source"], p["destination"], p["kind"]): p for p in self.base["pairs"]}
        for p in self.doc["pairs"]:
            u = p["uncorrected"]
            for k in CONTRACT:
                self.assertIn(k, u)
            b = base[(p["source"], p["destination"], p["kind"])]
            for k in CONTRACT:
                self.assertEqual(u[k], b[k], k)
            vals = [int(r["latency_ns"]) for r in self.rows
                    if (r["source"], r["destination"]) == (p["source"], p["destination"])]
            self.assertEqual(p["min_ns"], min(vals))
            self.assertEqual(p["max_ns"], max(vals))
        for k in CONTRACT:
            self.assertIn(k, self.doc["total"]["uncorrected"])
            self.assertEqual(self.doc["total"]["uncorrected"][k], self.base["total"][k])

    def test_table_side_by_side(self):
        head = self.proc.stdout.splitlines()[0]
        self.assertIn("min raw", head)
        self.assertIn("min corr", head)
        self.assertLess(head.index("min raw"), head.index("min corr"))

    def test_offset_cancels_clock_difference(self):
        # shifting the receiver of one direction by the mean latency of that direction
        # moves that mean to zero: the correction reaches the statistics
        p = next(p for p in self.base["pairs"])
        off = -round(p["mean_ns"])
        _, doc, _ = latency(["--offset", "%s=%d" % (p["destination"], off), SCP],
                            self.tmp.name, "cancel")
        q = next(x for x in doc["pairs"] if (x["source"], x["destination"]) ==
                 (p["source"], p["destination"]))
        self.assertLess(abs(q["mean_ns"]), 1.0)
        self.assertEqual(q["uncorrected"]["mean_ns"], p["mean_ns"])

    def test_formulas_file(self):
        f = os.path.join(self.tmp.name, "formulas.json")
        with open(f, "w") as fh:
            json.dump({"traces": [{"name": self.b, "slope": "1", "offset_ns": "1500000"}]}, fh)
        _, doc, rows = latency(["--formulas", f, SCP], self.tmp.name, "formulas")
        self.assertTrue(doc["corrected"])
        for r in rows:
            exp = 1500000 if r["destination"] == self.b else -1500000
            self.assertEqual(int(r["latency_ns"]) - int(r["latency_raw_ns"]), exp)


class LatencyOptions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        _, cls.doc, cls.rows = latency([SCP], cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_sort_orders(self):
        keys = {
            "send": lambda r: (int(r["send_ns"]), int(r["receive_ns"])),
            "receive": lambda r: (int(r["receive_ns"]), int(r["send_ns"])),
            "latency": lambda r: (int(r["latency_ns"]), int(r["send_ns"])),
            "pair": lambda r: (r["source"], r["destination"], r["kind"], int(r["send_ns"])),
        }
        for order, key in keys.items():
            _, _, rows = latency(["--sort", order, SCP], self.tmp.name, "sort-" + order)
            self.assertEqual(sorted(map(str, rows)), sorted(map(str, self.rows)), order)
            self.assertEqual([key(r) for r in rows], sorted(key(r) for r in rows), order)

    def test_window(self):
        sends = sorted(int(r["send_ns"]) for r in self.rows)
        t0 = min(min(int(r["send_ns"]), int(r["receive_ns"])) for r in self.rows)
        mid = sends[len(sends) // 2]
        _, doc, rows = latency(["--begin", str(mid), SCP], self.tmp.name, "win")
        self.assertGreater(len(rows), 0)
        self.assertLess(len(rows), len(self.rows))
        for r in rows:
            self.assertGreaterEqual(min(int(r["send_ns"]), int(r["receive_ns"])), mid)
        # every match whose two events are in the window is found again
        full = {(r["send_ns"], r["receive_ns"]) for r in self.rows
                if min(int(r["send_ns"]), int(r["receive_ns"])) >= mid}
        self.assertEqual({(r["send_ns"], r["receive_ns"]) for r in rows}, full)
        self.assertEqual(doc["total"]["count"], len(rows))
        # an --end before every match: nothing
        _, doc2, rows2 = latency(["--end", str(t0 - 1), SCP], self.tmp.name, "win2")
        self.assertEqual(rows2, [])
        self.assertEqual(doc2["total"]["count"], 0)
        self.assertIsNone(doc2["total"]["min_ns"])

    def test_relative_window(self):
        # "+DURATION" counts from the set's start: a window of the whole range keeps all
        _, doc, rows = latency(["--begin", "+0s", "--end", "+1h", SCP], self.tmp.name, "rel")
        self.assertEqual(len(rows), len(self.rows))
        _, doc, rows = latency(["--end", "+0ns", SCP], self.tmp.name, "rel0")
        self.assertEqual(len(rows), 0)

    def test_kind_filter(self):
        _, doc, rows = latency(["--kind", "vmsync", SCP], self.tmp.name, "kind")
        self.assertEqual(rows, [])
        for t in doc["matching"]["traces"]:
            self.assertEqual(t["tcp"]["send"]["seen"], 0)

    def test_svg(self):
        svg = os.path.join(self.tmp.name, "p.svg")
        harness.run(["latency", "-q", "--svg", svg, SCP])
        root = ET.parse(svg).getroot()
        ns = "{http://www.w3.org/2000/svg}"
        self.assertEqual(root.tag, ns + "svg")
        texts = ["".join(t.itertext()) for t in root.iter(ns + "text")]
        for p in self.doc["pairs"]:
            legend = "%s \u2192 %s %s (%d)" % (p["source"], p["destination"], p["kind"],
                                               p["count"])
            self.assertIn(legend, texts)
        self.assertTrue(any("latency" in t and "(ms)" in t for t in texts), texts)
        paths = [e for e in root.iter(ns + "path") if "pts" in e.get("class", "")]
        self.assertEqual(len(paths), len(self.doc["pairs"]))
        markers = sum(e.get("d").count("M") for e in paths)
        # few enough matches: every one is drawn
        self.assertEqual(markers, len(self.rows))

    def test_bad_input(self):
        p = harness.run(["latency", "--sort", "sideways", SCP], check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("sideways", p.stderr)
        p = harness.run(["latency", "--offset", "nosuchtrace=1us", SCP], check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("nosuchtrace", p.stderr)
        for t in self.doc["traces"]:
            self.assertIn(t["name"], p.stderr)
        p = harness.run(["latency", "--offset", "%s=5 parsecs" % self.doc["traces"][0]["name"],
                         SCP], check=False)
        self.assertEqual(p.returncode, 2)
        p = harness.run(["latency", "--max-age", "-3s", SCP], check=False)
        self.assertEqual(p.returncode, 2)
        p = harness.run(["latency", os.path.join(self.tmp.name, "missing")], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("missing", p.stderr)
        p = harness.run(["latency"], check=False)
        self.assertEqual(p.returncode, 2)
        p = harness.run(["latency", "--formulas", os.path.join(self.tmp.name, "nope.json"),
                         SCP], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("nope.json", p.stderr)
        p = harness.run(["latency", "--csv", "/nonexistent-dir/x.csv", SCP], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("/nonexistent-dir/x.csv", p.stderr)

    def test_help(self):
        p = harness.run(["latency", "--help"])
        for opt in ("--json", "--csv", "--sort", "--svg", "--begin", "--end", "--offset",
                    "--formulas"):
            self.assertIn(opt, p.stdout)


class LatencyNoHeader(unittest.TestCase):
    """tc-bug446190: network events without IP/TCP headers are counted, not matched."""

    def test_counted_as_unusable(self):
        path = os.path.join(harness.TRACES, "tc-bug446190")
        with tempfile.TemporaryDirectory() as tmp:
            _, doc, rows = latency([path], tmp)
        self.assertEqual(rows, [])
        ref = {}
        for e in bt2_oracle.read_trace(path):
            if e["name"] in ("net_dev_queue", "netif_receive_skb"):
                self.assertNotIn("network_header", e["fields"])
                ref[e["name"]] = ref.get(e["name"], 0) + 1
        self.assertGreater(sum(ref.values()), 0)
        (t,) = doc["matching"]["traces"]
        self.assertEqual(t["events"], ref)
        self.assertEqual(t["unusable"], ref)
        self.assertEqual(t["tcp"]["send"]["seen"], 0)


if __name__ == "__main__":
    unittest.main()
