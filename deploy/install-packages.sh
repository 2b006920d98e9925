#!/usr/bin/env bash
# Installs every Debian package listed in deploy/debian-packages.txt.
# Idempotent and quiet: does nothing when all are present. Needs root.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/debian-packages.txt" | grep -v '^$')
missing=()
for p in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "packages: all ${#wanted[@]} present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "packages: missing ${missing[*]} and not root; install them first" >&2
  exit 1
fi
echo "packages: installing ${#missing[@]}: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "packages: done"
