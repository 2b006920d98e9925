"""A real ZooKeeper server (Debian `zookeeper`, standalone, loopback only) for tests and
benchmarks: its own data directory under `work`, a free port, started in about a second;
optionally inside a network namespace the test made (then on that namespace's loopback)."""
import os
import socket
import subprocess
import sys
import time

from .processes import free_port, procs


def ruok(port, ns=None):
    if ns:  # ask from inside the namespace
        code = ("import socket,sys\ns=socket.create_connection(('127.0.0.1',%d),timeout=1)\ns.sendall(b'ruok')\n"
                "sys.exit(0 if s.recv(4)==b'imok' else 1)" % port)
        return subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", code], capture_output=True).returncode == 0
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"ruok")
            return s.recv(4) == b"imok"
    except OSError:
        return False


class ZooKeeper:
    def __init__(self, work, ns=None):
        self.work = work
        self.ns = ns
        self.port = free_port()
        os.makedirs(f"{work}/zk", exist_ok=True)
        with open(f"{work}/zk.cfg", "w") as f:
            f.write(f"tickTime=250\ndataDir={work}/zk\nclientPort={self.port}\nclientPortAddress=127.0.0.1\n"
                    "admin.enableServer=false\n4lw.commands.whitelist=ruok\n")
        self.proc = None

    def start(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASAN")}
        prefix = ["ip", "netns", "exec", self.ns] if self.ns else []
        self.proc = subprocess.Popen(
            prefix + ["java", "-Xmx256m", "-XX:+UseSerialGC", "-cp", "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar",
             "-Dzookeeper.root.logger=WARN,CONSOLE", "org.apache.zookeeper.server.quorum.QuorumPeerMain",
             f"{self.work}/zk.cfg"], stdout=open(f"{self.work}/zk.log", "a"), stderr=subprocess.STDOUT, env=env)
        procs.append(self.proc)
        deadline = time.time() + 60
        while not ruok(self.port, self.ns):
            assert self.proc.poll() is None, "zookeeper exited: " + open(f"{self.work}/zk.log").read()[-2000:]
            assert time.time() < deadline, "zookeeper did not start"
            time.sleep(0.05)

    def stop(self):
        self.proc.kill()
        self.proc.wait()
