#!/bin/bash
# Build the libFuzzer targets and run each for a bounded time, seeded with the
# bundled real traces.  Fails on any crash, hang (timeout) or sanitizer report.
#   bash fuzz/run.sh [SECONDS]     (default 60 per target)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-${FUZZ_SECONDS:-60}}
export TS_ROOT=$PWD
make -s fuzz
work=build-fuzz/corpus
rm -rf "$work"
mkdir -p "$work/metadata" "$work/stream" "$work/formulas"
i=0
for m in $(find tests/data/traces -name metadata | sort); do
    cp "$m" "$work/metadata/seed$i"
    i=$((i + 1))
done
for f in tests/data/fuzz-regress/metadata-*; do [ -e "$f" ] && cp "$f" "$work/metadata/"; done
for f in tests/data/fuzz-regress/stream-*; do [ -e "$f" ] && cp "$f" "$work/stream/"; done
mkdir -p "$work/piecewise"
for f in tests/data/fuzz-regress/piecewise-*; do [ -e "$f" ] && cp "$f" "$work/piecewise/"; done
# stream seeds: selector byte + the first 16 KiB of one stream file per trace
seed() { # selector file
    { printf "\\x$(printf %02x "$1")"; head -c 16384 "$2"; } > "$work/stream/seed-$1-$(basename "$2")"
}
seed 0 tests/data/traces/bt-lttng-tracefile-rotation/kernel/mychan_0_0
seed 1 tests/data/traces/tc-synctraces/scp_src/channel0_0
seed 2 tests/data/traces/tc-flipping-endianness/channel-context-switches_0
seed 3 tests/data/traces/bt-multi-domains/kernel/kernel_channel_0
# formulas seeds: a linear and a piecewise FORMULAS.json
cat > "$work/formulas/seed-linear.json" <<'JSON'
{"reference": "host", "traces": [{"name": "host", "path": "/t/host", "host_id": "a", "quality": "reference", "slope": "1", "offset_ns": "0"},
 {"name": "guest", "path": "/t/guest", "host_id": "b", "quality": "accurate", "slope": "1.000012345678901234567", "offset_ns": "-35123.25"}]}
JSON
cat > "$work/formulas/seed-segments.json" <<'JSON'
{"reference": "host", "traces": [{"name": "guest", "path": "/t/g", "host_id": "b", "quality": "accurate", "slope": "1.00001", "offset_ns": "12",
 "segments": [{"start_ns": "0", "end_ns": "1700000000000000000", "slope": "1.00001", "offset_ns": "12"},
              {"start_ns": "1700000000000000000", "end_ns": "1800000000000000000", "slope": "0.99999", "offset_ns": "34000000000012"}]}]}
JSON
status=0
targets=$(cd build-fuzz && ls fuzz_* | grep -v '\.log$' | sed 's/^fuzz_//')
for t in $targets; do
    mkdir -p "$work/$t"
    echo "== fuzz_$t for ${secs}s"
    if ! ./build-fuzz/fuzz_$t -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 "$work/$t" >"build-fuzz/fuzz_$t.log" 2>&1; then
        echo "fuzz_$t FAILED:"
        tail -60 "build-fuzz/fuzz_$t.log"
        status=1
    else
        grep -E "stat::number_of_executed_units|Done" "build-fuzz/fuzz_$t.log" | tail -2
    fi
done
rm -rf /tmp/ts-fuzz-*
exit $status
