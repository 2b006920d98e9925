"""The host profile (firmware-cfg/host.yaml) and NIC family files (firmware-cfg/<family>.yaml).

`load_profile(path, firmware_dir, nic_profiles_dir)` returns a `Profile` or raises
`ProfileError` listing every problem as "<file>: <path>: <message>". Unknown keys are errors
(a misspelt key must not be silently ignored), as in the dataplane's own config parser.
"""
import os
import re

import yaml

PCI_RE = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
PCI_ID_RE = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{4}$")
HUGEPAGE_KB = {"1G": 1048576, "2M": 2048}


class ProfileError(Exception):
    def __init__(self, errors):
        super().__init__("\n".join(errors))
        self.errors = errors


class Nic:
    def __init__(self, pci, family, firmware_settings):
        self.pci = pci
        self.family = family  # a Family
        self.firmware_settings = firmware_settings  # family's, with the host profile's overrides


class Family:
    def __init__(self, doc, path):
        self.path = path
        self.name = doc["name"]
        self.description = doc.get("description", self.name)
        self.pci_ids = {k.lower(): v for k, v in (doc.get("pci_ids") or {}).items()}
        self.kernel_driver = doc["kernel_driver"]
        self.dpdk_binding = doc["dpdk_binding"]
        self.min_firmware = doc.get("min_firmware") or {}
        self.firmware_tool = doc.get("firmware_tool")
        self.firmware_settings = doc.get("firmware_settings") or {}
        self.ethtool = doc.get("ethtool") or {}
        self.ddp_package = doc.get("ddp_package")
        self.rss_key = None  # from nic-profiles/<name>.yaml when ethtool.rss_key_from_nic_profile

    @property
    def bifurcated(self):
        return self.dpdk_binding == "kernel"

    def min_firmware_for(self, pci_id):
        return self.min_firmware.get(pci_id) or self.min_firmware.get("*")


class Profile:
    def __init__(self):
        self.path = ""
        self.dataplane_config = ""
        self.main_core = 0
        self.worker_cores = []
        self.housekeeping_cores = None  # None: every online core that is not a worker
        self.governor = "performance"
        self.firmware = {}
        self.hugepage_size = "1G"
        self.hugepages_per_node = {}
        self.iommu = "pt"
        self.isolate_workers = True
        self.extra_cmdline = []
        self.sysctl = dict(DEFAULT_SYSCTL)
        self.nics = []

    @property
    def hugepage_kb(self):
        return HUGEPAGE_KB[self.hugepage_size]


class _Checker:
    def __init__(self, file):
        self.file = file
        self.errors = []

    def error(self, path, message):
        self.errors.append(f"{self.file}: {path}: {message}")

    def mapping(self, node, path, allowed):
        if node is None:
            return {}
        if not isinstance(node, dict):
            self.error(path, "must be a mapping")
            return {}
        for key in node:
            if key not in allowed:
                self.error(f"{path}.{key}" if path else str(key),
                           f"unknown key (allowed: {', '.join(sorted(allowed))})")
        return node

    def cores(self, node, path, required):
        if node is None:
            if required:
                self.error(path, "required: a list of CPU numbers")
            return None
        if not isinstance(node, list) or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0
                                                 for c in node):
            self.error(path, "must be a list of CPU numbers (integers >= 0)")
            return None
        if len(set(node)) != len(node):
            self.error(path, "lists a CPU twice")
        return list(node)

    def choice(self, node, path, allowed, default):
        if node is None:
            return default
        if isinstance(node, bool):  # YAML reads on/off as booleans
            node = "on" if node else "off"
        if node not in allowed:
            self.error(path, f"must be one of {', '.join(allowed)} (got {node!r})")
            return default
        return node


FAMILY_KEYS = {"name", "description", "pci_ids", "kernel_driver", "dpdk_binding", "min_firmware",
               "firmware_tool", "firmware_settings", "ethtool", "ddp_package"}
ETHTOOL_KEYS = {"pause", "rings", "coalesce", "rss_key_from_nic_profile", "rss_equal"}


def load_family(name, firmware_dir, nic_profiles_dir):
    path = os.path.join(firmware_dir, f"{name}.yaml")
    c = _Checker(path)
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except FileNotFoundError:
        raise ProfileError([f"{path}: no such NIC family file (families are firmware-cfg/<name>.yaml)"])
    except yaml.YAMLError as e:
        raise ProfileError([f"{path}: not YAML: {e}"])
    doc = c.mapping(doc, "", FAMILY_KEYS)
    if doc.get("name") != name:
        c.error("name", f"must be {name!r}, the file's name")
    for key in ("kernel_driver", "dpdk_binding"):
        if not isinstance(doc.get(key), str):
            c.error(key, "required string")
    if doc.get("dpdk_binding") not in (None, "kernel", "vfio-pci", "uio_pci_generic"):
        c.error("dpdk_binding", "must be kernel (bifurcated), vfio-pci or uio_pci_generic")
    ids = doc.get("pci_ids") or {}
    if not isinstance(ids, dict) or not ids:
        c.error("pci_ids", "required: a mapping of vendor:device ids to model names")
        ids = {}
    for k in ids:
        if not PCI_ID_RE.match(str(k).lower()):
            c.error(f"pci_ids.{k}", "must be vendor:device in hex, e.g. 15b3:1017")
    if doc.get("firmware_settings") and doc.get("firmware_tool") != "mlxconfig":
        c.error("firmware_tool", "firmware_settings need firmware_tool: mlxconfig")
    eth = c.mapping(doc.get("ethtool"), "ethtool", ETHTOOL_KEYS)
    for key in ("pause", "rings", "coalesce"):
        if key in eth and not isinstance(eth[key], dict):
            c.error(f"ethtool.{key}", "must be a mapping of ethtool settings")
    if c.errors:
        raise ProfileError(c.errors)
    fam = Family(doc, path)
    if eth.get("rss_key_from_nic_profile"):
        nic_path = os.path.join(nic_profiles_dir, f"{name}.yaml")
        try:
            with open(nic_path, encoding="utf-8") as f:
                fam.rss_key = (yaml.safe_load(f).get("rss") or {}).get("key")
        except (OSError, yaml.YAMLError, AttributeError) as e:
            raise ProfileError([f"{path}: ethtool.rss_key_from_nic_profile: cannot read {nic_path}: {e}"])
        if not fam.rss_key:
            raise ProfileError([f"{nic_path}: rss.key: missing; {path} takes the kernel's RSS key from it"])
    return fam


HOST_KEYS = {"version", "dataplane_config", "cpu", "firmware", "kernel", "nics", "firmware_cfg_dir"}
CPU_KEYS = {"main_core", "worker_cores", "housekeeping_cores", "governor"}
FIRMWARE_KEYS = {"smt", "turbo", "c_states", "iommu", "sr_iov", "numa_interleave"}
KERNEL_KEYS = {"hugepages", "iommu", "isolate_workers", "extra_cmdline", "sysctl"}
# Kernel settings a poll-mode appliance wants; kernel.sysctl in the profile adds or overrides
# (a value of null leaves one out).
DEFAULT_SYSCTL = {
    "kernel.numa_balancing": "0",   # no page scanning and migration behind the workers' backs
    "vm.stat_interval": "10",       # the vmstat timer ticks on every CPU, isolated ones too
    "kernel.nmi_watchdog": "0",     # a periodic NMI on every CPU
    "net.core.somaxconn": "4096",   # HAProxy's listen backlogs are capped by it
}
NIC_KEYS = {"pci", "family", "firmware_settings"}
GOVERNORS = ["performance", "powersave", "schedutil", "ondemand", "userspace", "conservative"]


def load_profile(path, firmware_dir, nic_profiles_dir):
    c = _Checker(path)
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except OSError as e:
        raise ProfileError([f"{path}: cannot read: {e.strerror}"])
    except yaml.YAMLError as e:
        raise ProfileError([f"{path}: not YAML: {e}"])
    doc = c.mapping(doc if doc is not None else {}, "", HOST_KEYS)
    p = Profile()
    p.path = path
    if doc.get("version") != 1:
        c.error("version", "must be 1")
    p.dataplane_config = doc.get("dataplane_config") or ""
    if not isinstance(p.dataplane_config, str):
        c.error("dataplane_config", "must be a path")
        p.dataplane_config = ""
    firmware_dir = doc.get("firmware_cfg_dir") or firmware_dir

    cpu = c.mapping(doc.get("cpu"), "cpu", CPU_KEYS)
    if not cpu:
        c.error("cpu", "required: main_core and worker_cores")
    main = cpu.get("main_core", 0)
    if not isinstance(main, int) or isinstance(main, bool) or main < 0:
        c.error("cpu.main_core", "must be a CPU number")
        main = 0
    p.main_core = main
    p.worker_cores = c.cores(cpu.get("worker_cores"), "cpu.worker_cores", True) or []
    if not p.worker_cores and cpu.get("worker_cores") is not None and not c.errors:
        c.error("cpu.worker_cores", "needs at least one core")
    if p.main_core in p.worker_cores:
        c.error("cpu.main_core", f"core {p.main_core} is also a worker; the main lcore needs its own core")
    p.housekeeping_cores = c.cores(cpu.get("housekeeping_cores"), "cpu.housekeeping_cores", False)
    if p.housekeeping_cores:
        both = sorted(set(p.housekeeping_cores) & set(p.worker_cores))
        if both:
            c.error("cpu.housekeeping_cores", f"core(s) {both} are workers; IRQs must stay off worker cores")
    p.governor = c.choice(cpu.get("governor"), "cpu.governor", GOVERNORS, "performance")

    fw = c.mapping(doc.get("firmware"), "firmware", FIRMWARE_KEYS)
    p.firmware = {
        "smt": c.choice(fw.get("smt"), "firmware.smt", ["on", "off", "any"], "off"),
        "turbo": c.choice(fw.get("turbo"), "firmware.turbo", ["on", "off", "any"], "any"),
        "c_states": c.choice(fw.get("c_states"), "firmware.c_states", ["c1", "any"], "c1"),
        "iommu": c.choice(fw.get("iommu"), "firmware.iommu", ["on", "off"], "on"),
        "sr_iov": c.choice(fw.get("sr_iov"), "firmware.sr_iov", ["on", "off"], "off"),
        "numa_interleave": c.choice(fw.get("numa_interleave"), "firmware.numa_interleave", ["on", "off"], "off"),
    }

    k = c.mapping(doc.get("kernel"), "kernel", KERNEL_KEYS)
    hp = c.mapping(k.get("hugepages"), "kernel.hugepages", {"size", "per_node"})
    p.hugepage_size = c.choice(hp.get("size"), "kernel.hugepages.size", ["1G", "2M"], "1G")
    per_node = hp.get("per_node")
    if per_node is None:
        c.error("kernel.hugepages.per_node", "required: pages per NUMA node, e.g. {0: 8, 1: 8}")
    elif not isinstance(per_node, dict) or not all(
            isinstance(n, int) and isinstance(v, int) and n >= 0 and v >= 0 for n, v in per_node.items()):
        c.error("kernel.hugepages.per_node", "must map NUMA node numbers to page counts")
    else:
        p.hugepages_per_node = dict(sorted(per_node.items()))
    p.iommu = c.choice(k.get("iommu"), "kernel.iommu", ["pt", "on", "off"], "pt")
    iso = k.get("isolate_workers", True)
    if not isinstance(iso, bool):
        c.error("kernel.isolate_workers", "must be true or false")
        iso = True
    p.isolate_workers = iso
    extra = k.get("extra_cmdline") or []
    if not isinstance(extra, list) or not all(isinstance(a, str) and a and " " not in a for a in extra):
        c.error("kernel.extra_cmdline", "must be a list of kernel arguments without spaces")
        extra = []
    p.extra_cmdline = extra
    sysctl = k.get("sysctl") or {}
    if not isinstance(sysctl, dict):
        c.error("kernel.sysctl", "must map sysctl names to values, e.g. {vm.swappiness: 1}")
        sysctl = {}
    for name, value in sysctl.items():
        if not re.match(r"^[a-z0-9_]+(\.[a-z0-9_-]+)+$", str(name)):
            c.error(f"kernel.sysctl.{name}", "not a sysctl name (dotted, e.g. vm.swappiness)")
        elif value is None:
            p.sysctl.pop(name, None)
        elif isinstance(value, (dict, list)):
            c.error(f"kernel.sysctl.{name}", "must be a single value")
        else:
            p.sysctl[name] = str(int(value) if isinstance(value, bool) else value)

    nics = doc.get("nics")
    if nics is None:
        nics = []
    if not isinstance(nics, list):
        c.error("nics", "must be a list")
        nics = []
    seen = set()
    families = {}
    for i, n in enumerate(nics):
        where = f"nics[{i}]"
        n = c.mapping(n, where, NIC_KEYS)
        pci = str(n.get("pci", "")).lower()
        if not PCI_RE.match(pci):
            c.error(f"{where}.pci", f"must be a PCI address like 0000:3b:00.0 (got {n.get('pci')!r})")
            continue
        if pci in seen:
            c.error(f"{where}.pci", f"{pci} is listed twice")
        seen.add(pci)
        name = n.get("family")
        if not isinstance(name, str) or not re.match(r"^net_[a-z0-9_]+$", name):
            c.error(f"{where}.family", "must name a firmware-cfg family, e.g. net_mlx5")
            continue
        if name not in families:
            try:
                families[name] = load_family(name, firmware_dir, nic_profiles_dir)
            except ProfileError as e:
                for err in e.errors:
                    c.errors.append(f"{path}: {where}.family: {err}")
                continue
        fam = families[name]
        over = n.get("firmware_settings") or {}
        if not isinstance(over, dict):
            c.error(f"{where}.firmware_settings", "must be a mapping")
            over = {}
        if over and not fam.firmware_tool:
            c.error(f"{where}.firmware_settings", f"{name} has no firmware tool; nothing to set")
        settings = dict(fam.firmware_settings)
        if fam.firmware_tool == "mlxconfig" and p.firmware["sr_iov"] == "on" and "SRIOV_EN" in settings:
            settings["SRIOV_EN"] = 1
        settings.update(over)
        p.nics.append(Nic(pci, fam, settings))
    if c.errors:
        raise ProfileError(c.errors)
    return p
