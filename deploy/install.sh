#!/usr/bin/env bash
# Installs edgelb on a bare Debian 12 box, idempotently (a second run changes nothing):
#   deploy/install.sh --deb edgelb_0.1.0-1_amd64.deb [--enable]   from a package
#   deploy/install.sh --build-dir build [--enable]                   from a build tree (packs it first)
# 1. the Debian package, with its dependencies from the archive (apt-get); skipped when that
#    exact package is already installed;
# 2. certificates for the apiserver and its clients in /etc/edgelb/certs (edgelbctl certs init),
#    only when there are none, readable by group edgelb (secret.key: by user edgelb only);
# 3. with --enable, ZooKeeper, the apiserver and the agent enabled and started (systemd).
# It never starts or enables the dataplane: tune the host first (edgelb-tune check/plan/apply),
# then `systemctl enable --now edgelb-dataplane` (docs/operations.md, "First install").
set -euo pipefail

deb="" build="" enable=0
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) deb="$2"; shift 2 ;;
    --build-dir) build="$2"; shift 2 ;;
    --enable) enable=1; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (--deb FILE | --build-dir DIR, --enable)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
if [ -n "$build" ]; then
  [ -f "$build/CPackConfig.cmake" ] || { echo "install.sh: $build is not a configured edgelb build tree" >&2; exit 1; }
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
  cmake --build "$build" > /dev/null
  cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" > /dev/null
  deb="$(ls "$out"/edgelb_*.deb)"
fi
[ -n "$deb" ] && [ -f "$deb" ] || { echo "install.sh: no package (--deb FILE or --build-dir DIR)" >&2; exit 2; }
deb="$(readlink -f "$deb")"

step() { echo "== $*"; }

step "package $(basename "$deb")"
want="$(dpkg-deb -f "$deb" Version)"
have="$(dpkg-query -W -f='${Status} ${Version}' edgelb 2>/dev/null || true)"
# the same package: same version and the same files (dpkg keeps the package's md5sums)
if [ "$have" = "install ok installed $want" ] &&
    dpkg-deb -I "$deb" md5sums | cmp -s - /var/lib/dpkg/info/edgelb.md5sums; then
  echo "   edgelb $want is installed: nothing to do"
else
  export DEBIAN_FRONTEND=noninteractive
  # apt resolves the dependencies from the archive; --force-confold keeps edited configs
  apt-get install -y -q -o Dpkg::Options::=--force-confold "$deb" > /tmp/edgelb-install.log 2>&1 || {
    tail -20 /tmp/edgelb-install.log >&2; echo "install.sh: apt-get install failed" >&2; exit 1; }
  echo "   installed edgelb $want (log: /tmp/edgelb-install.log)"
fi

step "certificates in /etc/edgelb/certs"
certs=/etc/edgelb/certs
if [ -f "$certs/ca.crt" ]; then
  echo "   present: kept (edgelbctl certs init --force makes new ones)"
else
  host="$(hostname -f 2>/dev/null || hostname)"
  edgelbctl certs init --dir "$certs" --server-name localhost --server-name "$host" --ip 127.0.0.1 > /dev/null
  echo "   made a CA, the apiserver's certificate (localhost, $host, 127.0.0.1) and client certificates"
fi
chgrp edgelb "$certs" "$certs"/*
chmod 0640 "$certs"/*.key
chmod 0644 "$certs"/*.crt
# the secrets key: the apiserver and the agent (user edgelb) refuse it readable by anyone else
chown edgelb:edgelb "$certs/secret.key"
chmod 0600 "$certs/secret.key"

if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if [ "$enable" = 1 ]; then
    step "control plane: edgelb-zookeeper, edgelb-apiserver, edgelb-agent"
    systemctl enable --now edgelb-zookeeper.service edgelb-apiserver.service edgelb-agent.service
    systemctl --no-pager --lines=0 status edgelb-zookeeper edgelb-apiserver edgelb-agent | grep -E "^●|Active:" || true
  fi
elif [ "$enable" = 1 ]; then
  echo "install.sh: --enable needs systemd running as PID 1; nothing enabled" >&2
fi

step "next"
cat <<'NEXT'
   edgelb-tune check --profile /etc/edgelb/host.yaml     what the host still lacks (after editing host.yaml)
   edgelb-tune plan  --profile /etc/edgelb/host.yaml     BIOS, GRUB and NIC firmware changes, runtime steps
   edgelb-tune apply --profile /etc/edgelb/host.yaml     the runtime steps
   systemctl enable --now edgelb-dataplane               once check has no fail
   /usr/share/doc/edgelb/operations.md                   the whole procedure
NEXT
