"""Test networks made of network namespaces, veth pairs and one bridge, created by the test and
always removed (context manager + atexit). Addresses: 198.18.0.0/15 and 2001:db8::/32 only,
inside these namespaces; nothing routes out of them. Processes started here are killed by PID."""
import atexit
import os
import signal
import subprocess
import time


def sh(*cmd, check=True, ns=None, capture=False):
    full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    r = subprocess.run(full, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(full), r.returncode, r.stderr.strip()))
    return r.stdout if capture else r


class Net:
    """A switch namespace with a bridge; hosts are namespaces with one veth into it."""

    def __init__(self, tag):
        self.tag = tag  # short, unique per test run; prefixes every namespace
        self.namespaces, self.procs = [], []
        self.sw = self.ns("sw")
        sh("ip", "-n", self.sw, "link", "add", "name", "br0", "type", "bridge")
        sh("ip", "-n", self.sw, "link", "set", "br0", "up")
        atexit.register(self.close)

    def ns(self, name):
        full = "%s-%s" % (self.tag, name)
        sh("ip", "netns", "add", full)
        self.namespaces.append(full)
        sh("ip", "-n", full, "link", "set", "lo", "up")
        return full

    def host(self, name, addrs=(), ifname="eth0", offloads_off=True):
        """A namespace wired to the bridge through `ifname`, with the given addresses."""
        ns = self.ns(name)
        peer = "p-%s" % name[:10]
        sh("ip", "-n", ns, "link", "add", "name", ifname, "type", "veth", "peer", "name", peer, "netns", self.sw)
        sh("ip", "-n", self.sw, "link", "set", peer, "master", "br0", "up")
        for a in addrs:
            sh("ip", "-n", ns, "addr", "add", a, "dev", ifname, "nodad")
        sh("ip", "-n", ns, "link", "set", ifname, "up")
        if offloads_off:  # frames crossing AF_PACKET must carry complete checksums, MTU-sized
            sh("ethtool", "-K", ifname, "tx", "off", "tso", "off", "gso", "off", "gro", "off", ns=ns, check=False)
        return ns

    def start(self, ns, *cmd, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", ns] + list(cmd), start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=10):
        if p.poll() is None:
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    def close(self):
        for p in reversed(self.procs):
            self.stop(p, timeout=5)
        self.procs = []
        for ns in reversed(self.namespaces):
            sh("ip", "netns", "del", ns, check=False)
        self.namespaces = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def wait_for(pred, timeout, what, interval=0.1):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(interval)
    raise AssertionError("timed out after %.0fs waiting for %s" % (timeout, what))
