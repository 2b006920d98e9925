"""What edgelb-tune reads of a machine: procfs, sysfs and the output of ip/ethtool/mlxconfig.

`Host(root, runner)` reads files under `root` ("/" for this machine, a fixture tree in tests)
and runs read-only commands through `runner` (commands.py). Every reader returns None (or an
empty collection) for what is absent, so a VM or a container never makes a check crash.
"""
import glob
import json
import os
import re


def parse_cpulist(text):
    """'0-3,8,10-11' -> [0, 1, 2, 3, 8, 10, 11]; '' -> []."""
    cpus = []
    for part in (text or "").strip().split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            cpus.extend(range(int(lo), int(hi) + 1))
        else:
            cpus.append(int(part))
    return cpus


def format_cpulist(cpus):
    """[0, 1, 2, 5] -> '0-2,5'."""
    cpus = sorted(set(cpus))
    out, i = [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(out)


class PciDevice:
    def __init__(self, addr):
        self.addr = addr
        self.present = False
        self.pci_id = None  # "15b3:1017"
        self.numa_node = None
        self.driver = None
        self.iommu_group = None
        self.group_members = []
        self.netdevs = []


class Host:
    def __init__(self, root, runner):
        self.root = root
        self.runner = runner
        self.refresh()

    def refresh(self):
        """Forget what was read of interfaces, addresses and routes: read them again when asked."""
        self._ip = None
        self._netdev_pci = None

    def path(self, p):
        return os.path.join(self.root, p.lstrip("/"))

    def read(self, p):
        try:
            with open(self.path(p), encoding="utf-8", errors="replace") as f:
                return f.read().strip()
        except OSError:
            return None

    def exists(self, p):
        return os.path.exists(self.path(p))

    def listdir(self, p):
        try:
            return sorted(os.listdir(self.path(p)))
        except OSError:
            return []

    def link_name(self, p):
        """Base name of a sysfs symlink's target (a driver, an IOMMU group), or None."""
        try:
            return os.path.basename(os.readlink(self.path(p)))
        except OSError:
            return None

    # --- CPU -------------------------------------------------------------------------------
    def cmdline(self):
        return (self.read("/proc/cmdline") or "").split()

    def cpuinfo(self):
        """(vendor, flags) of the first CPU."""
        vendor, flags = None, set()
        for line in (self.read("/proc/cpuinfo") or "").splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "vendor_id" and vendor is None:
                vendor = value.strip()
            elif key == "flags" and not flags:
                flags = set(value.split())
        return vendor, flags

    def virtualization(self):
        """Why this looks like a VM ("hypervisor CPU flag", "DMI: QEMU"), or None on bare metal."""
        _, flags = self.cpuinfo()
        if "hypervisor" in flags:
            return "the CPU has the hypervisor flag"
        product = " ".join(filter(None, [self.read("/sys/class/dmi/id/sys_vendor"),
                                         self.read("/sys/class/dmi/id/product_name")]))
        for word in ("QEMU", "KVM", "VMware", "VirtualBox", "Xen", "Amazon EC2", "Google Compute"):
            if word in product:
                return f"DMI says {product}"
        return None

    def online_cpus(self):
        return parse_cpulist(self.read("/sys/devices/system/cpu/online") or "")

    def numa_nodes(self):
        """{node: [cpus]}; one node 0 with every CPU when the kernel shows no NUMA."""
        nodes = {}
        for name in self.listdir("/sys/devices/system/node"):
            m = re.match(r"^node(\d+)$", name)
            if m:
                nodes[int(m.group(1))] = parse_cpulist(self.read(f"/sys/devices/system/node/{name}/cpulist") or "")
        return nodes or {0: self.online_cpus()}

    def governor(self, cpu):
        return self.read(f"/sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_governor")

    def smt_control(self):
        return self.read("/sys/devices/system/cpu/smt/control")

    def turbo(self):
        """'on' / 'off' / None (no way to tell)."""
        no_turbo = self.read("/sys/devices/system/cpu/intel_pstate/no_turbo")
        if no_turbo is not None:
            return "off" if no_turbo == "1" else "on"
        boost = self.read("/sys/devices/system/cpu/cpufreq/boost")
        if boost is not None:
            return "on" if boost == "1" else "off"
        return None

    def idle_states(self, cpu):
        """[(name, exit latency us, disabled)] of the cpuidle states the kernel offers."""
        states = []
        base = f"/sys/devices/system/cpu/cpu{cpu}/cpuidle"
        for name in self.listdir(base):
            if not name.startswith("state"):
                continue
            d = f"{base}/{name}"
            states.append((self.read(f"{d}/name") or name, int(self.read(f"{d}/latency") or 0),
                           (self.read(f"{d}/disable") or "0") != "0"))
        return states

    # --- memory ----------------------------------------------------------------------------
    def hugepages(self, node, kb):
        """(reserved, free) pages of size kb on a NUMA node, or None when the kernel has no such pool."""
        d = f"/sys/devices/system/node/node{node}/hugepages/hugepages-{kb}kB"
        if not self.exists(d) and node == 0 and not self.exists("/sys/devices/system/node/node0"):
            d = f"/sys/kernel/mm/hugepages/hugepages-{kb}kB"
        nr = self.read(f"{d}/nr_hugepages")
        if nr is None:
            return None
        return int(nr), int(self.read(f"{d}/free_hugepages") or 0)

    def hugetlbfs_mounts(self):
        """[(mount point, page size option or '')]."""
        mounts = []
        for line in (self.read("/proc/mounts") or "").splitlines():
            f = line.split()
            if len(f) >= 4 and f[2] == "hugetlbfs":
                size = next((o.split("=", 1)[1] for o in f[3].split(",") if o.startswith("pagesize=")), "")
                mounts.append((f[1], size))
        return mounts

    # --- devices ---------------------------------------------------------------------------
    def iommu_units(self):
        return self.listdir("/sys/class/iommu")

    def module_loaded(self, name):
        return self.exists(f"/sys/module/{name}")

    def noiommu_mode(self):
        return self.read("/sys/module/vfio/parameters/enable_unsafe_noiommu_mode") in ("Y", "1")

    def netdev_pci(self):
        """{interface: PCI address} for interfaces that sit on a PCI device (read once; refresh())."""
        if self._netdev_pci is not None:
            return self._netdev_pci
        out = {}
        for ifname in self.listdir("/sys/class/net"):
            try:
                target = os.path.realpath(self.path(f"/sys/class/net/{ifname}/device"))
            except OSError:
                continue
            for part in reversed(target.split(os.sep)):
                if re.match(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$", part):
                    out[ifname] = part
                    break
        self._netdev_pci = out
        return out

    def pci_device(self, addr):
        d = PciDevice(addr)
        base = f"/sys/bus/pci/devices/{addr}"
        if not self.exists(base):
            return d
        d.present = True
        vendor, device = self.read(f"{base}/vendor"), self.read(f"{base}/device")
        if vendor and device:
            d.pci_id = f"{vendor.lower().replace('0x', '')}:{device.lower().replace('0x', '')}"
        node = self.read(f"{base}/numa_node")
        d.numa_node = int(node) if node not in (None, "") else None
        d.driver = self.link_name(f"{base}/driver")
        d.iommu_group = self.link_name(f"{base}/iommu_group")
        if d.iommu_group is not None:
            d.group_members = self.listdir(f"/sys/kernel/iommu_groups/{d.iommu_group}/devices")
        d.netdevs = sorted(i for i, a in self.netdev_pci().items() if a == addr)
        return d

    # --- IRQs and processes ----------------------------------------------------------------
    def irq_affinities(self):
        """{irq number: [cpus]} from /proc/irq/<n>/smp_affinity_list."""
        out = {}
        for name in self.listdir("/proc/irq"):
            if name.isdigit():
                cpus = self.read(f"/proc/irq/{name}/smp_affinity_list")
                if cpus is not None:
                    out[int(name)] = parse_cpulist(cpus)
        return dict(sorted(out.items()))

    def running(self, comm):
        for pid in self.listdir("/proc"):
            if pid.isdigit() and self.read(f"/proc/{pid}/comm") == comm:
                return int(pid)
        return None

    # --- addresses and routes (ip -j) ------------------------------------------------------
    def _ip_state(self):
        if self._ip is None:
            addrs, routes = {}, []
            rc, out = self.runner.run(["ip", "-j", "address", "show"])
            for link in (json.loads(out) if rc == 0 and out.strip() else []):
                addrs[link["ifname"]] = [f"{a['local']}/{a['prefixlen']}" for a in link.get("addr_info", [])
                                         if a.get("scope") != "link" and a.get("scope") != "host"]
            for fam in ("-4", "-6"):
                rc, out = self.runner.run(["ip", "-j", fam, "route", "show", "table", "main"])
                for r in (json.loads(out) if rc == 0 and out.strip() else []):
                    dst = r.get("dst", "")
                    if dst.startswith("fe80:") or dst.startswith("ff00:") or r.get("type") == "multicast":
                        continue
                    routes.append(r)
            self._ip = (addrs, routes)
        return self._ip

    def management_reason(self, ifname):
        """Why an interface is in use by the host (addresses, routes, default route), or None."""
        addrs, routes = self._ip_state()
        reasons = []
        if addrs.get(ifname):
            reasons.append("carries " + ", ".join(addrs[ifname]))
        mine = [r for r in routes if r.get("dev") == ifname]
        if any(r.get("dst") == "default" for r in mine):
            reasons.append("holds the default route")
        others = [r["dst"] for r in mine if r.get("dst") != "default"]
        if others:
            reasons.append("has route(s) " + ", ".join(others))
        return "; ".join(reasons) or None

    # --- NIC tools -------------------------------------------------------------------------
    def ethtool(self, option, ifname):
        rc, out = self.runner.run(["ethtool", option, ifname])
        return out if rc == 0 else None

    def ethtool_info(self, ifname):
        out = self.ethtool("-i", ifname)
        if out is None:
            return None
        info = {}
        for line in out.splitlines():
            k, sep, v = line.partition(":")
            if sep:
                info[k.strip()] = v.strip()
        return info

    def mlxconfig(self, pci):
        """{KEY: (text, number)} of the next-boot configuration, or None when mlxconfig is absent."""
        rc, out = self.runner.run(["mlxconfig", "-d", pci, "query"])
        if rc != 0:
            return None
        values = {}
        in_cfg = False
        for line in out.splitlines():
            if line.strip().startswith("Configurations:"):
                in_cfg = True
                continue
            m = re.match(r"^\s+([A-Z0-9_]+)\s+(\S+)\s*$", line) if in_cfg else None
            if m:
                text = m.group(2)
                n = re.search(r"\((\d+)\)$", text)
                num = int(n.group(1)) if n else (int(text) if text.isdigit() else None)
                values[m.group(1)] = (text, num)
        return values

    def glob_first(self, paths):
        for p in paths:
            if self.exists(p):
                return p
        return None

    def realname(self, p):
        return os.path.basename(os.path.realpath(self.path(p)))
