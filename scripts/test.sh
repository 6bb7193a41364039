#!/bin/bash
# The whole test suite: installs what it needs, builds, runs every test
# (C unit tests, differential tests against babeltrace2, CLI and scenario
# tests) and ends with "N passed, N failed".
#   bash scripts/test.sh            normal build (build/)
#   SAN=1 bash scripts/test.sh      AddressSanitizer + UBSan build (build-san/)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
if [ "${SAN:-}" = 1 ]; then
    make -s -j2 SAN=1
    build=build-san
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
else
    make -s -j2
    build=build
fi
exec /usr/bin/python3 tests/run.py --build "$build" "$@"
