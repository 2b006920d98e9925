"""edgelb-tune against fixture machines (host_trees.py) and, read-only, against this machine.

Each fixture tree's `check` table and `plan` must equal tests/fixtures/edgelb-tune/<tree>.check.txt
and .plan.txt byte for byte (the root's temporary path reads ROOT there). After a deliberate change
of the output, EDGELB_UPDATE_EXPECTED=1 rewrites those files; review the diff.
Run: python3 -m unittest tests/unit/deploy/edgelb_tune_test.py (from the repository root).
"""
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "deploy", "tune"))
sys.path.insert(0, HERE)

import host_trees  # noqa: E402
from edgelb_tune.apply import apply_plan  # noqa: E402
from edgelb_tune.checks import run_checks  # noqa: E402
from edgelb_tune.commands import RecordedRunner, command_key  # noqa: E402
from edgelb_tune.host import Host, format_cpulist, parse_cpulist  # noqa: E402
from edgelb_tune.hugepages import reserve  # noqa: E402
from edgelb_tune.plan import make_plan  # noqa: E402
from edgelb_tune.profile import ProfileError, load_profile  # noqa: E402

TOOL = os.path.join(REPO, "deploy", "edgelb-tune")
EXPECTED = os.path.join(REPO, "tests", "fixtures", "edgelb-tune")
FIRMWARE = os.path.join(REPO, "firmware-cfg")
NIC_PROFILES = os.path.join(REPO, "nic-profiles")
PROFILES = {"tuned-2socket": "firmware-cfg/host.yaml", "untuned": "firmware-cfg/host.yaml",
            "mgmt-only": "tests/fixtures/edgelb-tune/mgmt-only.yaml",
            "wrong-numa": "tests/fixtures/edgelb-tune/wrong-numa.yaml"}
EXIT = {"tuned-2socket": (0, 0), "untuned": (1, 0), "mgmt-only": (1, 3), "wrong-numa": (1, 0)}


def tool(*args):
    p = subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True, cwd=REPO, timeout=60)
    return p.returncode, p.stdout, p.stderr


def snapshot(root):
    """{relative path: content or link target} of a tree."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            full = os.path.join(d, f)
            rel = os.path.relpath(full, root)
            if os.path.islink(full):
                out[rel] = "->" + os.readlink(full)
            else:
                out[rel] = read(full)
    return out


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


class FixtureTrees(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="edgelb-tune-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def tree(self, name):
        return host_trees.build(name, os.path.join(self.tmp, name))

    def expect(self, name, kind, text):
        path = os.path.join(EXPECTED, f"{name}.{kind}.txt")
        text = text.replace(os.path.join(self.tmp, name), "ROOT")
        if os.environ.get("EDGELB_UPDATE_EXPECTED") == "1":
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        with open(path, encoding="utf-8") as f:
            self.assertEqual(f.read(), text, f"{kind} of {name} differs from {path}")

    def test_check_and_plan_of_every_tree_are_exactly_the_expected_ones(self):
        for name in host_trees.TREES:
            with self.subTest(tree=name):
                root = self.tree(name)
                before = snapshot(root)
                rc, out, err = tool("check", "--profile", PROFILES[name], "--root", root)
                self.assertEqual(err, "")
                self.assertEqual(rc, EXIT[name][0], out)
                self.expect(name, "check", out)
                rc, out, err = tool("plan", "--profile", PROFILES[name], "--root", root)
                self.assertEqual(rc, EXIT[name][1], out)
                self.expect(name, "plan", out)
                self.assertEqual(snapshot(root), before, "check and plan changed the tree")

    def test_a_tuned_box_passes_and_its_plan_is_empty(self):
        root = self.tree("tuned-2socket")
        rc, out, _ = tool("check", "--profile", PROFILES["tuned-2socket"], "--root", root, "--json")
        doc = json.loads(out)
        self.assertEqual(rc, 0)
        self.assertEqual(doc["summary"]["fail"], 0)
        self.assertEqual(doc["refused"], [])
        rc, out, _ = tool("plan", "--profile", PROFILES["tuned-2socket"], "--root", root, "--json")
        plan = json.loads(out)
        self.assertEqual([s for s in plan["steps"] if s["kind"] != "config"], [])

    def test_the_management_nic_is_refused_by_check_plan_and_apply(self):
        root = self.tree("mgmt-only")
        profile = PROFILES["mgmt-only"]
        rc, out, _ = tool("check", "--profile", profile, "--root", root, "--json")
        rows = {r["item"]: r for r in json.loads(out)["rows"]}
        row = rows["nic 0000:01:00.0 not management"]
        self.assertEqual(row["status"], "fail")
        self.assertIn("eno1", row["found"])
        self.assertIn("holds the default route", row["found"])
        rc, out, _ = tool("plan", "--profile", profile, "--root", root)
        self.assertEqual(rc, 3)
        self.assertNotIn("driverctl", out)
        self.assertIn("refusing to touch 0000:01:00.0 (eno1)", out)
        before = snapshot(root)
        rc, out, _ = tool("apply", "--profile", profile, "--root", root, "--yes")
        self.assertEqual(rc, 3, out)
        self.assertIn("refusing to touch 0000:01:00.0 (eno1): it carries 198.18.10.5/24", out)
        self.assertIn("nothing was changed", out)
        self.assertEqual(snapshot(root), before)

    def test_apply_takes_the_runtime_steps_and_only_those(self):
        root = self.tree("untuned")
        before = snapshot(root)
        rc, out, _ = tool("apply", "--profile", PROFILES["untuned"], "--root", root, "--yes")
        self.assertEqual(rc, 0, out)
        after = snapshot(root)
        changed = sorted(k for k in after if after[k] != before.get(k))
        hp = "sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages"
        dropin = "etc/systemd/system/edgelb-dataplane.service.d/50-edgelb-tune-cpus.conf"
        sysctl = ["proc/sys/kernel/nmi_watchdog", "proc/sys/kernel/numa_balancing", "proc/sys/vm/stat_interval",
                  "etc/sysctl.d/60-edgelb.conf"]
        self.assertEqual(changed, sorted([hp, dropin] + sysctl +
                                         [f"sys/devices/system/cpu/cpu{c}/cpufreq/scaling_governor"
                                          for c in range(2, 8)] +
                                         [f"proc/irq/{i}/smp_affinity_list" for i in range(24, 64)]))
        self.assertEqual(after["proc/sys/vm/stat_interval"], "10\n")
        self.assertIn("\nvm.stat_interval = 10\n", after["etc/sysctl.d/60-edgelb.conf"])
        self.assertIn("[Service]\nCPUAffinity=1-7\n", after[dropin])
        self.assertEqual(after[hp], "8\n")
        self.assertEqual(after["proc/irq/30/smp_affinity_list"], "0-1,8-15\n")
        self.assertIn("  done     modprobe vfio-pci", out)
        self.assertIn("  done     driverctl set-override 0000:5e:00.0 vfio-pci", out)
        self.assertIn("  done     ethtool -A ens1f0np0 autoneg off rx off tx off", out)
        self.assertNotIn("mlxconfig", out)   # NIC firmware: printed by plan, never run
        self.assertNotIn("GRUB", out)
        self.assertIn("  done     systemctl daemon-reload", out)
        self.assertIn("61 done, 0 failed, 0 refused", out)
        # the runtime rows now pass
        rc, out, _ = tool("check", "--profile", PROFILES["untuned"], "--root", root, "--json")
        rows = {r["item"]: r["status"] for r in json.loads(out)["rows"]}
        self.assertEqual(rows["hugepages node0 1G"], "pass")
        self.assertEqual(rows["cpu.governor"], "pass")
        self.assertEqual(rows["irq.affinity"], "pass")
        self.assertEqual(rows["systemd CPUAffinity"], "pass")
        self.assertEqual(rows["sysctl vm.stat_interval"], "pass")

    def test_apply_checks_the_nic_again_right_before_touching_it(self):
        root = self.tree("untuned")
        profile = load_profile(os.path.join(REPO, PROFILES["untuned"]), FIRMWARE, NIC_PROFILES)
        host = Host(root, RecordedRunner(root))
        plan = make_plan(*run_checks(profile, host), host)
        # between plan and apply, someone puts an address on the mlx5's netdev
        path = os.path.join(root, "commands", command_key(["ip", "-j", "address", "show"]))
        links = json.loads(read(path))
        for link in links:
            if link["ifname"] == "ens1f0np0":
                link["addr_info"].append({"family": "inet", "local": "198.18.20.2", "prefixlen": 24,
                                          "scope": "global"})
        write(path, json.dumps(links))
        out = io.StringIO()
        result = apply_plan(plan, host, lambda steps: True, out)
        refused = [r.pci for r in result.refused]
        self.assertEqual(refused, ["0000:3b:00.0"] * 4, out.getvalue())  # ethtool -A -G -C -X
        ran = [" ".join(a) for a in host.runner.executed]
        self.assertFalse(any("ens1f0np0" in a for a in ran), ran)
        self.assertIn("driverctl set-override 0000:5e:00.0 vfio-pci", ran)

    def test_apply_asks_first_and_does_nothing_without_a_yes(self):
        root = self.tree("untuned")
        before = snapshot(root)
        p = subprocess.run([sys.executable, TOOL, "apply", "--profile", PROFILES["untuned"], "--root", root],
                           capture_output=True, text=True, cwd=REPO, stdin=subprocess.DEVNULL, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("run again with --yes", p.stdout)
        self.assertEqual(snapshot(root), before)

    def test_a_write_the_kernel_does_not_take_is_a_failure(self):
        root = self.tree("untuned")
        profile = load_profile(os.path.join(REPO, PROFILES["untuned"]), FIRMWARE, NIC_PROFILES)
        host = Host(root, RecordedRunner(root))
        plan = make_plan(*run_checks(profile, host), host)
        os.remove(os.path.join(root, "sys/devices/system/cpu/cpu5/cpufreq/scaling_governor"))
        result = apply_plan(plan, host, lambda steps: True, io.StringIO())
        self.assertEqual([f for f, _ in result.failed],
                         ["echo performance > /sys/devices/system/cpu/cpu5/cpufreq/scaling_governor"])
        self.assertFalse(result.ok)


class Profiles(unittest.TestCase):
    def write(self, text):
        f = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
        f.write(text)
        f.close()
        self.addCleanup(os.remove, f.name)
        return f.name

    def test_every_family_file_loads_and_has_a_runtime_nic_profile(self):
        families = sorted(f[:-5] for f in os.listdir(FIRMWARE) if f.startswith("net_") and f.endswith(".yaml"))
        self.assertEqual(families, ["net_i40e", "net_ice", "net_ixgbe", "net_mlx5", "net_virtio"])
        nics = "".join(f'  - pci: "0000:0{i}:00.0"\n    family: {f}\n' for i, f in enumerate(families))
        path = self.write(f"version: 1\ncpu: {{main_core: 0, worker_cores: [1]}}\n"
                          f"kernel: {{hugepages: {{per_node: {{0: 1}}}}}}\nnics:\n{nics}")
        p = load_profile(path, FIRMWARE, NIC_PROFILES)
        self.assertEqual([n.family.name for n in p.nics], families)
        for f in families:
            self.assertTrue(os.path.exists(os.path.join(NIC_PROFILES, f + ".yaml")), f)
        mlx5 = next(n for n in p.nics if n.family.name == "net_mlx5")
        self.assertEqual(mlx5.family.rss_key[:8], "6d5a56da")  # taken from nic-profiles/net_mlx5.yaml

    def test_every_problem_is_reported_with_its_path(self):
        path = self.write("version: 1\ncpu: {main_core: 2, worker_cores: [2, 3], governer: performance}\n"
                          "firmware: {smt: maybe}\nkernel: {hugepages: {size: 4K, per_node: {0: 8}}, "
                          "sysctl: {Not-A-Name: 1, vm.swappiness: [1]}}\n"
                          "nics:\n  - pci: 3b:00.0\n    family: net_mlx5\n  - pci: 0000:5e:00.0\n"
                          "    family: net_nosuch\n")
        with self.assertRaises(ProfileError) as e:
            load_profile(path, FIRMWARE, NIC_PROFILES)
        errors = "\n".join(e.exception.errors)
        for want in ("cpu.governer: unknown key", "cpu.main_core: core 2 is also a worker",
                     "firmware.smt: must be one of on, off, any (got 'maybe')",
                     "kernel.hugepages.size: must be one of 1G, 2M (got '4K')",
                     "nics[0].pci: must be a PCI address like 0000:3b:00.0 (got '3b:00.0')",
                     "nics[1].family:", "net_nosuch.yaml: no such NIC family file",
                     "kernel.sysctl.Not-A-Name: not a sysctl name", "kernel.sysctl.vm.swappiness: must be a single value"):
            self.assertIn(want, errors)
        self.assertTrue(all(err.startswith(path + ": ") for err in e.exception.errors), errors)
        rc, out, err = tool("check", "--profile", path)
        self.assertEqual(rc, 2)
        self.assertIn("the profile is not valid", err)
        self.assertEqual(out, "")

    def test_cpu_lists(self):
        self.assertEqual(parse_cpulist("0-3,8,10-11"), [0, 1, 2, 3, 8, 10, 11])
        self.assertEqual(format_cpulist([11, 0, 1, 2, 8, 10]), "0-2,8,10-11")
        self.assertEqual(parse_cpulist(""), [])


class ThisMachine(unittest.TestCase):
    """check and plan on the real machine: read-only. apply never runs against / in tests."""

    def default_route_nic(self):
        out = subprocess.run(["ip", "-j", "route", "show", "default"], capture_output=True, text=True).stdout
        routes = json.loads(out or "[]")
        if not routes:
            return None, None
        ifname = routes[0]["dev"]
        pci = Host("/", None).netdev_pci().get(ifname)
        return ifname, pci

    def test_check_on_this_machine_judges_what_it_can(self):
        ifname, pci = self.default_route_nic()
        nics = f'nics:\n  - pci: "{pci}"\n    family: net_virtio\n' if pci else ""
        f = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
        f.write(f"version: 1\ncpu: {{main_core: 0, worker_cores: [1]}}\n"
                f"kernel: {{hugepages: {{size: 2M, per_node: {{0: 512}}}}}}\n{nics}")
        f.close()
        self.addCleanup(os.remove, f.name)
        rc, out, err = tool("check", "--profile", f.name, "--json")
        self.assertEqual(err, "")
        self.assertIn(rc, (0, 1))
        rows = {r["item"]: r for r in json.loads(out)["rows"]}
        if Host("/", None).virtualization():
            self.assertEqual(rows["machine"]["found"], "virtual machine")
            for item in ("firmware.smt", "firmware.c_states", "firmware.numa_interleave", "cpu.governor"):
                if item in rows:
                    self.assertEqual(rows[item]["status"], "n/a", rows[item])
                    self.assertIn("cannot be judged in a VM", rows[item]["why"])
        if pci:
            row = rows[f"nic {pci} not management"]
            self.assertEqual(row["status"], "fail")
            self.assertIn(ifname, row["found"])
            rc, out, _ = tool("plan", "--profile", f.name)
            self.assertEqual(rc, 3)
            self.assertIn(f"refusing to touch {pci} ({ifname})", out)
            self.assertNotIn("driverctl", out)


class Hugepages(unittest.TestCase):
    def test_quick_reservation_reports_what_it_got(self):
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, "proc/sys/vm"))
            write(os.path.join(root, "proc/sys/vm/nr_hugepages"), "0\n")
            write(os.path.join(root, "proc/meminfo"), "HugePages_Total:     512\nHugePages_Free:      500\n")
            write(os.path.join(root, "proc/mounts"), "hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n")
            self.assertEqual(reserve(512, root), "hugepages 512 x 2 MiB reserved, 500 free at /dev/hugepages")
            self.assertEqual(read(os.path.join(root, "proc/sys/vm/nr_hugepages")), "512\n")
            write(os.path.join(root, "proc/meminfo"), "HugePages_Total:     512\nHugePages_Free:      10\n")
            self.assertEqual(reserve(512, root), "no-huge (only 10 free 2 MiB pages, 64 needed)")


if __name__ == "__main__":
    unittest.main()
