"""Fixture machines for edgelb-tune: fake /proc, /sys, /etc and recorded tool output.

Each tree is the part of a real machine edgelb-tune reads, laid out as the kernel lays it out
(sysfs symlinks for drivers, IOMMU groups and netdevs included) plus `commands/`, the output of
`ip -j`, `ethtool` and `mlxconfig` as those tools print it (the way sosreport keeps
`sos_commands/`). Made by code rather than committed as thousands of tiny files, so a tree's
differences from another read as a few lines here.

  python3 tests/unit/deploy/host_trees.py DIR [NAME...]   writes the trees (default: all) under DIR

Trees:
  tuned-2socket  two sockets, ConnectX-5 (bifurcated) + XL710 (vfio-pci) on node 0, everything as
                 firmware-cfg/host.yaml wants: check all pass, plan empty
  untuned        the same hardware fresh from the installer: governor powersave, SMT on, VT-d off,
                 no hugepages, IRQs everywhere, old mlx5 firmware, the i40e on its kernel driver
  mgmt-only      one socket, one NIC (an X710) that carries the host's address and default route
  wrong-numa     two sockets, the XL710 on node 1 while every hugepage is on node 0
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "deploy", "tune"))
from edgelb_tune.host import format_cpulist as cpulist  # noqa: E402

MLX5_PCI, I40E_PCI, I40E_FAR_PCI, MGMT_PCI = "0000:3b:00.0", "0000:5e:00.0", "0000:af:00.0", "0000:18:00.0"
INTEL_FLAGS = ("fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr "
               "sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs bts "
               "rep_good nopl xtopology nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx smx "
               "est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid dca sse4_1 sse4_2 x2apic movbe popcnt "
               "tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch cpuid_fault epb "
               "invpcid_single intel_ppin ssbd mba ibrs ibpb stibp ibrs_enhanced tpr_shadow flexpriority ept "
               "vpid ept_ad fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid cqm mpx rdt_a avx512f "
               "avx512dq rdseed adx smap clflushopt clwb intel_pt avx512cd avx512bw avx512vl xsaveopt xsavec "
               "xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local dtherm ida arat pln pts pku "
               "ospke avx512_vnni md_clear flush_l1d arch_capabilities")
TUNED_CMDLINE = ("BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=UUID=5d7b2a8c-3f0e-4a51-9f2e-0c1d2e3f4a5b ro quiet "
                 "iommu=pt intel_iommu=on isolcpus=managed_irq,domain,2-7 nohz_full=2-7 rcu_nocbs=2-7 "
                 "default_hugepagesz=1G hugepagesz=1G hugepages=0:8")
PLAIN_CMDLINE = "BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=UUID=5d7b2a8c-3f0e-4a51-9f2e-0c1d2e3f4a5b ro quiet"
GRUB = """# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="{}"
GRUB_CMDLINE_LINUX=""
"""
DATAPLANE = """eal:
  file_prefix: edgelb-dp
  main_lcore: {main}
  pci_allow: [{allow}]
workers: [{workers}]
ports:
{ports}metrics_listen: 127.0.0.1:9910
control_socket: /run/edgelb/dataplane.sock
"""
MLX5_KEY = ("6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:"
            "6a:42:b7:3b:be:ac:01:fa")
OTHER_KEY = ("3c:1f:8a:52:77:01:de:9b:44:20:6e:f0:11:c8:93:5a:2d:7e:46:b1:09:e5:38:ca:71:0f:d4:62:8b:a3:15:"
             "7c:e9:20:4d:f6:0a:b8:53:c7")


class Tree:
    def __init__(self, root):
        self.root = root

    def write(self, path, text):
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text if text.endswith("\n") or text == "" else text + "\n")

    def mkdir(self, path):
        os.makedirs(os.path.join(self.root, path), exist_ok=True)

    def link(self, path, target):
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        os.symlink(target, full)

    def command(self, argv, text):
        import re
        self.write("commands/" + re.sub(r"[^A-Za-z0-9.:,=+-]", "_", "_".join(argv)), text)


def machine(t, *, sockets, cores_per_socket, cmdline, governor, smt, no_turbo, deep_cstates, iommu,
            hugepages_1g, default_1g, mounts_1g, irq_cpus, vm=False, tuned_sysctl=True):
    """CPU, memory, IRQ and firmware-visible state. hugepages_1g: {node: reserved}."""
    ncpu = sockets * cores_per_socket
    # Debian 12's defaults, or what edgelb-tune wants
    for name, (default, tuned) in {"kernel/numa_balancing": ("1", "0"), "vm/stat_interval": ("1", "10"),
                                   "kernel/nmi_watchdog": ("1", "0"), "net/core/somaxconn": ("4096", "4096")}.items():
        t.write("proc/sys/" + name, tuned if tuned_sysctl else default)
    t.write("proc/cmdline", cmdline)
    flags = INTEL_FLAGS + (" hypervisor" if vm else "")
    cpuinfo = []
    for c in range(ncpu):
        cpuinfo.append(f"processor\t: {c}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
                       f"model name\t: Intel(R) Xeon(R) Gold 6244 CPU @ 3.60GHz\nphysical id\t: {c // cores_per_socket}\n"
                       f"siblings\t: {cores_per_socket}\ncore id\t\t: {c % cores_per_socket}\n"
                       f"cpu cores\t: {cores_per_socket}\nflags\t\t: {flags}\n")
    t.write("proc/cpuinfo", "\n".join(cpuinfo))
    t.write("sys/devices/system/cpu/online", f"0-{ncpu - 1}")
    t.write("sys/devices/system/cpu/smt/control", smt)
    t.write("sys/devices/system/cpu/intel_pstate/no_turbo", str(no_turbo))
    states = [("POLL", 0), ("C1", 2), ("C1E", 10), ("C6", 133)]
    for c in range(ncpu):
        base = f"sys/devices/system/cpu/cpu{c}"
        t.write(f"{base}/topology/physical_package_id", str(c // cores_per_socket))
        t.write(f"{base}/cpufreq/scaling_governor", governor)
        for i, (name, latency) in enumerate(states):
            t.write(f"{base}/cpuidle/state{i}/name", name)
            t.write(f"{base}/cpuidle/state{i}/latency", str(latency))
            t.write(f"{base}/cpuidle/state{i}/disable", "0" if deep_cstates or latency <= 2 else "1")
    for n in range(sockets):
        d = f"sys/devices/system/node/node{n}"
        t.write(f"{d}/cpulist", cpulist(range(n * cores_per_socket, (n + 1) * cores_per_socket)))
        pages = hugepages_1g.get(n, 0)
        t.write(f"{d}/hugepages/hugepages-1048576kB/nr_hugepages", str(pages))
        t.write(f"{d}/hugepages/hugepages-1048576kB/free_hugepages", str(max(pages - 2, 0)))
        t.write(f"{d}/hugepages/hugepages-2048kB/nr_hugepages", "0")
        t.write(f"{d}/hugepages/hugepages-2048kB/free_hugepages", "0")
    total = sum(hugepages_1g.values())
    t.write("proc/meminfo", f"MemTotal:       196608000 kB\nHugePages_Total:    {total}\nHugePages_Free:     {total}\n"
                            f"Hugepagesize:    {1048576 if default_1g else 2048} kB\n")
    mounts = ["sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
              "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
              "/dev/sda2 / ext4 rw,relatime,errors=remount-ro 0 0",
              f"hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize={'1024M' if default_1g else '2M'} 0 0"]
    if mounts_1g and not default_1g:
        mounts.append("nodev /dev/hugepages1G hugetlbfs rw,relatime,pagesize=1024M 0 0")
    t.write("proc/mounts", "\n".join(mounts))
    if iommu:
        for n in range(sockets):
            t.mkdir(f"sys/class/iommu/dmar{n}")
    else:
        t.mkdir("sys/class/iommu")
    for irq in range(24, 24 + 40):
        t.write(f"proc/irq/{irq}/smp_affinity_list", irq_cpus)
    t.write("sys/class/dmi/id/sys_vendor", "Dell Inc.")
    t.write("sys/class/dmi/id/product_name", "PowerEdge R640")
    t.write("proc/1/comm", "systemd")


def pci(t, addr, vendor, device, node, driver, group=None, netdev=None, vfs=0):
    d = f"sys/bus/pci/devices/{addr}"
    t.write(f"{d}/vendor", f"0x{vendor}")
    t.write(f"{d}/device", f"0x{device}")
    t.write(f"{d}/numa_node", str(node))
    t.write(f"{d}/sriov_totalvfs", "64")
    t.write(f"{d}/sriov_numvfs", str(vfs))
    if driver:
        t.mkdir(f"sys/bus/pci/drivers/{driver}")
        t.link(f"{d}/driver", f"../../drivers/{driver}")
    if group is not None:
        t.mkdir(f"sys/kernel/iommu_groups/{group}/devices/{addr}")
        t.link(f"{d}/iommu_group", f"../../../../kernel/iommu_groups/{group}")
    if netdev:
        t.mkdir(f"{d}/net/{netdev}")
        t.link(f"sys/class/net/{netdev}/device", f"../../../bus/pci/devices/{addr}")


def ip_state(t, links):
    """links: [(ifname, [(family, address, prefixlen)], [route dicts])]."""
    addrs, v4, v6 = [], [], []
    addrs.append({"ifindex": 1, "ifname": "lo", "flags": ["LOOPBACK", "UP", "LOWER_UP"], "mtu": 65536,
                  "operstate": "UNKNOWN", "addr_info": [
                      {"family": "inet", "local": "127.0.0.1", "prefixlen": 8, "scope": "host", "label": "lo"},
                      {"family": "inet6", "local": "::1", "prefixlen": 128, "scope": "host"}]})
    t.mkdir("sys/class/net/lo")
    for i, (ifname, a, routes) in enumerate(links, start=2):
        info = [{"family": f, "local": ad, "prefixlen": pl, "scope": "global"} for f, ad, pl in a]
        info.append({"family": "inet6", "local": "fe80::a236:9fff:fe00:%x" % i, "prefixlen": 64, "scope": "link"})
        addrs.append({"ifindex": i, "ifname": ifname, "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
                      "mtu": 1500, "operstate": "UP", "addr_info": info})
        for r in routes:
            (v6 if ":" in r.get("dst", "") or ":" in r.get("gateway", "") else v4).append(dict(r, dev=ifname))
        v6.append({"dst": "fe80::/64", "dev": ifname, "protocol": "kernel", "metric": 256, "flags": []})
    t.command(["ip", "-j", "address", "show"], json.dumps(addrs))
    t.command(["ip", "-j", "-4", "route", "show", "table", "main"], json.dumps(v4))
    t.command(["ip", "-j", "-6", "route", "show", "table", "main"], json.dumps(v6))


def ethtool(t, ifname, driver, firmware, bus, pause, rings, adaptive, usecs, key):
    t.command(["ethtool", "-i", ifname], f"driver: {driver}\nversion: 6.1.0-28-amd64\nfirmware-version: {firmware}\n"
                                         f"expansion-rom-version: \nbus-info: {bus}\nsupports-statistics: yes\n"
                                         "supports-test: yes\nsupports-eeprom-access: no\n"
                                         "supports-register-dump: no\nsupports-priv-flags: yes\n")
    t.command(["ethtool", "-a", ifname], f"Pause parameters for {ifname}:\nAutonegotiate:\t{pause}\nRX:\t\t{pause}\n"
                                         f"TX:\t\t{pause}\n")
    t.command(["ethtool", "-g", ifname], f"Ring parameters for {ifname}:\nPre-set maximums:\nRX:\t\t8192\n"
                                         "RX Mini:\tn/a\nRX Jumbo:\tn/a\nTX:\t\t8192\nCurrent hardware settings:\n"
                                         f"RX:\t\t{rings}\nRX Mini:\tn/a\nRX Jumbo:\tn/a\nTX:\t\t{rings}\n")
    t.command(["ethtool", "-c", ifname], f"Coalesce parameters for {ifname}:\nAdaptive RX: {adaptive}  TX: on\n"
                                         f"stats-block-usecs: n/a\nsample-interval: n/a\npkt-rate-low: n/a\n"
                                         f"pkt-rate-high: n/a\n\nrx-usecs: {usecs}\nrx-frames: 128\n"
                                         "rx-usecs-irq: n/a\nrx-frames-irq: n/a\n\ntx-usecs: 8\ntx-frames: 128\n")
    table = "".join(f"{i * 8:5}:" + "".join(f"{(i * 8 + j) % 16:6}" for j in range(8)) + "\n" for i in range(16))
    t.command(["ethtool", "-x", ifname], f"RX flow hash indirection table for {ifname} with 16 RX ring(s):\n{table}"
                                         f"RSS hash key:\n{key}\nRSS hash function:\n    toeplitz: on\n"
                                         "    xor: off\n    crc32: off\n")


def mlxconfig(t, addr, cqe, fw_name="MCX516A-CCA_Ax"):
    t.command(["mlxconfig", "-d", addr, "query"],
              f"\nDevice #1:\n----------\n\nDevice type:        ConnectX5\nName:               {fw_name}\n"
              "Description:        ConnectX-5 EN network interface card; 100GbE dual-port QSFP28\n"
              f"Device:             {addr}\n\nConfigurations:                                      Next Boot\n"
              "         MEMIC_BAR_SIZE                              0\n"
              "         MEMIC_SIZE_LIMIT                            _256KB(1)\n"
              "         NUM_OF_VFS                                  0\n"
              "         SRIOV_EN                                    False(0)\n"
              f"         CQE_COMPRESSION                             {cqe}\n"
              "         LINK_TYPE_P1                                ETH(2)\n"
              "         LINK_TYPE_P2                                ETH(2)\n")


def cpu_dropin(t, cpus):
    t.write("etc/systemd/system/edgelb-dataplane.service.d/50-edgelb-tune-cpus.conf",
            f"# Written by edgelb-tune apply from the host profile.\n[Service]\nCPUAffinity={cpus}\n")


def dataplane(t, main, workers, allow):
    ports = "".join(f'  - device: "{a}"\n    profile: auto\n' for a in allow)
    t.write("etc/edgelb/dataplane.yaml", DATAPLANE.format(main=main, workers=", ".join(map(str, workers)),
                                                           allow=", ".join(f'"{a}"' for a in allow), ports=ports))


def mgmt_link():
    return ("eno1", [("inet", "198.18.10.5", 24), ("inet6", "2001:db8:10::5", 64)],
            [{"dst": "default", "gateway": "198.18.10.1", "protocol": "static", "flags": []},
             {"dst": "198.18.10.0/24", "protocol": "kernel", "scope": "link", "prefsrc": "198.18.10.5", "flags": []},
             {"dst": "2001:db8:10::/64", "protocol": "kernel", "metric": 256, "flags": []}])


def tuned_2socket(t):
    machine(t, sockets=2, cores_per_socket=8, cmdline=TUNED_CMDLINE, governor="performance", smt="off", no_turbo=0,
            deep_cstates=False, iommu=True, hugepages_1g={0: 8}, default_1g=True, mounts_1g=True,
            irq_cpus="0-1,8-15")
    t.mkdir("sys/module/vfio_pci")
    t.mkdir("sys/module/vfio/parameters")
    t.write("sys/module/vfio/parameters/enable_unsafe_noiommu_mode", "N")
    pci(t, MGMT_PCI, "8086", "1521", 0, "igb", group=20, netdev="eno1")
    pci(t, MLX5_PCI, "15b3", "1017", 0, "mlx5_core", group=40, netdev="ens1f0np0")
    pci(t, I40E_PCI, "8086", "1583", 0, "vfio-pci", group=70)
    ip_state(t, [mgmt_link(), ("ens1f0np0", [], [])])
    ethtool(t, "ens1f0np0", "mlx5_core", "16.35.2000 (MT_0000000012)", MLX5_PCI, "off", 4096, "off", 0, MLX5_KEY)
    mlxconfig(t, MLX5_PCI, "AGGRESSIVE(1)")
    t.write("etc/default/grub", GRUB.format(TUNED_CMDLINE.split(" ro ", 1)[1]))
    dataplane(t, 1, [2, 3, 4, 5, 6, 7], [MLX5_PCI, I40E_PCI])
    cpu_dropin(t, "1-7")


def untuned(t):
    machine(t, sockets=2, cores_per_socket=8, cmdline=PLAIN_CMDLINE, governor="powersave", smt="on", no_turbo=1,
            deep_cstates=True, iommu=False, hugepages_1g={}, default_1g=False, mounts_1g=False, irq_cpus="0-15",
            tuned_sysctl=False)
    t.write("proc/812/comm", "irqbalance")
    pci(t, MGMT_PCI, "8086", "1521", 0, "igb", netdev="eno1")
    pci(t, MLX5_PCI, "15b3", "1017", 0, "mlx5_core", netdev="ens1f0np0")
    pci(t, I40E_PCI, "8086", "1583", 0, "i40e", netdev="ens2f0")
    ip_state(t, [mgmt_link(), ("ens1f0np0", [], []), ("ens2f0", [], [])])
    ethtool(t, "ens1f0np0", "mlx5_core", "16.32.1010 (MT_0000000012)", MLX5_PCI, "on", 1024, "on", 8, OTHER_KEY)
    ethtool(t, "ens2f0", "i40e", "8.70 0x8000c40f 1.3179.0", I40E_PCI, "on", 512, "on", 50, OTHER_KEY)
    mlxconfig(t, MLX5_PCI, "BALANCED(0)")
    t.write("etc/default/grub", GRUB.format("quiet"))
    dataplane(t, 0, [1], [MLX5_PCI])


def mgmt_only(t):
    machine(t, sockets=1, cores_per_socket=8, cmdline=TUNED_CMDLINE.replace("2-7", "2-5"), governor="performance",
            smt="off", no_turbo=0, deep_cstates=False, iommu=True, hugepages_1g={0: 8}, default_1g=True,
            mounts_1g=True, irq_cpus="0-1,6-7")
    t.mkdir("sys/module/vfio_pci")
    pci(t, "0000:01:00.0", "8086", "1572", 0, "i40e", group=12, netdev="eno1")
    ip_state(t, [mgmt_link()])
    ethtool(t, "eno1", "i40e", "9.20 0x8000d8c5 1.3353.0", "0000:01:00.0", "on", 512, "on", 50, OTHER_KEY)
    t.write("etc/default/grub", GRUB.format(TUNED_CMDLINE.replace("2-7", "2-5").split(" ro ", 1)[1]))
    dataplane(t, 1, [2, 3, 4, 5], ["0000:01:00.0"])
    cpu_dropin(t, "1-5")


def wrong_numa(t):
    machine(t, sockets=2, cores_per_socket=8, cmdline=TUNED_CMDLINE, governor="performance", smt="off", no_turbo=0,
            deep_cstates=False, iommu=True, hugepages_1g={0: 8}, default_1g=True, mounts_1g=True,
            irq_cpus="0-1,8-15")
    t.mkdir("sys/module/vfio_pci")
    pci(t, MGMT_PCI, "8086", "1521", 0, "igb", group=20, netdev="eno1")
    pci(t, I40E_FAR_PCI, "8086", "1583", 1, "vfio-pci", group=170)
    ip_state(t, [mgmt_link()])
    t.write("etc/default/grub", GRUB.format(TUNED_CMDLINE.split(" ro ", 1)[1]))
    dataplane(t, 1, [2, 3, 4, 5, 6, 7], [I40E_FAR_PCI])
    cpu_dropin(t, "1 2 3 4 5 6 7")  # systemd also takes a space-separated list


TREES = {"tuned-2socket": tuned_2socket, "untuned": untuned, "mgmt-only": mgmt_only, "wrong-numa": wrong_numa}


def build(name, root):
    os.makedirs(root, exist_ok=True)
    TREES[name](Tree(root))
    return root


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for n in sys.argv[2:] or TREES:
        print(build(n, os.path.join(sys.argv[1], n)))
