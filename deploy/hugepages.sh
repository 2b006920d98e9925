#!/usr/bin/env bash
# Reserves 2 MiB hugepages and mounts hugetlbfs at /dev/hugepages when possible.
# Usage: deploy/hugepages.sh [PAGES]   (default 512 = 1 GiB)
# Prints exactly one line on stdout: "hugepages" when DPDK can use them, "no-huge"
# otherwise (callers then pass --no-huge to EAL). Never fails the caller.
pages="${1:-512}"
mnt=/dev/hugepages
ok() {
  [ -w /proc/sys/vm/nr_hugepages ] || return 1
  cur=$(cat /proc/sys/vm/nr_hugepages)
  if [ "$cur" -lt "$pages" ]; then echo "$pages" > /proc/sys/vm/nr_hugepages 2>/dev/null || return 1; fi
  free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
  [ "${free:-0}" -ge 64 ] || return 1
  if ! mount | grep -q " $mnt type hugetlbfs"; then
    mkdir -p "$mnt" && mount -t hugetlbfs -o pagesize=2M nodev "$mnt" 2>/dev/null || return 1
  fi
  return 0
}
if ok; then echo hugepages; else echo no-huge; fi
