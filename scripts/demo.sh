#!/bin/bash
# The demo: installs what it needs, builds tracesync, and runs it on the
# bundled real traces (the generated host + guests scenario takes over once
# `tracesync simulate` is part of the build).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
make -s -j2
T=tests/data/traces/tc-synctraces
echo "== tracesync info $T"
./build/tracesync info --top 5 "$T"
echo
echo "== tracesync dump --format jsonl $T (first 3 TCP events)"
./build/tracesync dump --format jsonl "$T" | grep -m 3 inet_sock_local
