"""The appliance of an integration test: edgelb-dataplane on a veth (net_af_packet or
net_af_xdp) inside its own namespace, with a TAP exception interface carrying the host
addresses, plus the backend and client namespaces around it on one bridge."""
import json
import os
import signal
import subprocess
import time

from .netns import Net, sh, wait_for

HOST4, HOST6 = "198.18.0.2", "2001:db8::2"
CLIENT4, CLIENT6 = "198.18.0.10", "2001:db8::10"
VIP4, VIP6 = "198.18.0.100", "2001:db8::100"
NAT_POOL4, NAT_POOL6 = "198.18.0.200", "2001:db8::200"


def backend_addr(i, v6=False):
    return "2001:db8::%d" % (10 + i) if v6 else "198.18.0.%d" % (10 + i)


class Appliance:
    def __init__(self, binary, workdir, tag, backends=3, pmd="af_packet", dsr_vips=(VIP4, VIP6)):
        self.binary, self.workdir, self.pmd = binary, workdir, pmd
        self.queues = 1
        os.makedirs(workdir, exist_ok=True)
        self.net = Net(tag)
        n = self.net
        self.client = n.host("cli", [CLIENT4 + "/24", CLIENT6 + "/64"])
        self.backends = []
        for i in range(1, backends + 1):
            ns = n.host("b%d" % i, [backend_addr(i) + "/24", backend_addr(i, True) + "/64"])
            for v in dsr_vips:  # DSR: the VIP on loopback, never announced
                sh("ip", "-n", ns, "addr", "add", v + ("/128" if ":" in v else "/32"), "dev", "lo", "nodad")
            for k, v in (("arp_ignore", 1), ("arp_announce", 2)):
                for dev in ("all", "eth0"):
                    sh("sysctl", "-qw", "net.ipv4.conf.%s.%s=%d" % (dev, k, v), ns=ns)
            self.backends.append(ns)
        # The appliance: its data port's kernel side must stay silent (no IPv6, no ARP
        # replies, strict reverse-path filter) - on real hardware the kernel never sees it.
        self.app = n.host("app", [], ifname="dp0")
        for k, v in (("net.ipv6.conf.dp0.disable_ipv6", 1), ("net.ipv4.conf.dp0.arp_ignore", 8),
                     ("net.ipv4.conf.dp0.rp_filter", 1), ("net.ipv4.conf.all.rp_filter", 1)):
            sh("sysctl", "-qw", "%s=%d" % (k, v), ns=self.app)
        self.servers = [n.start(ns, "/usr/bin/python3", os.path.join(os.path.dirname(__file__), "backend_server.py"),
                                "b%d" % i, stdout=subprocess.PIPE) for i, ns in enumerate(self.backends, 1)]
        for s in self.servers:
            assert s.stdout.readline().strip() == b"ready"
        self.proc = None

    def device(self):
        if self.pmd == "af_xdp":
            return "net_af_xdp0,iface=dp0,start_queue=0,queue_count=1"
        return "net_af_packet0,iface=dp0,qpairs=%d" % self.queues

    def write_services(self, services, version=1, name="services.yaml"):
        p = os.path.join(self.workdir, name)
        with open(p + ".tmp", "w") as f:
            json.dump({"version": version, "services": services}, f)
        os.replace(p + ".tmp", p)
        return p

    def start(self, services, extra_config=None, control=False):
        svc = self.write_services(services)
        self.control_socket = os.path.join(self.workdir, "control.sock") if control else None
        self.stats_file = os.path.join(self.workdir, "stats.json")
        cfg = {"eal": {"memory_mb": 256, "file_prefix": "int-%s" % self.net.tag},
               "workers": [1], "conntrack": {"capacity": 65536},
               "ports": [{"device": self.device(), "exception": {"interface": "elb0",
                                                                 "addresses": [HOST4 + "/24", HOST6 + "/64"]}}],
               "services_file": svc, "stats": {"json_file": self.stats_file},
               "metrics": {"listen": "127.0.0.1:9910"}}  # the appliance namespace's own loopback
        if control:
            cfg["control"] = {"socket": self.control_socket}
        for k, v in (extra_config or {}).items():
            cfg[k] = v
        cfg_path = os.path.join(self.workdir, "dataplane.yaml")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        self.log = open(os.path.join(self.workdir, "dataplane.log"), "w")
        self.proc = self.net.start(self.app, self.binary, "--config", cfg_path, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: self.proc.poll() is not None or
                 "elb0" in sh("ip", "-o", "addr", "show", ns=self.app, capture=True) and
                 HOST4 in sh("ip", "-o", "addr", "show", "dev", "elb0", ns=self.app, capture=True, check=False),
                 30, "dataplane start")
        if self.proc.poll() is not None:
            raise AssertionError("dataplane exited: %s" % self.read_log())

    def ctl(self, *args, timeout=20):
        """Runs edgelb-dpctl (built next to the dataplane) against this appliance's control socket."""
        dpctl = os.path.join(os.path.dirname(self.binary), "edgelb-dpctl")
        return subprocess.run([dpctl, "--socket", self.control_socket] + [str(a) for a in args],
                              capture_output=True, text=True, timeout=timeout)

    def read_log(self):
        self.log.flush()
        return open(self.log.name).read()

    def reload(self, services, version):
        self.write_services(services, version)
        os.killpg(self.proc.pid, signal.SIGHUP)

    def stop(self):
        """Stops the dataplane; returns its final stats JSON."""
        self.net.stop(self.proc)
        rc = self.proc.returncode
        if rc != 0:
            raise AssertionError("dataplane exit %s: %s" % (rc, self.read_log()))
        return json.load(open(self.stats_file))

    def metrics(self):
        """The dataplane's /metrics text, scraped inside the appliance namespace."""
        r = subprocess.run(["ip", "netns", "exec", self.app, "curl", "-sS", "--max-time", "5",
                            "http://127.0.0.1:9910/metrics"], capture_output=True, text=True, timeout=15)
        if r.returncode != 0:
            raise AssertionError("scrape failed: %s" % r.stderr)
        return r.stdout

    def client_run(self, *cmd, timeout=20):
        return subprocess.run(["ip", "netns", "exec", self.client] + list(cmd), capture_output=True,
                              text=True, timeout=timeout)

    def curl(self, url, timeout=5):
        r = self.client_run("curl", "-sS", "-g", "--max-time", str(timeout), url, timeout=timeout + 5)
        return r.returncode, r.stdout, r.stderr

    def close(self):
        self.net.close()
