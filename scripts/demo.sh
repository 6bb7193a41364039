#!/bin/bash
# The demo: installs what it needs, builds tracesync, generates a KVM host with
# two guests and a physical peer whose clocks are known (`tracesync simulate
# --preset default`), then runs the main job on it: how far apart are the
# clocks (latency), synchronize them (sync), and check the result against the
# host's vCPU scheduling (vm), before and after the correction.
#   bash scripts/demo.sh [OUTDIR]      (default demo-out/)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
make -s -j2
ts=./build/tracesync
out=${1:-demo-out}
step() { printf '\n==== %s\n' "$*"; }

step "tracesync simulate --preset default -o $out"
$ts simulate --preset default -o "$out" --force

step "tracesync info --top 3 $out"
$ts info --top 3 "$out"

step "tracesync latency -q $out    (raw clocks: negative latencies are receives before their sends)"
$ts latency -q --svg "$out/latency-raw.svg" "$out"

step "tracesync sync --method piecewise -o $out/formulas.json $out"
$ts sync --method piecewise --no-latency -o "$out/formulas.json" "$out"

step "tracesync latency -q --formulas $out/formulas.json $out    (before and after)"
$ts latency -q --formulas "$out/formulas.json" --svg "$out/latency.svg" --json "$out/latency.json" "$out"

step "tracesync vm --top 3 $out    (raw clocks)"
$ts vm --top 3 "$out"

step "tracesync vm --top 3 --formulas $out/formulas.json $out    (synchronized)"
$ts vm --top 3 --formulas "$out/formulas.json" --svg "$out/vm.svg" --json "$out/vm.json" "$out"

printf '\nFiles: %s/ (traces, truth.json, formulas.json, latency.svg, latency.json, vm.svg, vm.json)\n' "$out"
