#!/usr/bin/env bash
# perf/bench.sh <scenario>: runs one benchmark scenario, writes perf/results/<scenario>.json and
# perf/results/<scenario>.md, keeps a timestamped copy under perf/results/runs/, and prints the
# result as one JSON object on the last line of stdout.
#   micro     in-process pipeline cost vs live flows, Maglev build time, memory per flow
#   l4-memif  edgelb-pktgen -> memif -> edgelb-dataplane (1 worker) -> back, against
#             dpdk-testpmd --forward-mode=macswap on the identical link, same cores, same packets,
#             in the same run; 1M flows, 64-byte frames
#   updates-under-load  control updates through the control socket while forwarding over memif,
#             open-loop at 1000/s and closed-loop, 3 runs each: apply-to-live p50/p99, the
#             highest sustained rate, worker stall and CPU waits, loss in the worst run (target 0)
#   syn-flood spoofed SYNs at full rate plus 10k established flows, guard on and off:
#             established packets lost, flows moved, table evictions
#   exception-path  punted packets/s through the TAP and what punting costs the fast path
#   apiserver create/update latency p50/p99 and throughput through edgelb-apiserver (mutual TLS)
#   mesos     mesos-listener: events decoded/s, memory per task, sim event -> Watch latency (10k tasks)
#             on a local ZooKeeper; ListPools with 1000 pools
#   haproxy-membership  HAProxy's servers changed at runtime two ways, on one HAProxy binary:
#             fixed slots vs dynamic servers named by task (add/del server): time per change,
#             memory, servers in maintenance, reloads to grow a backend
#   agent     edgelb-agent + HAProxy: Mesos event -> server live (100 apps x 10 tasks), reloads per
#             membership change, pool update -> live, memory; rendering 100 backends x 50 servers
#   appliance the whole appliance in namespaces (dataplane + TAP, ZooKeeper, sim, apiserver, agent,
#             HAProxy): Mesos event -> live in all dataplane workers and in HAProxy, pool update ->
#             live, fast-path drops during 1000 task changes
#   peers     edgelb beside the Linux kernel (nftables DNAT + conntrack; IPVS where the kernel has
#             it), HAProxy mode tcp and nginx stream on one link under one wrk load: requests/s
#             keep-alive and with a new connection each, p50/p99/p99.9 at a fixed rate, failed
#             requests, LB CPU per 1000 requests; UDP packets/s delivered by the L4 balancers
#             (edgelb-pktgen over net_af_packet); ratios to the kernel balancer
#   faults    throughput over time while the whole appliance rides out a fault (tests/system/faults.py
#             cases under their HTTP loads): per path the dip, the outage, the slowest request,
#             failed requests (target 0); BENCH_FAULT_CASES="a,b" picks the cases
#   report    every scenario (or --only a,b, or --quick) 3 times: perf/results/report.{md,html} with
#             plots, targets met/missed, min/median/max, and the comparison with the previous report
#             (--fail-on-regression: exit 1 when a figure moved the wrong way past its noise band)
#   ndr       RFC 2544-style zero-loss (NDR) and 0.1 %-loss (PDR) rates of edgelb and of
#             dpdk-testpmd on the same memif link: 64 B, 512 B, IMIX; 1K and 1M flows; 3 repetitions
#             (BENCH_NDR_ARGS="--quick" for a few minutes)
# Environment: BENCH_SECONDS (default 10), BENCH_FLOWS (default 1000000).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scenario="${1:-}"
cd "$root"
results="$root/perf/results"
mkdir -p "$results/runs"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"

build() {
  bash deploy/install-packages.sh > /dev/null
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
  cmake --build build --target "$@" > /dev/null
}

finish() {  # json-file md-file
  cp "$1" "$results/runs/$scenario-$stamp.json"
  cat "$2"
  /usr/bin/python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$1"
}

case "$scenario" in
  micro)
    build edgelb-micro-bench
    raw="$(mktemp)"
    build/perf/edgelb-micro-bench --benchmark_format=json --benchmark_out="$raw" > /dev/null
    /usr/bin/python3 perf/micro_report.py micro "$raw" "$results/micro.json" "$results/micro.md"
    rm -f "$raw"
    finish "$results/micro.json" "$results/micro.md"
    ;;
  l4-memif)
    build edgelb-dataplane edgelb-pktgen
    /usr/bin/python3 perf/l4_memif.py --seconds "${BENCH_SECONDS:-10}" --flows "${BENCH_FLOWS:-1000000}" \
      --out "$results/l4-memif.json" --md "$results/l4-memif.md"
    finish "$results/l4-memif.json" "$results/l4-memif.md"
    ;;
  updates-under-load)
    build edgelb-dataplane edgelb-pktgen edgelb-control-bench
    /usr/bin/python3 perf/updates_under_load.py --seconds "${BENCH_SECONDS:-8}" \
      --out "$results/updates-under-load.json" --md "$results/updates-under-load.md"
    finish "$results/updates-under-load.json" "$results/updates-under-load.md"
    ;;
  syn-flood)
    build edgelb-dataplane edgelb-pktgen
    /usr/bin/python3 perf/syn_flood.py --seconds "${BENCH_SECONDS:-10}" \
      --out "$results/syn-flood.json" --md "$results/syn-flood.md"
    finish "$results/syn-flood.json" "$results/syn-flood.md"
    ;;
  exception-path)
    build edgelb-dataplane edgelb-pktgen
    /usr/bin/python3 perf/exception_path.py --seconds "${BENCH_SECONDS:-6}" \
      --out "$results/exception-path.json" --md "$results/exception-path.md"
    finish "$results/exception-path.json" "$results/exception-path.md"
    ;;
  apiserver)
    build edgelb-apiserver edgelbctl edgelb-apiserver-bench
    /usr/bin/python3 perf/apiserver_bench.py --seconds "${BENCH_SECONDS:-5}" \
      --out "$results/apiserver.json" --md "$results/apiserver.md"
    finish "$results/apiserver.json" "$results/apiserver.md"
    ;;
  mesos)
    build edgelb-apiserver edgelbctl edgelb-mesos-sim edgelb-mesos-bench
    /usr/bin/python3 perf/mesos_bench.py --stream "tests/fixtures/mesos/real/dcos-net_operator-api.stream.jsonl" \
      --tasks "${BENCH_TASKS:-10000}" --out "$results/mesos.json" --md "$results/mesos.md"
    finish "$results/mesos.json" "$results/mesos.md"
    ;;
  haproxy-membership)
    bash deploy/install-packages.sh > /dev/null
    /usr/bin/python3 perf/haproxy_membership.py --out "$results/haproxy-membership.json" \
      --md "$results/haproxy-membership.md"
    finish "$results/haproxy-membership.json" "$results/haproxy-membership.md"
    ;;
  agent)
    build edgelb-apiserver edgelbctl edgelb-mesos-sim edgelb-agent edgelb-agent-render-bench
    /usr/bin/python3 perf/agent_bench.py --samples "${BENCH_SAMPLES:-300}" \
      --out "$results/agent.json" --md "$results/agent.md"
    finish "$results/agent.json" "$results/agent.md"
    ;;
  appliance)
    build edgelb-dataplane edgelb-dpctl edgelb-apiserver edgelbctl edgelb-mesos-sim edgelb-agent
    deploy/edgelb-tune hugepages --pages 512
    /usr/bin/python3 perf/appliance_bench.py --samples "${BENCH_SAMPLES:-300}" \
      --changes "${BENCH_CHANGES:-1000}" --out "$results/appliance.json" --md "$results/appliance.md"
    finish "$results/appliance.json" "$results/appliance.md"
    ;;
  faults)
    build edgelb-dataplane edgelb-dpctl edgelb-apiserver edgelbctl edgelb-mesos-sim edgelb-agent
    deploy/edgelb-tune hugepages --pages 512
    /usr/bin/python3 perf/faults.py ${BENCH_FAULT_CASES:+--cases "$BENCH_FAULT_CASES"} \
      --out "$results/faults.json" --md "$results/faults.md"
    finish "$results/faults.json" "$results/faults.md"
    ;;
  peers)
    build edgelb-dataplane edgelb-dpctl edgelb-pktgen
    bash deploy/install-packages.sh perf/debian-packages.txt > /dev/null
    /usr/bin/python3 perf/peers.py --seconds "${BENCH_SECONDS:-10}" --rate "${BENCH_RATE:-2000}" \
      --out "$results/peers.json" --md "$results/peers.md"
    finish "$results/peers.json" "$results/peers.md"
    ;;
  ndr)
    build edgelb-dataplane edgelb-pktgen
    # shellcheck disable=SC2086  # BENCH_NDR_ARGS is a list of options
    /usr/bin/python3 perf/ndr.py --seconds "${BENCH_SECONDS:-10}" ${BENCH_NDR_ARGS:-} \
      --out "$results/ndr.json" --md "$results/ndr.md"
    finish "$results/ndr.json" "$results/ndr.md"
    ;;
  report)
    bash deploy/install-packages.sh deploy/debian-packages.txt perf/debian-packages.txt > /dev/null
    shift
    exec /usr/bin/python3 perf/report.py "$@"
    ;;
  *)
    echo "usage: perf/bench.sh micro|l4-memif|updates-under-load|syn-flood|exception-path|apiserver|mesos|haproxy-membership|agent|appliance|faults|peers|ndr|report [--quick] [--only a,b] [--fail-on-regression]" >&2
    exit 2
    ;;
esac
