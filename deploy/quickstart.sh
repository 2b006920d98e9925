#!/usr/bin/env bash
# The appliance's main job, end to end on this one machine (as root, Debian 12):
#   installs the packages it needs, builds, reserves hugepages, then brings up the whole
#   appliance in network namespaces it creates - edgelb-dataplane (net_af_xdp, else
#   net_af_packet) with its TAP, ZooKeeper, edgelb-apiserver with the mesos-listener,
#   edgelb-mesos-sim with two Marathon apps whose tasks are real HTTP servers, edgelb-agent
#   running HAProxy and programming the dataplane - creates an Edge-LB pool with edgelbctl (an
#   HTTP frontend with host/path rules and a fastPath VIP in DSR), sends traffic to both while
#   an app scales up, drains a task and scales down, and prints a report (deploy/quickstart.py).
# Usage: bash deploy/quickstart.sh [--seconds N] [--keep]
#   --seconds N  load per phase (default 6, 2..30)
#   --keep       leave it running and print commands to poke at it; Ctrl-C removes it
# Without --keep everything it started or created is removed at the end, also on failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
step() { echo "== $*"; }
fail() { echo "quickstart FAILED at step: $1" >&2; exit 1; }

step "packages (deploy/debian-packages.txt)"
bash deploy/install-packages.sh || fail "installing packages"
step "hugepages"
echo "   $(deploy/edgelb-tune hugepages --pages 512) (without them DPDK falls back to --no-huge memory)"
step "build (cmake + ninja, RelWithDebInfo; the first build takes a few minutes)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null || fail "cmake configure"
cmake --build build --target edgelb-dataplane edgelb-dpctl edgelb-agent edgelb-apiserver edgelbctl \
  edgelb-mesos-sim > build/quickstart-build.log 2>&1 || { tail -20 build/quickstart-build.log >&2; fail "build"; }
exec /usr/bin/python3 deploy/quickstart.py build "$@"
