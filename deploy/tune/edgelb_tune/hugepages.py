"""`edgelb-tune hugepages`: the quick 2 MiB reservation for tests, benchmarks and the quickstart.

Reserves PAGES 2 MiB pages when fewer are reserved and mounts hugetlbfs at /dev/hugepages when
nothing is mounted there. Prints one line: "hugepages <reserved> x 2 MiB reserved, <free> free
at /dev/hugepages" when DPDK can use them, or "no-huge (<why>)" when it cannot (callers then
run EAL with --no-huge). Never fails its caller. A production host reserves 1 GiB pages at boot
instead: `edgelb-tune plan --profile`.
"""
import os
import subprocess

MIN_FREE = 64


def reserve(pages, root="/"):
    def p(path):
        return os.path.join(root, path.lstrip("/"))

    nr_path = p("/proc/sys/vm/nr_hugepages")
    try:
        with open(nr_path, encoding="utf-8") as f:
            cur = int(f.read().strip() or 0)
    except (OSError, ValueError):
        return "no-huge (no /proc/sys/vm/nr_hugepages)"
    if cur < pages:
        try:
            with open(nr_path, "w", encoding="utf-8") as f:
                f.write(f"{pages}\n")
        except OSError as e:
            return f"no-huge (cannot reserve {pages} pages: {e.strerror})"
    reserved, free = 0, 0
    try:
        with open(p("/proc/meminfo"), encoding="utf-8") as f:
            for line in f:
                if line.startswith("HugePages_Total:"):
                    reserved = int(line.split()[1])
                elif line.startswith("HugePages_Free:"):
                    free = int(line.split()[1])
    except OSError:
        return "no-huge (no /proc/meminfo)"
    if free < MIN_FREE:
        return f"no-huge (only {free} free 2 MiB pages, {MIN_FREE} needed)"
    mnt = "/dev/hugepages"
    mounted = False
    try:
        with open(p("/proc/mounts"), encoding="utf-8") as f:
            mounted = any(len(l.split()) > 2 and l.split()[1] == mnt and l.split()[2] == "hugetlbfs" for l in f)
    except OSError:
        pass
    if not mounted:
        if root != "/":
            return f"no-huge (hugetlbfs not mounted at {mnt})"
        os.makedirs(mnt, exist_ok=True)
        rc = subprocess.run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "nodev", mnt],
                            capture_output=True).returncode
        if rc != 0:
            return f"no-huge (cannot mount hugetlbfs at {mnt})"
    return f"hugepages {reserved} x 2 MiB reserved, {free} free at {mnt}"
