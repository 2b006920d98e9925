"""The systemd units booted for real: the Debian package installed (deploy/install.sh) in a
throwaway root (tests/support/throwaway_root.py), booted with systemd as PID 1 in a container
(systemd-nspawn, its own network namespace with only loopback), and edgelb-zookeeper,
edgelb-apiserver, edgelb-agent and edgelb-dataplane started by systemd as an operator would.

Checked: each unit is active only once it is ready (Type=notify / the srvr probe) and the
services really talk (edgelbctl ping through the apiserver to ZooKeeper with mutual TLS, the
agent connected to both and in sync with the dataplane), the hardening is in force (capability
bounding sets, no new privileges), a killed dataplane is restarted by systemd, and every unit
stops cleanly. Two things differ from a real box and say so: the dataplane config has a
net_ring port and no hugepages (a container has no NIC), and a drop-in clears the unit's
`edgelb-tune check` (which needs NICs, hugepages and a tuned kernel command line; it is tested on
fixture machines in tests/unit/deploy).
  python3 tests/package/boot_test.py --build-dir build
"""
import glob
import os
import re
import signal
import subprocess
import sys
import time
import unittest

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests"))
from support.throwaway_root import ThrowawayRoot, run, unittest_main_with_build_dir  # noqa: E402

BUILD = None
UNITS = ["edgelb-zookeeper", "edgelb-apiserver", "edgelb-dataplane", "edgelb-agent"]
CAP = {"NET_BIND_SERVICE": 10, "NET_ADMIN": 12, "NET_RAW": 13, "IPC_LOCK": 14, "SYS_RAWIO": 17, "SYS_NICE": 23,
       "BPF": 39}
DATAPLANE = """# boot test: a net_ring port and no hugepages (a container has no NIC)
eal: {file_prefix: edgelb-boot, memory_mb: 256, hugepages: "off", main_lcore: 0}
workers: [1]
ports: [{device: "net_ring0"}]
services_file: /etc/edgelb/services.yaml
metrics: {listen: "127.0.0.1:9910"}
control: {socket: /run/edgelb/dataplane.sock}
"""
TARGET = """[Unit]
Description=edgelb boot test: basic system plus the edgelb units
Requires=basic.target
After=basic.target
Wants=edgelb-zookeeper.service edgelb-apiserver.service edgelb-agent.service edgelb-dataplane.service
AllowIsolate=yes
"""
NO_TUNE_CHECK = """# boot test only: no NIC, no hugepages, no tuned command line in a container
[Service]
ExecStartPre=
"""


def mask(*caps):
    return sum(1 << CAP[c] for c in caps)


class Boot(unittest.TestCase):
    def setUp(self):
        self.r = ThrowawayRoot()
        self.addCleanup(self.r.close)
        out = os.path.join(self.r.tmp, "out")
        run(["cpack", "-G", "DEB", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", out])
        self.r.put(glob.glob(os.path.join(out, "*.deb"))[0], "tmp/edgelb.deb")
        self.r.put(os.path.join(REPO, "deploy/install.sh"), "tmp/install.sh")
        self.r.chroot("bash", "/tmp/install.sh", "--deb", "/tmp/edgelb.deb")
        self.r.chroot("systemctl", "enable", *[u + ".service" for u in UNITS])  # as an operator would
        with open(self.r.file("etc/edgelb/dataplane.yaml"), "w") as f:
            f.write(DATAPLANE)
        os.makedirs(self.r.file("etc/systemd/system/edgelb-dataplane.service.d"), exist_ok=True)
        with open(self.r.file("etc/systemd/system/edgelb-dataplane.service.d/90-boot-test.conf"), "w") as f:
            f.write(NO_TUNE_CHECK)
        with open(self.r.file("etc/systemd/system/edgelb-boot-test.target"), "w") as f:
            f.write(TARGET)
        self.log = open(os.path.join(self.r.tmp, "boot.log"), "w")
        self.nspawn = subprocess.Popen(
            # nspawn gives a container a /sys without /sys/module, which EAL reads at start, and a
            # bounding set without the three capabilities below, which the dataplane's unit keeps
            ["systemd-nspawn", "--register=no", "--keep-unit", "-q", "-D", self.r.path, "--private-network",
             "--bind-ro=/sys/module", "--capability=CAP_IPC_LOCK,CAP_SYS_RAWIO,CAP_BPF", "--boot", "--", "systemd.unit=edgelb-boot-test.target"], stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        self.init = None
        self.addCleanup(self.shutdown)
        self.init = self.container_init()

    def find_init(self):
        """PID (here) of the container's systemd, the child of systemd-nspawn; None before it runs."""
        for child in run(["pgrep", "-P", str(self.nspawn.pid)], ok=(0, 1)).stdout.split():
            try:
                with open(f"/proc/{child}/comm") as f:
                    if f.read().strip() == "systemd":
                        return int(child)
            except OSError:
                pass
        return None

    def container_init(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            assert self.nspawn.poll() is None, "systemd-nspawn exited: " + self.boot_log()
            init = self.find_init()
            if init:
                return init
            time.sleep(0.2)
        raise AssertionError("no systemd in the container: " + self.boot_log())

    def boot_log(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()[-3000:]

    def inside(self, *argv, ok=(0,), timeout=120):
        return run(["nsenter", "-t", str(self.init), "-a", *argv], ok=ok, timeout=timeout)

    def show(self, unit, prop):
        return self.inside("systemctl", "show", "-p", prop, "--value", unit).stdout.strip()

    def wait(self, what, f, timeout=90):
        deadline = time.time() + timeout
        while True:
            got = f()
            if got:
                return got
            if time.time() > deadline:
                raise AssertionError(f"{what}: not within {timeout} s\n" + self.journal())
            time.sleep(0.5)

    def journal(self):
        return self.inside("journalctl", "--no-pager", "-n", "60", *sum((["-u", u] for u in UNITS), []),
                           ok=(0, 1)).stdout

    def shutdown(self):
        """Powers the container off; failing that, kills its PID 1, which takes every process of
        the container with it (killing systemd-nspawn alone would leave them running)."""
        init = self.init or (self.find_init() if self.nspawn.poll() is None else None)
        deadline = time.time() + 60
        while init and self.nspawn.poll() is None and time.time() < deadline:
            # refused until the container's systemd has its bus up: ask again
            subprocess.run(["nsenter", "-t", str(init), "-a", "systemctl", "poweroff"], capture_output=True)
            try:
                self.nspawn.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self.nspawn.poll() is None:
            if init:
                try:
                    os.kill(init, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.nspawn.kill()
            self.nspawn.wait()
        self.log.close()

    def capabilities(self, unit):
        pid = self.show(unit, "MainPID")
        status = self.inside("cat", f"/proc/{pid}/status").stdout
        return (int(re.search(r"^CapBnd:\s*([0-9a-f]+)$", status, re.M).group(1), 16),
                re.search(r"^NoNewPrivs:\s*(\d)$", status, re.M).group(1))

    def test_units_boot_serve_restart_and_stop(self):
        def booted():  # "offline" until systemd's bus is up, "starting" while units start
            s = self.inside("systemctl", "is-system-running", ok=(0, 1), timeout=30).stdout.strip()
            return s if s in ("running", "degraded") else None
        state = self.wait("the container's systemd finished starting", booted, timeout=180)
        for u in UNITS:
            self.assertEqual(self.show(u, "ActiveState"), "active", f"{u} ({state})\n" + self.journal())
        self.assertEqual(self.show("edgelb-dataplane", "Type"), "notify")
        self.assertIn("serving", self.inside("edgelb-dpctl", "version").stdout)
        p = self.inside("edgelbctl", "--certs-dir", "/etc/edgelb/certs", "ping")
        self.assertEqual(p.stdout.strip(), "pong")  # the apiserver answers, with its ZooKeeper

        def agent_connected():
            m = self.inside("curl", "-sf", "http://127.0.0.1:9102/metrics", ok=(0, 7, 22)).stdout
            return all(f"{k} 1" in m for k in ("edgelb_agent_zookeeper_connected", "edgelb_agent_apiserver_connected",
                                               "edgelb_agent_dataplane_in_sync"))
        self.wait("the agent connected to ZooKeeper, the apiserver and the dataplane", agent_connected)

        # hardening in force
        self.assertEqual(self.capabilities("edgelb-agent"), (mask("NET_BIND_SERVICE"), "1"))
        self.assertEqual(self.capabilities("edgelb-apiserver"), (0, "1"))
        self.assertEqual(self.capabilities("edgelb-dataplane"),
                         (mask("IPC_LOCK", "NET_ADMIN", "NET_RAW", "SYS_RAWIO", "BPF", "SYS_NICE"), "1"))
        self.assertEqual(self.show("edgelb-agent", "User"), "edgelb")

        # a killed dataplane comes back
        pid = self.show("edgelb-dataplane", "MainPID")
        self.inside("kill", "-9", pid)
        self.wait("systemd restarting the dataplane", lambda: self.show("edgelb-dataplane", "NRestarts") == "1" and
                  self.show("edgelb-dataplane", "ActiveState") == "active" and
                  self.show("edgelb-dataplane", "MainPID") not in ("0", pid))
        self.assertIn("serving", self.inside("edgelb-dpctl", "version").stdout)

        # a clean stop of every unit, then poweroff. systemctl enqueues one stop job per unit in the
        # order given, and a job already running waits for nothing: name the dependents first, so
        # that ZooKeeper's stop waits for the agent and the apiserver (After=), as at a shutdown.
        self.inside("systemctl", "stop", *reversed(UNITS))
        for u in UNITS:
            self.assertEqual((self.show(u, "ActiveState"), self.show(u, "Result")), ("inactive", "success"),
                             f"{u}\n" + self.journal())
        self.inside("systemctl", "poweroff")
        self.assertEqual(self.nspawn.wait(timeout=90), 0, self.boot_log())


def set_build_dir(d):
    global BUILD
    BUILD = d


if __name__ == "__main__":
    unittest_main_with_build_dir(set_build_dir)
