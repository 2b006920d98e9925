"""systemd readiness (Type=notify) of the three services, and the ZooKeeper unit's readiness
probe: each binary is started with NOTIFY_SOCKET pointing at a datagram socket of this test, as
systemd would, and must send READY=1 once it serves and STOPPING=1 when told to stop.

  edgelb-dataplane: a net_ring port, no hugepages      -> READY=1 with its workers and ports
  edgelb-agent: no ZooKeeper, no apiserver reachable   -> READY=1 (it serves what it cached)
  edgelb-apiserver against ZooKeeper started with the packaged zoo.cfg, after
  deploy/systemd/zookeeper-ready said it answers        -> READY=1 with its port
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests"))
from support.processes import free_port, kill_all, procs  # noqa: E402

READY_PROBE = os.path.join(REPO, "deploy/systemd/zookeeper-ready")


class NotifySocket:
    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.messages = []

    def wait_for(self, key, proc, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            for m in self.messages:
                if m.startswith(key):
                    return m
            self.sock.settimeout(0.2)
            try:
                data = self.sock.recv(4096).decode()
                self.messages.extend(data.split("\n"))
            except socket.timeout:
                if proc.poll() is not None and not any(m.startswith(key) for m in self.messages):
                    raise AssertionError(f"exited ({proc.returncode}) before {key}; got {self.messages}")
        raise AssertionError(f"no {key} within {seconds} s; got {self.messages}")


def start(argv, work, name):
    notify = NotifySocket(os.path.join(work, name + ".notify"))
    env = dict(os.environ, NOTIFY_SOCKET=notify.path)
    log = open(os.path.join(work, name + ".log"), "w")
    p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    log.close()
    procs.append(p)
    return p, notify


def stop(p, notify, work, name):
    p.send_signal(signal.SIGTERM)
    notify.wait_for("STOPPING=1", p, 30)
    rc = p.wait(timeout=30)
    assert rc == 0, f"{name} exited {rc}: " + open(os.path.join(work, name + ".log")).read()[-2000:]


def dataplane(binary, work):
    cfg = os.path.join(work, "dataplane.yaml")
    with open(cfg, "w") as f:
        f.write(f"eal: {{file_prefix: edgelb-ready-{os.getpid()}, memory_mb: 256, hugepages: \"off\"}}\n"
                "workers: [1]\nports: [{device: \"net_ring0\"}]\n"
                f"services_file: {work}/services.yaml\ncontrol: {{socket: {work}/dataplane.sock}}\n")
    with open(os.path.join(work, "services.yaml"), "w") as f:
        f.write("version: 1\nservices: []\n")
    p, n = start([binary, "--config", cfg], work, "dataplane")
    ready = n.wait_for("READY=1", p, 60)
    status = n.wait_for("STATUS=", p, 5)
    assert status == "STATUS=1 worker(s), 1 port(s), table version 1", status  # services.yaml version
    assert os.path.exists(f"{work}/dataplane.sock"), "READY before the control socket"
    stop(p, n, work, "dataplane")
    return ready


def agent(binary, work):
    cfg = os.path.join(work, "agent.yaml")
    with open(cfg, "w") as f:
        f.write(f"zookeeper: {{connect: \"127.0.0.1:{free_port()}\"}}\n"
                f"apiserver: {{address: \"127.0.0.1:{free_port()}\", insecure: true}}\n"
                f"state_dir: {work}/agent-state\nmetrics: {{listen: \"127.0.0.1:{free_port()}\"}}\n")
    p, n = start([binary, "--config", cfg], work, "agent")
    n.wait_for("READY=1", p, 30)
    assert n.wait_for("STATUS=", p, 5) == "STATUS=serving cached pools, reconciling"
    stop(p, n, work, "agent")


def zookeeper(work):
    """ZooKeeper with the packaged deploy/etc/zookeeper/zoo.cfg (its own data dir and port)."""
    port = free_port()
    text = open(os.path.join(REPO, "deploy/etc/zookeeper/zoo.cfg")).read()
    text = text.replace("dataDir=/var/lib/edgelb-zookeeper", f"dataDir={work}/zk").replace(
        "clientPort=2181", f"clientPort={port}")
    assert f"clientPort={port}" in text and f"dataDir={work}/zk" in text
    os.makedirs(f"{work}/zk")
    with open(f"{work}/zoo.cfg", "w") as f:
        f.write(text)
    # nothing listens yet: the probe gives up after its limit, with a reason
    t = time.time()
    r = subprocess.run([READY_PROBE, "127.0.0.1", str(port), "1"], capture_output=True, text=True)
    assert r.returncode == 1 and "did not answer srvr within 1 s" in r.stderr, (r.returncode, r.stderr)
    assert time.time() - t < 5
    zk = subprocess.Popen(["java", "-Xmx256m", "-XX:+UseSerialGC", "-cp",
                           "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar", "-Dzookeeper.root.logger=WARN,CONSOLE",
                           "org.apache.zookeeper.server.quorum.QuorumPeerMain", f"{work}/zoo.cfg"],
                          stdout=open(f"{work}/zk.log", "w"), stderr=subprocess.STDOUT)
    procs.append(zk)
    r = subprocess.run([READY_PROBE, "127.0.0.1", str(port), "60"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + open(f"{work}/zk.log").read()[-2000:]
    return port


def apiserver(binary, work, zk_port):
    p, n = start([binary, "--zk", f"127.0.0.1:{zk_port}", "--listen", "127.0.0.1:0", "--insecure"], work, "apiserver")
    n.wait_for("READY=1", p, 60)
    status = n.wait_for("STATUS=", p, 5)
    assert status.startswith("STATUS=serving edgelb.v1 on port "), status
    port = int(status.rsplit(" ", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # it really listens when it says so
    stop(p, n, work, "apiserver")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataplane", required=True)
    ap.add_argument("--agent", required=True)
    ap.add_argument("--apiserver", required=True)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="edgelb-ready-")
    try:
        dataplane(a.dataplane, work)
        print("dataplane: READY=1 with its control socket up, STOPPING=1, exit 0")
        agent(a.agent, work)
        print("agent: READY=1 without ZooKeeper or apiserver, STOPPING=1, exit 0")
        zk = zookeeper(work)
        print("zookeeper-ready: 1 while nothing listens, 0 once ZooKeeper (packaged zoo.cfg) answers srvr")
        apiserver(a.apiserver, work, zk)
        print("apiserver: READY=1 once listening, STOPPING=1, exit 0")
    finally:
        kill_all()
        subprocess.run(["rm", "-rf", work])
    print("readiness: 4 checks passed")


if __name__ == "__main__":
    main()
