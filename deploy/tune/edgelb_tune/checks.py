"""Profile + Host -> the rows of `edgelb-tune check` (and, through their steps, the plan).

`run_checks(profile, host)` returns (rows, refusals). The order of rows is fixed: machine,
CPU, firmware, kernel command line, hugepages, runtime CPU/IRQ state, each NIC, the dataplane
config. Severity: `fail` for what stops the dataplane or endangers the host (no hugepages, a NIC
absent or on the wrong driver, no IOMMU for vfio-pci, the management NIC, a dataplane config that
disagrees); `warn` for what costs performance; `n/a` where this machine cannot tell (a VM, a tool
not installed), never `pass`.
"""
import os
import re

import yaml

from .host import format_cpulist, parse_cpulist
from .model import BIOS, CONFIG, FAIL, GRUB, NA, NIC_FIRMWARE, PASS, RUNTIME, WARN, Refusal, Row, Step

HUGEPAGE_MOUNT = {"1G": "/dev/hugepages1G", "2M": "/dev/hugepages"}


def _version_tuple(v):
    return tuple(int(x) for x in re.findall(r"\d+", v or ""))


def _page_size(text):
    """'1024M', '1G', '2M', '2048k' -> '1G' / '2M' (others unchanged)."""
    m = re.match(r"^(\d+)([kKmMgG])$", text or "")
    if not m:
        return text
    kb = int(m.group(1)) * {"k": 1, "m": 1024, "g": 1048576}[m.group(2).lower()]
    return {1048576: "1G", 2048: "2M"}.get(kb, text)


def _cmdline_value(args, name):
    """Value of the last `name=` argument (the kernel takes the last), '' for a bare flag, None if absent."""
    value = None
    for a in args:
        k, sep, v = a.partition("=")
        if k == name:
            value = v if sep else ""
    return value


class Checker:
    def __init__(self, profile, host):
        self.p = profile
        self.h = host
        self.rows = []
        self.refusals = []
        self.vm = host.virtualization()
        self.vendor, self.flags = host.cpuinfo()
        self.nodes = host.numa_nodes()
        self.online = host.online_cpus()
        self.cmdline = host.cmdline()
        self.workers = profile.worker_cores
        self.wlist = format_cpulist(self.workers)
        hk = profile.housekeeping_cores
        if hk is None:
            hk = [c for c in self.online if c not in self.workers]
        self.housekeeping = hk

    def add(self, *args, **kw):
        self.rows.append(Row(*args, **kw))

    def vm_na(self, item, wanted, why):
        self.add(item, wanted, "virtual machine", NA, f"cannot be judged in a VM ({self.vm}): {why}")

    # --- machine and CPU -------------------------------------------------------------------
    def machine(self):
        if self.vm:
            self.add("machine", "bare metal", "virtual machine", WARN,
                     f"{self.vm}; firmware, C-states and NIC firmware are the hypervisor's and "
                     "poll-mode figures from a VM are not the appliance's")
        else:
            self.add("machine", "bare metal", "bare metal", PASS, "no hypervisor flag, no VM vendor in DMI")
        need = ["sse4_2"]
        if self.p.hugepage_size == "1G":
            need.append("pdpe1gb")
        missing = [f for f in need if f not in self.flags]
        self.add("cpu.flags", " ".join(need), "missing " + " ".join(missing) if missing else "present",
                 FAIL if missing else PASS,
                 "DPDK 22.11 needs SSE4.2; 1 GiB hugepages need pdpe1gb (else use kernel.hugepages.size: 2M)",
                 [Step(CONFIG, "set kernel.hugepages.size: 2M in the profile (this CPU has no 1 GiB pages)"
                       if missing == ["pdpe1gb"] else "run the dataplane on a CPU with SSE4.2")])
        wanted = sorted(set(self.workers + [self.p.main_core]))
        absent = [c for c in wanted if c not in self.online]
        self.add("cpu.cores", f"online {format_cpulist(wanted)}",
                 f"offline or absent {format_cpulist(absent)}" if absent else f"online (of {format_cpulist(self.online)})",
                 FAIL if absent else PASS, "the main lcore and every worker need their own online core",
                 [Step(CONFIG, f"choose cpu.main_core and cpu.worker_cores among the online CPUs "
                               f"{format_cpulist(self.online)} in the profile")])

    # --- firmware (BIOS) -------------------------------------------------------------------
    def firmware(self):
        fw = self.p.firmware
        # SMT
        if fw["smt"] != "any":
            ctl = self.h.smt_control()
            found = {"on": "on", "off": "off", "forceoff": "off", "notsupported": "not supported",
                     "notimplemented": "not supported"}.get(ctl, "unknown")
            why = "a hyper-thread sibling shares a worker core's execution units"
            if self.vm:
                self.vm_na("firmware.smt", fw["smt"], why)
            elif found == "not supported":
                self.add("firmware.smt", fw["smt"], "CPU without SMT", PASS if fw["smt"] == "off" else WARN, why)
            elif found == "unknown":
                self.add("firmware.smt", fw["smt"], "unknown (no /sys/devices/system/cpu/smt)", NA, why)
            else:
                ok = found == fw["smt"]
                self.add("firmware.smt", fw["smt"], found, PASS if ok else WARN, why,
                         [Step(BIOS, f"turn SMT (Hyper-Threading) {fw['smt']} in the BIOS setup "
                               f"(or boot with {'nosmt' if fw['smt'] == 'off' else 'no nosmt'})")])
        # turbo
        if fw["turbo"] != "any":
            why = "turbo raises a worker's clock while other cores idle; off gives steadier per-packet cycles"
            if self.vm:
                self.vm_na("firmware.turbo", fw["turbo"], why)
            else:
                t = self.h.turbo()
                if t is None:
                    self.add("firmware.turbo", fw["turbo"], "unknown (no intel_pstate or cpufreq boost)", NA, why)
                else:
                    self.add("firmware.turbo", fw["turbo"], t, PASS if t == fw["turbo"] else WARN, why,
                             [Step(BIOS, f"turn turbo boost {fw['turbo']} in the BIOS setup")])
        # C-states
        if fw["c_states"] == "c1":
            why = "waking from a deep C-state costs the main lcore and a worker microseconds after a pause"
            if self.vm:
                self.vm_na("firmware.c_states", "none deeper than C1", why)
            else:
                deep = set()
                seen = False
                for cpu in self.workers:
                    for name, latency, disabled in self.h.idle_states(cpu):
                        seen = True
                        if not disabled and latency > 2:
                            deep.add(name)
                if not seen:
                    self.add("firmware.c_states", "none deeper than C1", "no cpuidle states", PASS,
                             "the kernel offers no idle states on the worker cores")
                else:
                    self.add("firmware.c_states", "none deeper than C1",
                             "enabled: " + ",".join(sorted(deep)) if deep else "C1 at most", WARN if deep else PASS, why,
                             [Step(BIOS, "limit C-states to C1 in the BIOS setup (C1E and deeper off), "
                                         "or add processor.max_cstate=1 to the kernel command line")])
        # IOMMU
        vfio = [n for n in self.p.nics if n.family.dpdk_binding == "vfio-pci"]
        units = self.h.iommu_units()
        why = "vfio-pci maps NIC DMA through the IOMMU; without it only unsafe no-IOMMU mode remains"
        if fw["iommu"] == "on":
            if units:
                self.add("firmware.iommu", "on", f"on ({len(units)} unit(s))", PASS, why)
            else:
                status = FAIL if vfio and not self.vm else WARN
                if self.vm:
                    why += "; in a VM it needs a virtual IOMMU from the hypervisor"
                self.add("firmware.iommu", "on", "no IOMMU unit in /sys/class/iommu", status, why,
                         [Step(BIOS, f"enable {'AMD-Vi (IOMMU)' if self.vendor == 'AuthenticAMD' else 'VT-d'} "
                                     "in the BIOS setup")])
        # SR-IOV
        if fw["sr_iov"] == "on":
            missing = [n.pci for n in self.p.nics
                       if (self.h.read(f"/sys/bus/pci/devices/{n.pci}/sriov_totalvfs") or "0") == "0"]
            self.add("firmware.sr_iov", "on", f"no SR-IOV on {', '.join(missing)}" if missing else "on",
                     WARN if missing else PASS, "VFs are carved out of the ports only with SR-IOV on in BIOS and NIC firmware",
                     [Step(BIOS, "enable SR-IOV in the BIOS setup")])
        else:
            vfs = [(n.pci, self.h.read(f"/sys/bus/pci/devices/{n.pci}/sriov_numvfs") or "0") for n in self.p.nics]
            used = [f"{pci}: {count} VFs" for pci, count in vfs if count != "0"]
            self.add("firmware.sr_iov", "off (no VFs)", ", ".join(used) if used else "no VFs",
                     WARN if used else PASS, "the dataplane drives the physical functions; VFs split their queues")
        # NUMA interleave
        if fw["numa_interleave"] == "off":
            sockets = {self.h.read(f"/sys/devices/system/cpu/cpu{c}/topology/physical_package_id") for c in self.online}
            sockets.discard(None)
            why = "with interleaving on, memory is not local to a socket: hugepages and NIC queues cross sockets"
            if self.vm:
                self.vm_na("firmware.numa_interleave", "off", why)
            elif len(sockets) <= 1:
                self.add("firmware.numa_interleave", "off", "one socket", PASS, why)
            else:
                ok = len(self.nodes) >= len(sockets)
                self.add("firmware.numa_interleave", "off",
                         f"{len(sockets)} sockets, {len(self.nodes)} NUMA node(s)", PASS if ok else FAIL, why,
                         [Step(BIOS, "turn memory (node) interleaving off in the BIOS setup so each socket is a NUMA node")])

    # --- kernel command line ---------------------------------------------------------------
    def wanted_cmdline(self):
        """[(name, value, check kind, why)]"""
        out = []
        if self.p.iommu in ("pt", "on"):
            if self.p.iommu == "pt":
                out.append(("iommu", "pt", "exact", "passthrough for the host's own devices: no IOMMU cost "
                                                    "on kernel DMA, vfio-pci still isolated"))
            if self.vendor != "AuthenticAMD":
                out.append(("intel_iommu", "on", "exact", "Intel's IOMMU driver is off unless asked for"))
        if self.p.isolate_workers:
            out.append(("isolcpus", self.wlist, "cpus", "keeps the scheduler's tasks off the worker cores"))
            out.append(("nohz_full", self.wlist, "cpus", "no scheduler tick on a worker running one thread"))
            out.append(("rcu_nocbs", self.wlist, "cpus", "RCU callbacks run elsewhere, not on the workers"))
        size = self.p.hugepage_size
        total = sum(self.p.hugepages_per_node.values())
        out.append(("default_hugepagesz", size, "exact", "DPDK's pages are the default size: /dev/hugepages holds them"))
        out.append(("hugepagesz", size, "exact", f"{size} pages can only be reserved reliably at boot"))
        per_node = ",".join(f"{n}:{c}" for n, c in self.p.hugepages_per_node.items())
        out.append(("hugepages", per_node, "hugepages",
                    f"{total} pages reserved at boot, per NUMA node (node:count, kernel 5.13 and later)"))
        for a in self.p.extra_cmdline:
            name, sep, value = a.partition("=")
            out.append((name, value if sep else "", "exact", "listed in kernel.extra_cmdline"))
        return out

    def kernel_cmdline(self):
        for name, value, kind, why in self.wanted_cmdline():
            found = _cmdline_value(self.cmdline, name)
            want = f"{name}={value}" if value != "" else name
            ok = False
            if found is None:
                shown = "absent"
            else:
                shown = f"{name}={found}" if found != "" else name
                if kind == "exact":
                    ok = found == value
                elif kind == "cpus":
                    cpus = [p for p in found.split(",") if p and not p[0].isalpha()]
                    try:
                        ok = set(self.workers) <= set(parse_cpulist(",".join(cpus)))
                    except ValueError:
                        ok = False
                elif kind == "hugepages":
                    ok = self._hugepages_arg_ok(found)
            self.add(f"kernel.cmdline {name}", want, shown, PASS if ok else WARN if kind == "cpus" else FAIL, why,
                     [Step(GRUB, want, cmdline_arg=want, remove_args=[name])])

    def _hugepages_arg_ok(self, found):
        if ":" in found:
            got = {}
            for part in found.split(","):
                n, _, c = part.partition(":")
                if n.isdigit() and c.isdigit():
                    got[int(n)] = int(c)
            return all(got.get(n, 0) >= c for n, c in self.p.hugepages_per_node.items())
        return found.isdigit() and int(found) >= sum(self.p.hugepages_per_node.values())

    def sysctls(self):
        """One row per kernel.sysctl setting; a wrong one is set now (sysctl -w) and, once, for
        every boot (/etc/sysctl.d/60-edgelb.conf)."""
        conf = "/etc/sysctl.d/60-edgelb.conf"
        found = {n: self.h.read("/proc/sys/" + n.replace(".", "/")) for n in sorted(self.p.sysctl)}
        wrong = [n for n, got in found.items() if got is not None and got.split() != self.p.sysctl[n].split()]
        text = "# Written by edgelb-tune apply from the host profile (kernel.sysctl).\n" + "".join(
            f"{n} = {self.p.sysctl[n]}\n" for n in sorted(self.p.sysctl))
        for name, got in found.items():
            want = self.p.sysctl[name]
            why = SYSCTL_WHY.get(name, "kernel.sysctl in the profile")
            if got is None:
                self.add(f"sysctl {name}", want, "absent", NA, why + "; this kernel has no such setting")
                continue
            steps = [Step(RUNTIME, f"sysctl -w {name}={want}", write=("/proc/sys/" + name.replace(".", "/"), want))]
            if wrong and name == wrong[-1]:
                steps.append(Step(RUNTIME, f"write {conf} (these settings at every boot)   (persistent)",
                                  write=(conf, text), create=True))
            self.add(f"sysctl {name}", want, got, WARN if name in wrong else PASS, why, steps)

    # --- hugepages -------------------------------------------------------------------------
    def hugepages(self):
        size, kb = self.p.hugepage_size, self.p.hugepage_kb
        why = "DPDK's memory (mbufs, flow tables) comes from hugepages on the NIC's and workers' node"
        for node, want in self.p.hugepages_per_node.items():
            item = f"hugepages node{node} {size}"
            if node not in self.nodes:
                self.add(item, f">= {want}", "no such NUMA node", FAIL,
                         f"kernel.hugepages.per_node names node {node}; this machine has nodes "
                         f"{format_cpulist(list(self.nodes))}",
                         [Step(CONFIG, f"take node {node} out of kernel.hugepages.per_node in the profile")])
                continue
            got = self.h.hugepages(node, kb)
            path = (f"/sys/devices/system/node/node{node}/hugepages/hugepages-{kb}kB/nr_hugepages")
            if got is None:
                self.add(item, f">= {want}", f"no {size} page pool", FAIL,
                         f"the kernel offers no {size} pages" + (" (needs pdpe1gb)" if size == "1G" else ""),
                         [Step(CONFIG, "set kernel.hugepages.size: 2M in the profile")] if size == "1G" else [])
                continue
            nr, free = got
            self.add(item, f">= {want}", f"{nr} ({free} free)", PASS if nr >= want else FAIL, why,
                     [Step(RUNTIME, f"echo {want} > {path}", write=(path, str(want)))])
        mounts = [m for m, s in self.h.hugetlbfs_mounts() if _page_size(s or self._default_size()) == size]
        mnt = HUGEPAGE_MOUNT[size] if self._default_size() != size else "/dev/hugepages"
        self.add(f"hugetlbfs {size}", f"mounted (e.g. {mnt})", ", ".join(mounts) if mounts else "not mounted",
                 PASS if mounts else FAIL, f"DPDK finds its {size} pages through a hugetlbfs mount of that page size",
                 [Step(RUNTIME, f"mkdir -p {mnt} && mount -t hugetlbfs -o pagesize={size} nodev {mnt}",
                       run=["sh", "-c", f"mkdir -p {mnt} && mount -t hugetlbfs -o pagesize={size} nodev {mnt}"])])

    def _default_size(self):
        for line in (self.h.read("/proc/meminfo") or "").splitlines():
            if line.startswith("Hugepagesize:"):
                kb = int(line.split()[1])
                return {1048576: "1G", 2048: "2M"}.get(kb, f"{kb}k")
        return None

    # --- runtime CPU state -----------------------------------------------------------------
    def governor(self):
        why = "a power-saving governor lets a polling core run below its nominal clock"
        found = {}
        for cpu in self.workers:
            g = self.h.governor(cpu)
            found.setdefault(g, []).append(cpu)
        if list(found) == [None]:
            if self.vm:
                self.vm_na("cpu.governor", self.p.governor, why + "; no cpufreq in this VM")
            else:
                self.add("cpu.governor", self.p.governor, "no cpufreq driver", WARN,
                         why + "; without a cpufreq driver the firmware sets the clock (check the BIOS power profile)")
            return
        wrong = sorted(c for g, cpus in found.items() if g != self.p.governor for c in cpus)
        shown = "; ".join(f"{g or 'none'} on {format_cpulist(c)}" for g, c in sorted(found.items(), key=lambda x: str(x[0])))
        steps = [Step(RUNTIME, f"echo {self.p.governor} > /sys/devices/system/cpu/cpu{c}/cpufreq/scaling_governor",
                      write=(f"/sys/devices/system/cpu/cpu{c}/cpufreq/scaling_governor", self.p.governor))
                 for c in wrong]
        self.add("cpu.governor", f"{self.p.governor} on {self.wlist}", shown, WARN if wrong else PASS, why, steps)

    def irqs(self):
        why = "an interrupt on a worker core stops its poll loop for microseconds"
        aff = self.h.irq_affinities()
        if not aff:
            self.add("irq.affinity", f"off {self.wlist}", "no /proc/irq", NA, why)
            return
        hk = format_cpulist(self.housekeeping)
        bad = [irq for irq, cpus in aff.items() if set(cpus) & set(self.workers)]
        shown = f"{len(bad)} of {len(aff)} IRQs may run on {self.wlist}"
        if bad:
            shown += f" (irq {', '.join(str(i) for i in bad[:6])}{', ...' if len(bad) > 6 else ''})"
        steps = [Step(RUNTIME, f"echo {hk} > /proc/irq/{irq}/smp_affinity_list",
                      write=(f"/proc/irq/{irq}/smp_affinity_list", hk)) for irq in bad]
        self.add("irq.affinity", f"on {hk}, off {self.wlist}", shown, WARN if bad else PASS, why, steps)
        pid = self.h.running("irqbalance")
        if pid:
            banned = None
            for line in (self.h.read("/etc/default/irqbalance") or "").splitlines():
                if line.startswith("IRQBALANCE_BANNED_CPULIST="):
                    banned = line.split("=", 1)[1].strip().strip('"')
            iso = _cmdline_value(self.cmdline, "isolcpus") or ""
            iso_cpus = parse_cpulist(",".join(x for x in iso.split(",") if x and not x[0].isalpha()))
            ok = (banned is not None and set(self.workers) <= set(parse_cpulist(banned))) or \
                set(self.workers) <= set(iso_cpus)
            cmd = (f"echo 'IRQBALANCE_BANNED_CPULIST={self.wlist}' >> /etc/default/irqbalance && "
                   "systemctl restart irqbalance")
            self.add("irqbalance", f"leaves {self.wlist} alone", f"running (pid {pid})" +
                     (f", banned {banned}" if banned else ", no banned CPUs"), PASS if ok else WARN,
                     "irqbalance moves IRQs back onto the workers unless they are isolated or banned",
                     [Step(RUNTIME, cmd, run=["sh", "-c", cmd])])

    def service_cpus(self):
        """The dataplane unit's CPUAffinity= drop-in: the main lcore and the workers, from the profile."""
        path = "/etc/systemd/system/edgelb-dataplane.service.d/50-edgelb-tune-cpus.conf"
        cpus = format_cpulist(self.workers + [self.p.main_core])
        found = None
        for line in (self.h.read(path) or "").splitlines():
            if line.startswith("CPUAffinity="):
                found = line.split("=", 1)[1].strip()
        ok = found is not None and set(parse_cpulist(found.replace(" ", ","))) == set(self.workers + [self.p.main_core])
        text = ("# Written by edgelb-tune apply from the host profile: the dataplane's main lcore and workers.\n"
                f"[Service]\nCPUAffinity={cpus}\n")
        self.add("systemd CPUAffinity", f"{cpus} (edgelb-dataplane.service)", f"CPUAffinity={found}" if found else "not set",
                 PASS if ok else WARN, "the unit's threads start on the profile's cores; nothing else of it runs on the "
                 "workers' neighbours",
                 [Step(RUNTIME, f"write {path}: [Service] CPUAffinity={cpus}   (persistent)",
                       write=(path, text), create=True),
                  Step(RUNTIME, "systemctl daemon-reload", run=["systemctl", "daemon-reload"])])

    # --- NICs ------------------------------------------------------------------------------
    def nics(self):
        vfio = [n for n in self.p.nics if n.family.dpdk_binding == "vfio-pci"]
        if vfio:
            loaded = self.h.module_loaded("vfio_pci")
            self.add("kernel.module vfio-pci", "loaded", "loaded" if loaded else "not loaded", PASS if loaded else FAIL,
                     "the NICs bound for DPDK are driven through vfio-pci",
                     [Step(RUNTIME, "modprobe vfio-pci", run=["modprobe", "vfio-pci"])])
            if not self.h.iommu_units() and self.h.noiommu_mode():
                self.add("vfio no-IOMMU mode", "off", "on", WARN,
                         "enable_unsafe_noiommu_mode lets a device DMA anywhere in memory; "
                         "edgelb-tune reports it and never sets it")
        for nic in self.p.nics:
            self.nic(nic)

    def nic(self, nic):
        fam = nic.family
        dev = self.h.pci_device(nic.pci)
        pre = f"nic {nic.pci}"
        models = ", ".join(dict.fromkeys(fam.pci_ids.values()))
        if not dev.present:
            self.add(f"{pre} present", fam.description, "absent", FAIL,
                     f"no PCI device {nic.pci}: check the address with lspci -D",
                     [Step(CONFIG, f"correct nics[].pci {nic.pci} in the profile (lspci -D -d ::0200 lists NICs)")])
            return
        model = fam.pci_ids.get(dev.pci_id)
        self.add(f"{pre} model", f"a {fam.name} device", f"{model} ({dev.pci_id})" if model else f"{dev.pci_id}",
                 PASS if model else FAIL, f"firmware-cfg/{fam.name}.yaml and nic-profiles/{fam.name}.yaml fit "
                 f"{models}",
                 [Step(CONFIG, f"give {nic.pci} the family of its model in the profile (nics[].family)")])
        # the host's own interface: refuse, whatever the profile says
        for ifname in dev.netdevs:
            reason = self.h.management_reason(ifname)
            if reason:
                r = Refusal(nic.pci, ifname, reason)
                self.refusals.append(r)
                self.add(f"{pre} not management", "no address, no route", f"{ifname} {reason}", FAIL,
                         "binding it or changing its settings would cut the host off; edgelb-tune refuses",
                         [Step(CONFIG, f"take {nic.pci} out of the profile's nics, or move the host's addresses "
                                       f"and routes off {ifname} first")])
        if not model:
            return
        refused = any(r.pci == nic.pci for r in self.refusals)
        # driver
        want = fam.kernel_driver if fam.bifurcated else fam.dpdk_binding
        why = (f"bifurcated: the DPDK PMD uses {fam.kernel_driver} and the netdev stays" if fam.bifurcated
               else "the PMD drives the device through vfio-pci; the kernel driver must let go")
        steps = [] if refused else [Step(
            RUNTIME, f"driverctl set-override {nic.pci} {want}   (persistent; or: dpdk-devbind.py -b {want} {nic.pci})",
            run=["driverctl", "set-override", nic.pci, want], nic=nic.pci)]
        if fam.bifurcated:
            steps = [] if refused else [Step(RUNTIME, f"driverctl unset-override {nic.pci}   (back to {want})",
                                             run=["driverctl", "unset-override", nic.pci], nic=nic.pci)]
        self.add(f"{pre} driver", want, dev.driver or "none", PASS if dev.driver == want else FAIL, why, steps)
        # IOMMU group
        if fam.dpdk_binding == "vfio-pci":
            slot = nic.pci.rsplit(".", 1)[0]
            others = [m for m in dev.group_members if not m.startswith(slot)]
            if dev.iommu_group is None:
                self.add(f"{pre} iommu group", "its own group", "none", FAIL if not self.vm else WARN,
                         "vfio-pci needs the device in an IOMMU group (IOMMU on, iommu=pt)",
                         [Step(CONFIG, "turn the IOMMU on (BIOS and kernel command line, above); groups appear "
                                       "after the reboot")])
            else:
                self.add(f"{pre} iommu group", "its own group",
                         f"group {dev.iommu_group}" + (f" with {', '.join(others)}" if others else ""),
                         WARN if others else PASS,
                         "vfio takes a whole group: other devices in it must be unbound too (ACS)",
                         [Step(CONFIG, f"move {nic.pci} to a slot whose IOMMU group it has alone (a slot "
                                       "behind a root port with ACS)")])
        # NUMA
        self.nic_numa(nic, dev, pre)
        # firmware version
        self.nic_firmware(nic, dev, pre, refused)
        if fam.bifurcated and dev.netdevs and not refused:
            self.nic_ethtool(nic, dev.netdevs[0], pre)

    def nic_numa(self, nic, dev, pre):
        node = dev.numa_node
        why = "a worker polling a NIC on the other socket pays a cross-socket hop per packet and per mbuf"
        if node is None or node < 0 or len(self.nodes) <= 1:
            self.add(f"{pre} numa", "workers and hugepages on its node",
                     "one NUMA node" if len(self.nodes) <= 1 else "node unknown", PASS if len(self.nodes) <= 1 else NA, why)
            return
        cpus = set(self.nodes.get(node, []))
        local = [w for w in self.workers if w in cpus]
        pages = self.p.hugepages_per_node.get(node, 0)
        found = f"node {node}: workers {format_cpulist(local) or 'none'}, {pages} hugepages wanted"
        status = PASS
        if pages == 0:
            status = FAIL
            why = (f"the NIC is on node {node} but kernel.hugepages.per_node gives that node no pages: "
                   "its mbufs would live on another socket")
        elif not local:
            status = WARN
        self.add(f"{pre} numa", f"workers and hugepages on node {node}", found, status, why,
                 [Step(CONFIG, f"move {nic.pci} to a slot on the workers' socket, or give node {node} "
                               f"hugepages (kernel.hugepages.per_node) and workers (cpu.worker_cores)")])

    def nic_firmware(self, nic, dev, pre, refused):
        fam = nic.family
        want = fam.min_firmware_for(dev.pci_id)
        if want:
            why = f"the firmware DPDK 22.11 was tested with for {fam.pci_ids.get(dev.pci_id)}"
            info = self.h.ethtool_info(dev.netdevs[0]) if dev.netdevs else None
            if self.vm:
                self.vm_na(f"{pre} firmware", f">= {want}", why)
            elif info is None:
                self.add(f"{pre} firmware", f">= {want}", "unknown (no netdev: bound to " + (dev.driver or "none") + ")",
                         NA, why + "; the version is read with ethtool -i before the device is bound to vfio-pci")
            else:
                fw = info.get("firmware-version", "").split()[0] if info.get("firmware-version") else ""
                ok = _version_tuple(fw) >= _version_tuple(want)
                self.add(f"{pre} firmware", f">= {want}", fw or "unknown", PASS if ok else WARN, why,
                         [Step(NIC_FIRMWARE, f"update the firmware of {nic.pci} to {want} or later "
                               f"({'mlxfwmanager / mstflint' if fam.firmware_tool == 'mlxconfig' else 'the vendor NVM update tool'})")])
        if fam.firmware_tool == "mlxconfig" and nic.firmware_settings:
            why = "persistent NIC firmware settings (mlxconfig); they take effect after a firmware reset or reboot"
            if self.vm:
                self.vm_na(f"{pre} mlxconfig", "settings", why)
            else:
                cfg = self.h.mlxconfig(nic.pci)
                if cfg is None:
                    self.add(f"{pre} mlxconfig", ", ".join(f"{k}={v}" for k, v in nic.firmware_settings.items()),
                             "mlxconfig not installed", NA, why + "; install mstflint to check them")
                for key, value in (nic.firmware_settings.items() if cfg is not None else []):
                    got = cfg.get(key)
                    ok = got is not None and (got[1] == value or got[0] == str(value))
                    self.add(f"{pre} mlxconfig {key}", value, got[0] if got else "absent", PASS if ok else WARN, why,
                             [] if refused else [Step(NIC_FIRMWARE, f"mlxconfig -d {nic.pci} -y set {key}={value}",
                                                      nic=nic.pci)])
        if fam.ddp_package:
            why = "without its DDP package the ice PMD starts in safe mode: no RSS on inner headers, no flow director"
            path = self.h.glob_first(fam.ddp_package["paths"])
            want = fam.ddp_package.get("min_version", "")
            if path is None:
                self.add(f"{pre} ddp package", f"ice.pkg >= {want}", "absent", FAIL, why,
                         [Step(NIC_FIRMWARE, "install the DDP package (Debian: firmware-misc-nonfree) "
                               f"as {fam.ddp_package['paths'][-1]}")])
            else:
                name = self.h.realname(path)
                ver = ".".join(re.findall(r"\d+", name))
                ok = _version_tuple(ver) >= _version_tuple(want)
                self.add(f"{pre} ddp package", f"ice.pkg >= {want}", f"{name}", PASS if ok else WARN, why,
                         [Step(NIC_FIRMWARE, f"install DDP package {want} or later as {path}")])

    def nic_ethtool(self, nic, ifname, pre):
        eth = nic.family.ethtool
        if "pause" in eth:
            want = eth["pause"]
            got = self._ethtool_fields(self.h.ethtool("-a", ifname),
                                       {"Autonegotiate": "autoneg", "RX": "rx", "TX": "tx"})
            self._ethtool_row(f"{pre} ethtool pause", ifname, want, got, "-A",
                              "a slow peer's pause frames would stall the whole port")
        if "rings" in eth:
            out = self.h.ethtool("-g", ifname)
            cur = out.split("Current hardware settings:", 1)[1] if out and "Current hardware settings:" in out else None
            got = self._ethtool_fields(cur, {"RX": "rx", "TX": "tx"})
            self._ethtool_row(f"{pre} ethtool rings", ifname, eth["rings"], got, "-G",
                              "the kernel queues the bifurcated port keeps (exception traffic) absorb bursts")
        if "coalesce" in eth:
            got = self._ethtool_coalesce(self.h.ethtool("-c", ifname))
            self._ethtool_row(f"{pre} ethtool coalesce", ifname, eth["coalesce"], got, "-C",
                              "interrupt moderation on the kernel queues: latency of punted packets")
        if eth.get("rss_key_from_nic_profile") and nic.family.rss_key:
            out = self.h.ethtool("-x", ifname)
            key = None
            if out and "RSS hash key:" in out:
                key = out.split("RSS hash key:", 1)[1].strip().splitlines()[0].replace(":", "").lower()
            want = nic.family.rss_key.lower()
            hkey = ":".join(want[i:i + 2] for i in range(0, len(want), 2))
            equal = eth.get("rss_equal", 0)
            argv = ["ethtool", "-X", ifname, "hkey", hkey] + (["equal", str(equal)] if equal else ["default"])
            self.add(f"{pre} ethtool rss key", f"nic-profiles/{nic.family.name}.yaml rss.key",
                     "unknown" if key is None else ("same" if key == want else f"other ({key[:16]}...)"),
                     NA if key is None else PASS if key == want else WARN,
                     "the kernel's RSS key matches the PMD's, so both spread a flow the same way",
                     [Step(RUNTIME, " ".join(argv), run=argv, nic=nic.pci)])

    @staticmethod
    def _ethtool_fields(out, names):
        if out is None:
            return None
        got = {}
        for line in out.splitlines():
            k, sep, v = line.partition(":")
            if sep and k.strip() in names and names[k.strip()] not in got:
                got[names[k.strip()]] = v.strip()
        return got

    @staticmethod
    def _ethtool_coalesce(out):
        if out is None:
            return None
        got = {}
        for line in out.splitlines():
            m = re.match(r"^Adaptive RX:\s*(\S+)", line)
            if m:
                got["adaptive-rx"] = m.group(1)
            k, sep, v = line.partition(":")
            if sep and re.match(r"^[a-z-]+$", k.strip()):
                got[k.strip()] = v.strip()
        return got

    def _ethtool_row(self, item, ifname, want, got, option, why):
        def norm(v):
            return ("on" if v else "off") if isinstance(v, bool) else str(v)
        wanted = " ".join(f"{k} {norm(v)}" for k, v in want.items())
        if got is None:
            self.add(item, wanted, "unknown (ethtool gave nothing)", NA, why)
            return
        wrong = {k: v for k, v in want.items() if got.get(k) != norm(v)}
        shown = " ".join(f"{k} {got.get(k, '?')}" for k in want)
        argv = ["ethtool", option, ifname] + [x for k, v in want.items() for x in (k, norm(v))]
        self.add(item, wanted, shown, WARN if wrong else PASS, why,
                 [Step(RUNTIME, " ".join(argv), run=argv, nic=self._pci_of(ifname))])

    def _pci_of(self, ifname):
        return self.h.netdev_pci().get(ifname)

    # --- the dataplane config --------------------------------------------------------------
    def dataplane(self):
        path = self.p.dataplane_config
        if not path:
            self.add("dataplane config", "named in the profile", "not named", WARN,
                     "dataplane_config lets edgelb-tune check that tuning and the dataplane agree")
            return
        text = self.h.read(path)
        why = "tuning and the dataplane must name the same cores and ports"
        if text is None:
            self.add("dataplane config", path, "absent", FAIL, why,
                     [Step(CONFIG, f"write {path} (docs/dataplane.md) or name the right file in dataplane_config")])
            return
        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            self.add("dataplane config", path, f"not YAML: {str(e).splitlines()[0]}", FAIL, why,
                     [Step(CONFIG, f"fix the YAML of {path}")])
            return
        eal = doc.get("eal") or {}
        workers = doc.get("workers", [1])
        self.add("dataplane workers", self.wlist, format_cpulist(workers) if isinstance(workers, list) else workers,
                 PASS if isinstance(workers, list) and sorted(workers) == sorted(self.workers) else FAIL,
                 f"{path}: workers must be the profile's cpu.worker_cores (the isolated cores)",
                 [Step(CONFIG, f"{path}: workers: [{', '.join(map(str, self.workers))}]")])
        main = eal.get("main_lcore", 0)
        self.add("dataplane main lcore", self.p.main_core, main, PASS if main == self.p.main_core else FAIL,
                 f"{path}: eal.main_lcore must be the profile's cpu.main_core",
                 [Step(CONFIG, f"{path}: eal.main_lcore: {self.p.main_core}")])
        if eal.get("lcores"):
            self.add("dataplane lcores map", "none", eal["lcores"], WARN,
                     "an --lcores map can put several lcores on one CPU: fine for tests, not for an appliance")
        want = sorted(n.pci for n in self.p.nics)
        allow = sorted(str(a).lower() for a in (eal.get("pci_allow") or []))
        self.add("dataplane pci_allow", ", ".join(want) or "none", ", ".join(allow) or "none (--no-pci)",
                 PASS if allow == want else FAIL, f"{path}: eal.pci_allow must list exactly the profile's nics",
                 [Step(CONFIG, f"{path}: eal.pci_allow: [{', '.join(want)}]")])
        ports = [str((p or {}).get("device", "")).lower() for p in (doc.get("ports") or [])]
        missing = [pci for pci in want if pci not in ports]
        self.add("dataplane ports", ", ".join(want) or "none", ", ".join(ports) or "none",
                 FAIL if missing else PASS, f"{path}: every profile NIC is a dataplane port"
                 + (f"; missing {', '.join(missing)}" if missing else ""),
                 [Step(CONFIG, f"{path}: add a port with device: {pci}") for pci in missing])


SYSCTL_WHY = {
    "kernel.numa_balancing": "automatic NUMA balancing scans and migrates pages behind the workers' backs",
    "vm.stat_interval": "the vmstat timer wakes every CPU, isolated ones too, this many seconds apart",
    "kernel.nmi_watchdog": "the NMI watchdog interrupts every CPU periodically",
    "net.core.somaxconn": "caps HAProxy's listen backlogs (haproxy.backlog)",
}


def run_checks(profile, host):
    c = Checker(profile, host)
    c.machine()
    c.firmware()
    c.kernel_cmdline()
    c.sysctls()
    c.hugepages()
    c.governor()
    c.irqs()
    c.service_cpus()
    c.nics()
    c.dataplane()
    return c.rows, c.refusals
