#!/usr/bin/env bash
# Benchmark of `tracesync latency` against babeltrace2 merely reading the same traces.
#
#   bash bench/latency_bench.sh [-m MILLION_EVENTS] [-d WORKDIR] [-r RUNS]
#
# Generates (once, kept in WORKDIR, default bench/out/latency) two scenarios with
# `tracesync simulate --preset default` (a KVM host, two guests and a peer exchanging TCP
# and vmsync, lttng-modules 2.13 layout): one of about MILLION_EVENTS million events
# (default 20) and one of half that length.  Then, for each, it measures wall time and
# peak RSS (best of RUNS runs, default 3) of
#   tracesync latency -q DIR                  (match + statistics, all threads)
#   babeltrace2 -c sink.utils.dummy DIR       (decode and merge every event, nothing else)
# and prints the speed ratio and both peak RSS, to check that the RSS of
# `tracesync latency` does not grow with the trace length.
# The 20 M-event scenario takes about 500 MB of disk; run it by hand, not in tests:
#   make -j2 && bash bench/latency_bench.sh            # the full benchmark
#   bash bench/latency_bench.sh -m 2 -r 1             # a quick look
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TS_BUILD:-$ROOT/build}/tracesync
MEV=20
WORK=$ROOT/bench/out/latency
RUNS=3
while getopts "m:d:r:h" o; do
    case $o in
    m) MEV=$OPTARG ;;
    d) WORK=$OPTARG ;;
    r) RUNS=$OPTARG ;;
    *) sed -n '2,17p' "$0"; exit 2 ;;
    esac
done
[ -x "$BIN" ] || { echo "no $BIN: run make first" >&2; exit 1; }
command -v babeltrace2 >/dev/null || { echo "babeltrace2 is not installed" >&2; exit 1; }
mkdir -p "$WORK"

# The default preset makes about 1.42 M events per simulated second.
gen() { # gen DIR MILLION_EVENTS
    local dir=$1 mev=$2
    if [ ! -f "$dir/truth.json" ]; then
        local ms=$(awk -v m="$mev" 'BEGIN { printf "%d", m * 1000 / 1.42 }')
        "$BIN" simulate -q --preset default --duration "${ms}ms" --no-truth-matches \
            -o "$dir" --force
    fi
}

. "$ROOT/bench/lib.sh" # measure

events_of() { # total events written, from truth.json
    /usr/bin/python3 -c 'import json,sys; print(sum(m["events_total"] for m in json.load(open(sys.argv[1]))["machines"]))' "$1/truth.json"
}

half=$(awk -v m="$MEV" 'BEGIN { printf "%g", m / 2 }')
gen "$WORK/half" "$half"
gen "$WORK/full" "$MEV"

printf "%-6s %12s %10s %11s %10s %11s %8s\n" size events "latency s" "latency MB" "bt2 s" "bt2 MB" ratio
for size in half full; do
    dir=$WORK/$size
    n=$(events_of "$dir")
    r=$(measure "$BIN" latency -q "$dir")
    [ -n "$r" ] || exit 1
    read -r ts tr <<<"$r"
    r=$(measure babeltrace2 -c sink.utils.dummy "$dir")
    [ -n "$r" ] || exit 1
    read -r bs br <<<"$r"
    awk -v s="$size" -v n="$n" -v ts="$ts" -v tr="$tr" -v bs="$bs" -v br="$br" 'BEGIN {
        printf "%-6s %12d %10.2f %11.1f %10.2f %11.1f %7.1fx\n", s, n, ts, tr / 1024, bs, br / 1024,
               (ts > 0 ? bs / ts : 0) }'
done
echo "(wall time: best of $RUNS runs; MB: peak RSS of that run; ratio: babeltrace2 time / tracesync time)"
