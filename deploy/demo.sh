#!/usr/bin/env bash
# The appliance's main job at this stage, end to end on one machine:
#   installs packages, builds, reserves hugepages, then runs edgelb-dataplane (one worker, DSR,
#   Maglev + conntrack) on a memif link fed by edgelb-pktgen with 100k flows toward two VIPs
#   (IPv4 DSR and IPv6 GUE), and prints the per-backend spread and the dataplane's counters;
#   then real TCP in network namespaces: a client, the appliance (net_af_packet on a veth, TAP
#   exception path) and three HTTP backends behind IPv4/IPv6 DSR VIPs (deploy/demo_netns.py);
#   then L7: an Edge-LB pool served by HAProxy that edgelb-agent renders from Mesos endpoints
#   (ZooKeeper, edgelb-mesos-sim, edgelb-apiserver, edgelb-agent; deploy/demo_agent.py).
# Usage (as root): bash deploy/demo.sh [SECONDS]   (default 5, at most 60)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
secs="${1:-5}"
[ "$secs" -ge 1 ] && [ "$secs" -le 60 ] || { echo "seconds must be 1..60" >&2; exit 2; }
cd "$root"
bash deploy/install-packages.sh
huge="$(deploy/hugepages.sh 512)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build --target edgelb-dataplane edgelb-pktgen edgelb-agent edgelb-apiserver edgelbctl \
  edgelb-mesos-sim > /dev/null

work="$(mktemp -d /tmp/edgelb-demo.XXXXXX)"
pg_pid=""
cleanup() {
  [ -n "$pg_pid" ] && kill "$pg_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
nohuge=(); [ "$huge" = hugepages ] || nohuge=(--no-huge)

cat > "$work/services.yaml" <<YAML
version: 1
services:
  - name: web-v4
    vip: 198.18.1.10
    port: 80
    protocol: tcp
    forwarding: dsr
    backends:
      - {address: 198.18.2.1, mac: "02:00:00:00:02:01"}
      - {address: 198.18.2.2, mac: "02:00:00:00:02:02"}
      - {address: 198.18.2.3, mac: "02:00:00:00:02:03", weight: 2}
  - name: dns-v6
    vip: "2001:db8:1::10"
    port: 53
    protocol: udp
    forwarding: gue
    backends:
      - {address: "2001:db8:3::1"}
      - {address: "2001:db8:3::2"}
YAML
cat > "$work/dataplane.yaml" <<YAML
eal: {file_prefix: edgelb-demo-dp, memory_mb: 512, hugepages: "$([ "$huge" = hugepages ] && echo auto || echo off)"}
workers: [1]
ports: [{device: "net_memif0,role=client,socket=$work/memif.sock"}]
conntrack: {capacity: 262144}
forwarding:
  gateway_mac: "02:00:00:00:00:fe"
  encap: {ipv4_source_prefix: 198.18.254.0/24, ipv6_source_prefix: "2001:db8:ffff::/64"}
YAML

echo "== edgelb-pktgen -> memif -> edgelb-dataplane (1 worker) -> memif -> edgelb-pktgen, ${secs}s"
build/perf/edgelb-pktgen --port "net_memif0,role=server,socket=$work/memif.sock" \
  --vip 198.18.1.10:80/tcp --vip 2001:db8:1::10:53/udp --flows 100000 --syn-ratio 0.05 \
  --duration "$secs" --file-prefix edgelb-demo-pg "${nohuge[@]}" > "$work/pktgen.json" 2> "$work/pktgen.log" &
pg_pid=$!
sleep 1
build/dataplane/edgelb-dataplane --config "$work/dataplane.yaml" --services "$work/services.yaml" \
  --duration $((secs + 2)) --stats-interval 1 --stats-json "$work/stats.json"
wait "$pg_pid"; pg_pid=""
cat "$work/pktgen.log"
/usr/bin/python3 - "$work/stats.json" "$work/pktgen.json" <<'PY'
import json, sys
st = json.load(open(sys.argv[1])); pg = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
print("\n== pktgen: sent %d, received %d, %.2f Mpps, loss %.4f%%" % (pg["sent"], pg["received"], pg["rx_mpps"], 100 * pg["loss"]))
for s in st["services"]:
    total = sum(b["packets"] for b in s["backends"]) or 1
    print("\n== %s %s:%d/%s (%s): %d packets, %d new flows" % (s["name"], s["vip"], s["port"], s["protocol"],
          s["forwarding"], s["packets"], s["new_flows"]))
    for b in s["backends"]:
        print("   %-16s %-6s %10d packets  %5.1f%%" % (b["address"], b["state"], b["packets"], 100.0 * b["packets"] / total))
t = st["totals"]
print("\n== dataplane: rx %d  forwarded %d  drops %d  flows %d/%d  cycles/packet %.0f  busy %.0f%%" % (
    t["rx_packets"], t["forwarded"], t["drops_total"], t["flows"], t["flow_capacity"], t["cycles_per_packet"], 100 * t["busy_ratio"]))
print("   drops by reason:", {k: v for k, v in t["drops"].items() if v} or "none")
PY

echo
echo "== real TCP through the dataplane in network namespaces, ${secs}s"
/usr/bin/python3 deploy/demo_netns.py build/dataplane/edgelb-dataplane "$secs"

echo
echo "== L7: an Edge-LB pool through HAProxy, rendered and supervised by edgelb-agent, ${secs}s of load"
/usr/bin/python3 deploy/demo_agent.py build "$secs"
