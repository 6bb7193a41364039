#!/usr/bin/env bash
# Benchmark of `tracesync vm` against babeltrace2 merely reading the same traces.
#
#   bash bench/vm_bench.sh [-s SCALE] [-d WORKDIR] [-r RUNS]
#
# Generates (once, kept in WORKDIR, default bench/out/vm) two scenarios with
# `tracesync simulate --preset default --scale X` (a KVM host and two guests, plus a
# physical peer that the benchmark leaves out; lttng-modules 2.13 layout): one at SCALE
# (default 4: about 20 M events in the host and the two guests) and one at SCALE/2.
# For each, it measures wall time and peak RSS (best of RUNS runs, default 3) of
#   tracesync vm HOST GUEST1 GUEST2                the analysis (guests checked in parallel)
#   tracesync vm --csv FILE HOST GUEST1 GUEST2     the same writing every bad event (the
#                                                  guests then checked in one time-ordered pass)
#   babeltrace2 -c sink.utils.dummy HOST GUEST1 GUEST2   decode and merge every event, nothing else
# and prints the speed ratios, both peak RSS and the out-periods the analysis keeps, to
# check that the memory of `tracesync vm` follows the state changes kept, not the guest
# events.  The full scenario takes about 450 MB of disk; run it by hand, not in tests:
#   make -j2 && bash bench/vm_bench.sh             # the full benchmark
#   bash bench/vm_bench.sh -s 0.5 -r 1             # a quick look
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TS_BUILD:-$ROOT/build}/tracesync
SCALE=4
WORK=$ROOT/bench/out/vm
RUNS=3
while getopts "s:d:r:h" o; do
    case $o in
    s) SCALE=$OPTARG ;;
    d) WORK=$OPTARG ;;
    r) RUNS=$OPTARG ;;
    *) sed -n '2,20p' "$0"; exit 2 ;;
    esac
done
[ -x "$BIN" ] || { echo "no $BIN: run make first" >&2; exit 1; }
command -v babeltrace2 >/dev/null || { echo "babeltrace2 is not installed" >&2; exit 1; }
mkdir -p "$WORK"

gen() { # gen DIR SCALE
    if [ ! -f "$1/truth.json" ]; then
        "$BIN" simulate -q --preset default --scale "$2" --no-truth-matches -o "$1" --force
    fi
}

. "$ROOT/bench/lib.sh" # measure

half=$(awk -v s="$SCALE" 'BEGIN { printf "%g", s / 2 }')
gen "$WORK/half" "$half"
gen "$WORK/full" "$SCALE"

printf "%-5s %11s %9s %8s %10s %8s %8s %8s %7s %7s\n" size events periods "vm s" "vm+csv s" "vm MB" \
    "bt2 s" "bt2 MB" ratio "ratio+csv"
for size in half full; do
    dir=$WORK/$size
    traces=("$dir/host0" "$dir/guest1" "$dir/guest2")
    n=$(/usr/bin/python3 -c 'import json,sys; print(sum(m["events_total"] for m in json.load(open(sys.argv[1]))["machines"] if m["name"] != "peer0"))' "$dir/truth.json")
    "$BIN" vm --json "$WORK/$size.json" "${traces[@]}" >/dev/null
    periods=$(/usr/bin/python3 -c 'import json,sys; print(sum(v["out_periods"] + v["unknown_ranges"] for g in json.load(open(sys.argv[1]))["guests"] for v in g["vcpus"]))' "$WORK/$size.json")
    read -r vs vr <<<"$(measure "$BIN" vm "${traces[@]}")"
    read -r cs _ <<<"$(measure "$BIN" vm --csv "$WORK/$size-bad.csv" "${traces[@]}")"
    read -r bs br <<<"$(measure babeltrace2 -c sink.utils.dummy "${traces[@]}")"
    awk -v s="$size" -v n="$n" -v p="$periods" -v vs="$vs" -v cs="$cs" -v vr="$vr" -v bs="$bs" \
        -v br="$br" 'BEGIN {
        printf "%-5s %11d %9d %8.2f %10.2f %8.1f %8.2f %8.1f %6.1fx %6.1fx\n", s, n, p, vs, cs,
               vr / 1024, bs, br / 1024, (vs > 0 ? bs / vs : 0), (cs > 0 ? bs / cs : 0) }'
done
echo "(events: in the host and the two guests; periods: out-periods and unknown ranges kept;"
echo " wall time: best of $RUNS runs; MB: peak RSS of that run; ratio: babeltrace2 time /"
echo " tracesync vm time)"
