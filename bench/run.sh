#!/bin/bash
# All the benchmarks, each against babeltrace2 measured in the same run where
# there is a babeltrace2 equivalent:
#   decode   walking every event in time order (bench/bench.py decode)
#   latency  tracesync latency (bench/latency_bench.sh)
#   vm       tracesync vm (bench/vm_bench.sh)
#   sync     hull, Trace Compass compatible hull and piecewise (linear and wandering
#            clocks) on 10 M synthetic matches between 4 hosts, and piecewise between
#            2 hosts with wandering clocks (build/bench_sync_bench)
# Generated traces are kept in bench/out/ (about 2 GB in all).  Run by hand:
#   make -j2 && bash bench/run.sh [decode|latency|vm|sync ...]
set -euo pipefail
cd "$(dirname "$0")/.."
what=${*:-decode latency vm sync}
for w in $what; do
    echo "==== $w"
    case $w in
    decode) /usr/bin/python3 bench/bench.py decode --scale 6 ;;
    latency) bash bench/latency_bench.sh ;;
    vm) bash bench/vm_bench.sh ;;
    sync) ./build/bench_sync_bench && ./build/bench_sync_bench 10000000 2 w ;;
    *) echo "unknown benchmark $w" >&2; exit 2 ;;
    esac
done
