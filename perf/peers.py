#!/usr/bin/env python3
"""perf/bench.sh peers: edgelb beside the load balancers operators run today, in one run, on one
link, under one load; only the load balancer in the middle is swapped.

The link: namespaces this script creates and removes, on one bridge (tests/support/netns.py):
  cli      198.18.0.10   wrk (one thread), the client
  lb       dp0           the load balancer under test; VIP 198.18.0.100:80
  b1..b4   198.18.0.11+  HTTP backends: one HAProxy each answering 200 (`http-request return`);
                         the VIP on loopback for DSR
Peers:
  direct        wrk straight to b1, no balancer: what the link, the generator and the backends
                allow (the ceiling every other figure is under)
  edgelb-dsr    edgelb-dataplane, one worker, net_af_xdp on dp0, DSR (replies skip it)
  edgelb-nat    the same with full NAT (both directions through it, like the kernel's)
  nft           the Linux kernel: nftables DNAT by jhash of the 5-tuple over the backends, with
                conntrack, and masquerade (backends reply through it)
  ipvs          IPVS in NAT mode with masquerade, where the kernel has ip_vs (else: reported
                as not available, with why)
  haproxy-tcp   HAProxy 2.6 `mode tcp`, one thread (what Edge-LB runs for L4)
  nginx-stream  nginx `stream` proxy, one worker
Load, for each peer (wrk, 32 connections): keep-alive at its maximum, a new connection per
request at its maximum, and a new connection per request paced at --rate. Then, for the L4
balancers (not the proxies: HAProxy does not do UDP), a packet rate: edgelb-pktgen on the
client's eth0 through net_af_packet (a DPDK generator driving the kernel peers as well as
edgelb), 64-byte UDP frames to VIP:53 from --udp-flows flows at its full rate for --seconds;
"delivered" is what reached the backends (their eth0 receive counters; they drop it there, in
nftables' raw prerouting), per second and per LB CPU-second.

CPU: the balancer has CPU 1 to itself, everything else is pinned to CPU 0 (taskset; RPS sends
each interface's receive processing to CPU 0, except dp0's, which goes to CPU 1). "LB CPU" is
CPU 1's busy time (user, system, irq, softirq) over the run: a proxy's own time and its TCP
stack, the kernel balancer's forwarding, NAT and conntrack in softirq. For edgelb, CPU 1 is
always busy (a poll-mode worker); its worker's own busy cycles (work done in loops that found
packets) are reported beside it. The veth's XDP hook that hands frames to AF_XDP runs on the
sending side's CPU (0) and is not counted to edgelb; on a NIC that work is the NIC's."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from support.netns import Net, sh, wait_for  # noqa: E402

VIP, HOST, CLIENT, NAT_POOL = "198.18.0.100", "198.18.0.2", "198.18.0.10", "198.18.0.200"
BACKENDS = ["198.18.0.%d" % (11 + i) for i in range(4)]
LB_CPU, REST_CPU = 1, 0
CONNECTIONS = 32
UDP_PORT = 53


class Link:
    """The namespaces, the backends and the CPU placement; peers take turns on it."""

    def __init__(self, work, tag):
        self.work = work
        self.net = Net(tag)
        n = self.net
        self.cli = n.host("cli", [CLIENT + "/24"])
        self.backends = []
        for i, addr in enumerate(BACKENDS, 1):
            ns = n.host("b%d" % i, [addr + "/24"])
            sh("ip", "-n", ns, "addr", "add", VIP + "/32", "dev", "lo")
            for k, v in (("arp_ignore", 1), ("arp_announce", 2)):
                for dev in ("all", "eth0"):
                    sh("sysctl", "-qw", "net.ipv4.conf.%s.%s=%d" % (dev, k, v), ns=ns)
            self.backends.append(ns)
        self.lb = n.host("lb", [], ifname="dp0")
        for ns in [self.cli] + self.backends:
            rps(ns, "eth0", REST_CPU)
        for port in sh("ip", "-n", n.sw, "-o", "link", "show", "master", "br0", capture=True).splitlines():
            rps(n.sw, port.split(":")[1].strip().split("@")[0], REST_CPU)
        rps(self.lb, "dp0", LB_CPU)
        self.servers = []
        for i, ns in enumerate(self.backends, 1):
            cfg = os.path.join(work, "b%d.cfg" % i)
            with open(cfg, "w") as f:
                f.write(BACKEND_CFG % {"name": "b%d" % i})
            self.servers.append(n.start(ns, "taskset", "-c", str(REST_CPU), "haproxy", "-db", "-f", cfg,
                                        stdout=subprocess.DEVNULL, stderr=open(cfg + ".log", "w")))
        for addr in BACKENDS:
            wait_for(lambda: self.curl("http://%s/" % addr)[0] == 0, 10, "backend %s" % addr)
        if shutil.which("nft"):  # the UDP packet-rate load ends at the backends' first hook
            for ns in self.backends:
                subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], check=True, text=True,
                               input="table ip sink {\n chain pre {\n  type filter hook prerouting priority raw;\n"
                                     "  udp dport %d drop\n }\n}\n" % UDP_PORT)

    def mac(self, ns, dev):
        return json.loads(sh("ip", "-j", "-n", ns, "link", "show", dev, capture=True))[0]["address"]

    def backend_rx_packets(self):
        return sum(int(sh("cat", "/sys/class/net/eth0/statistics/rx_packets", ns=ns, capture=True))
                   for ns in self.backends)

    def curl(self, url, timeout=2):
        r = subprocess.run(["ip", "netns", "exec", self.cli, "curl", "-s", "-m", str(timeout), url],
                           capture_output=True, text=True)
        return r.returncode, r.stdout

    def forget_neighbours(self):
        for ns in [self.cli, self.lb] + self.backends:
            sh("ip", "-n", ns, "neigh", "flush", "all", check=False)

    def close(self):
        self.net.close()


BACKEND_CFG = """global
  nbthread 1
  maxconn 5000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend web
  bind :80
  http-request return status 200 content-type text/plain string "%(name)s" hdr X-Backend %(name)s
"""


def rps(ns, dev, cpu):
    """Receive processing of `dev` (its queue 0) on `cpu` (RPS)."""
    sh("sh", "-c", "echo %x > /sys/class/net/%s/queues/rx-0/rps_cpus" % (1 << cpu, dev), ns=ns)


# -- the peers ------------------------------------------------------------------------------
class Peer:
    name, what = "", ""
    target = "http://%s/" % VIP
    udp = False  # balances UDP: gets the packet-rate load

    def udp_dst_mac(self, link):
        """Where the generator sends its frames: the balancer's dp0."""
        return link.mac(link.lb, "dp0")

    def available(self):
        """None, or why this peer cannot run here."""
        return None

    def start(self, link):
        pass

    def stop(self, link):
        pass

    def pids(self):
        return []

    def sample(self):
        """Something the peer reports of itself (before/after a run), or None."""
        return None

    def own_figures(self, before, after, seconds):
        return {}


class ProcessPeer(Peer):
    """A peer that is one process this script started (edgelb-dataplane, a proxy)."""

    def __init__(self):
        self.proc = None

    def stop(self, link):
        if self.proc:
            link.net.stop(self.proc)
        self.proc = None

    def pids(self):
        return [self.proc.pid] if self.proc else []


def kernel_side(link, on):
    """dp0 as a kernel host (addresses, forwarding) or silent (edgelb owns it)."""
    ns = link.lb
    sh("ip", "-n", ns, "addr", "flush", "dev", "dp0")
    if on:
        for a in (HOST + "/24", VIP + "/32"):
            sh("ip", "-n", ns, "addr", "add", a, "dev", "dp0")
    for k, v in (("net.ipv4.ip_forward", int(on)), ("net.ipv4.conf.all.send_redirects", 0),
                 ("net.ipv4.conf.dp0.send_redirects", 0), ("net.ipv4.conf.dp0.arp_ignore", 0 if on else 8),
                 ("net.ipv4.conf.dp0.rp_filter", 0 if on else 1), ("net.ipv4.conf.all.rp_filter", 0 if on else 1),
                 ("net.ipv6.conf.dp0.disable_ipv6", 1)):
        sh("sysctl", "-qw", "%s=%d" % (k, v), ns=ns)


class Direct(Peer):
    name, what = "direct", "no balancer: wrk to b1 (the link's and the generator's ceiling)"
    target = "http://%s/" % BACKENDS[0]
    udp = True

    def udp_dst_mac(self, link):
        return link.mac(link.backends[0], "eth0")  # b1 has the VIP on its loopback


class Edgelb(ProcessPeer):
    udp = True

    def __init__(self, mode):
        super().__init__()
        self.mode = mode
        self.name = "edgelb-" + mode
        self.what = ("edgelb-dataplane, 1 worker, net_af_xdp, " +
                     ("DSR (replies go straight to the client)" if mode == "dsr" else "full NAT (both ways)"))

    def start(self, link):
        kernel_side(link, False)
        work = os.path.join(link.work, self.name)
        os.makedirs(work, exist_ok=True)
        self.socket = os.path.join(work, "control.sock")
        svc = os.path.join(work, "services.yaml")
        with open(svc, "w") as f:
            json.dump({"version": 1, "services": [{
                "name": "web", "vip": VIP, "port": 80, "protocol": "tcp", "forwarding": self.mode,
                "backends": [{"address": a} for a in BACKENDS]}, {
                "name": "dns", "vip": VIP, "port": UDP_PORT, "protocol": "udp", "forwarding": self.mode,
                "backends": [{"address": a} for a in BACKENDS]}]}, f)
        cfg = {"eal": {"file_prefix": "bench-peers-%d" % os.getpid(), "memory_mb": 512,
                       "hugepages": "auto" if harness.hugepages() else "off", "main_lcore": REST_CPU},
               "workers": [LB_CPU], "conntrack": {"capacity": 1 << 20},
               "ports": [{"device": "net_af_xdp0,iface=dp0,start_queue=0,queue_count=1",
                          "exception": {"interface": "elb0", "addresses": [HOST + "/24"]}}],
               "exception_path": {"punt_rate_pps": 0},
               "services_file": svc, "control": {"socket": self.socket}}
        if self.mode == "nat":
            cfg["forwarding"] = {"nat": {"pool": [NAT_POOL]}}
        path = os.path.join(work, "dataplane.yaml")
        with open(path, "w") as f:
            json.dump(cfg, f)
        self.log = os.path.join(work, "dataplane.log")
        self.proc = link.net.start(link.lb, os.path.join(harness.BUILD, "dataplane/edgelb-dataplane"), "--config", path,
                                   stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        wait_for(lambda: self.proc.poll() is not None or os.path.exists(self.socket), 30, "edgelb-dataplane")
        if self.proc.poll() is not None:
            raise RuntimeError("edgelb-dataplane exited: " + open(self.log).read()[-1500:])

    def sample(self):
        r = subprocess.run([os.path.join(harness.BUILD, "dataplane/edgelb-dpctl"), "--socket", self.socket, "--json",
                            "show", "stats"], capture_output=True, text=True, timeout=10)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def own_figures(self, before, after, seconds):
        if not before or not after:
            return {}
        w0, w1 = before["workers"][0], after["workers"][0]
        busy = w1["busy_cycles"] - w0["busy_cycles"]
        total = w1["total_cycles"] - w0["total_cycles"]
        packets = w1["processed_packets"] - w0["processed_packets"]
        return {"worker_busy_ratio": busy / total if total else 0,
                "worker_busy_cpu_s": seconds * busy / total if total else 0,
                "cycles_per_packet": busy / packets if packets else 0,
                "packets": packets,
                "drops": {k: v - before["totals"]["drops"].get(k, 0) for k, v in after["totals"]["drops"].items()
                          if v - before["totals"]["drops"].get(k, 0)}}


class Nft(Peer):
    name = "nft"
    udp = True
    what = "Linux nftables DNAT (jhash of the 5-tuple) + conntrack + masquerade, softirq"

    def available(self):
        return None if shutil.which("nft") else "nft is not installed (perf/debian-packages.txt)"

    def start(self, link):
        kernel_side(link, True)
        ruleset = NFT_RULES % {"vip": VIP, "map": ", ".join("%d : %s" % (i, a) for i, a in enumerate(BACKENDS)),
                               "n": len(BACKENDS), "udp": UDP_PORT}
        subprocess.run(["ip", "netns", "exec", link.lb, "nft", "-f", "-"], input=ruleset, text=True, check=True)

    def stop(self, link):
        sh("nft", "flush", "ruleset", ns=link.lb)


NFT_RULES = """table ip edgelb_peer {
  chain prerouting {
    type nat hook prerouting priority dstnat;
    ip daddr %(vip)s tcp dport 80 dnat to jhash ip saddr . tcp sport mod %(n)d map { %(map)s }
    ip daddr %(vip)s udp dport %(udp)d dnat to jhash ip saddr . udp sport mod %(n)d map { %(map)s }
  }
  chain postrouting {
    type nat hook postrouting priority srcnat;
    ct status dnat masquerade
  }
}
"""


class Ipvs(Peer):
    name = "ipvs"
    udp = True
    what = "Linux IPVS, NAT mode, masquerade, softirq"

    def available(self):
        if not shutil.which("ipvsadm"):
            return "ipvsadm is not installed"
        if not os.path.exists("/proc/net/ip_vs"):
            r = subprocess.run(["ipvsadm", "-L", "-n"], capture_output=True, text=True)
            if r.returncode != 0:
                return "this kernel has no ip_vs (%s)" % (r.stderr.strip().splitlines() or ["?"])[0]
        return None

    def start(self, link):
        kernel_side(link, True)
        sh("sysctl", "-qw", "net.ipv4.vs.conntrack=1", ns=link.lb)
        sh("ipvsadm", "-A", "-t", VIP + ":80", "-s", "sh", ns=link.lb)
        sh("ipvsadm", "-A", "-u", "%s:%d" % (VIP, UDP_PORT), "-s", "sh", ns=link.lb)
        for a in BACKENDS:
            sh("ipvsadm", "-a", "-t", VIP + ":80", "-r", a + ":80", "-m", ns=link.lb)
            sh("ipvsadm", "-a", "-u", "%s:%d" % (VIP, UDP_PORT), "-r", "%s:%d" % (a, UDP_PORT), "-m", ns=link.lb)
        subprocess.run(["ip", "netns", "exec", link.lb, "nft", "-f", "-"], check=True, text=True,
                       input="table ip edgelb_peer {\n chain post {\n  type nat hook postrouting priority srcnat;\n"
                             "  ip daddr 198.18.0.0/24 tcp dport 80 masquerade\n"
                             "  ip daddr 198.18.0.0/24 udp dport %d masquerade\n }\n}\n" % UDP_PORT)

    def stop(self, link):
        sh("ipvsadm", "-C", ns=link.lb, check=False)
        sh("nft", "flush", "ruleset", ns=link.lb, check=False)


class Proxy(ProcessPeer):
    """A user-space proxy on CPU 1."""

    def launch(self, link, argv, cfg_text, cfg_name, **fields):
        kernel_side(link, True)
        work = os.path.join(link.work, self.name)
        os.makedirs(work, exist_ok=True)
        cfg = os.path.join(work, cfg_name)
        with open(cfg, "w") as f:
            f.write(cfg_text % dict(fields, vip=VIP, work=work,
                                    servers="\n".join(self.server_line(i, a) for i, a in enumerate(BACKENDS, 1))))
        self.proc = link.net.start(link.lb, "taskset", "-c", str(LB_CPU), *[x % {"cfg": cfg} for x in argv],
                                   stdout=subprocess.DEVNULL, stderr=open(cfg + ".log", "w"))
        wait_for(lambda: self.proc.poll() is not None or link.curl(self.target)[0] == 0, 15, self.name)
        if self.proc.poll() is not None:
            raise RuntimeError("%s exited: %s" % (self.name, open(cfg + ".log").read()[-1500:]))


class HaproxyTcp(Proxy):
    name, what = "haproxy-tcp", "HAProxy 2.6 mode tcp, 1 thread, roundrobin"

    def server_line(self, i, a):
        return "  server b%d %s:80" % (i, a)

    def start(self, link):
        self.launch(link, ["haproxy", "-db", "-f", "%(cfg)s"], HAPROXY_TCP, "haproxy.cfg")


HAPROXY_TCP = """global
  nbthread 1
  maxconn 5000
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
listen vip
  bind %(vip)s:80
  balance roundrobin
%(servers)s
"""


class NginxStream(Proxy):
    name, what = "nginx-stream", "nginx 1.22 stream proxy, 1 worker, round robin"
    module = "/usr/lib/nginx/modules/ngx_stream_module.so"

    def available(self):
        if not shutil.which("nginx"):
            return "nginx is not installed (perf/debian-packages.txt)"
        return None if os.path.exists(self.module) else "nginx's stream module is not installed (libnginx-mod-stream)"

    def server_line(self, i, a):
        return "    server %s:80;" % a

    def start(self, link):
        self.launch(link, ["nginx", "-c", "%(cfg)s", "-e", "stderr"], NGINX_STREAM, "nginx.conf", module=self.module)


NGINX_STREAM = """load_module %(module)s;
daemon off;
master_process off;
worker_processes 1;
pid %(work)s/nginx.pid;
error_log stderr warn;
events { worker_connections 8000; }
stream {
  upstream backends {
%(servers)s
  }
  server {
    listen %(vip)s:80;
    proxy_pass backends;
  }
}
"""


# -- the load --------------------------------------------------------------------------------
def wrk(link, url, seconds, close, rate=0):
    """One wrk run from the client namespace on CPU 0; its JSON line (perf/wrk_report.lua)."""
    env = dict(os.environ, WRK_CLOSE="1" if close else "0", WRK_RATE=str(rate), WRK_CONNECTIONS=str(CONNECTIONS))
    cmd = ["ip", "netns", "exec", link.cli, "taskset", "-c", str(REST_CPU), "wrk", "-t1", "-c%d" % CONNECTIONS,
           "-d%ds" % max(1, round(seconds)), "--timeout", "5s", "-s", os.path.join(harness.PERF, "wrk_report.lua"), url]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=seconds + 60)
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    if r.returncode != 0 or not lines:
        raise RuntimeError("wrk failed (%d): %s %s" % (r.returncode, r.stdout[-500:], r.stderr[-500:]))
    return json.loads(lines[-1])


def measure(link, peer, mode, seconds, rate):
    close = mode != "keepalive"
    before = peer.sample()
    cpu = harness.CpuMeter([LB_CPU, REST_CPU]).start()
    proc0 = harness.process_cpu_seconds(peer.pids())
    w = wrk(link, peer.target, seconds, close, rate if mode == "fixed" else 0)
    cpu.stop()
    proc = harness.process_cpu_seconds(peer.pids()) - proc0
    after = peer.sample()
    secs = w["duration_us"] / 1e6
    failed = sum(w["errors"].values())
    ok = w["requests"] - w["errors"]["status"]
    lb_cpu = cpu.busy[LB_CPU]
    res = {"requests_per_s": ok / secs, "requests": w["requests"], "failed": failed, "errors": w["errors"],
           "latency_ms": {k: v / 1000 for k, v in w["latency_us"].items()},
           "lb_cpu_s": lb_cpu, "lb_cpu_share": lb_cpu / cpu.seconds, "rest_cpu_share": cpu.busy[REST_CPU] / cpu.seconds,
           "lb_process_cpu_s": proc, "seconds": secs,
           "requests_per_lb_cpu_s": ok / lb_cpu if lb_cpu > 0 else None,
           "lb_cpu_ms_per_1000_requests": 1000 * 1000 * lb_cpu / ok if ok else None}
    own = peer.own_figures(before, after, cpu.seconds)
    if own:
        res["own"] = own
        if own.get("worker_busy_cpu_s"):
            res["requests_per_busy_cpu_s"] = ok / own["worker_busy_cpu_s"]
            res["busy_cpu_ms_per_1000_requests"] = 1000 * 1000 * own["worker_busy_cpu_s"] / ok if ok else None
    return res


def measure_udp(link, peer, seconds, flows):
    """edgelb-pktgen (net_af_packet on the client's eth0, CPU 0) at its full rate: 64-byte UDP
    frames to VIP:53 from `flows` flows; what the backends received, per second and per LB CPU-s."""
    pg = os.path.join(harness.BUILD, "perf/edgelb-pktgen")
    cmd = ["ip", "netns", "exec", link.cli, "taskset", "-c", str(REST_CPU), pg,
           "--port", "net_af_packet0,iface=eth0", "--lcore", str(REST_CPU), "--no-huge",
           "--file-prefix", "bench-peers-pg-%d" % os.getpid(), "--vip", "%s:%d/udp" % (VIP, UDP_PORT),
           "--flows", str(flows), "--size", "64", "--duration", str(max(1, round(seconds))),
           "--dst-mac", peer.udp_dst_mac(link)]
    before, rx0 = peer.sample(), link.backend_rx_packets()
    cpu = harness.CpuMeter([LB_CPU, REST_CPU]).start()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    cpu.stop()
    after, delivered = peer.sample(), link.backend_rx_packets() - rx0
    if r.returncode != 0:
        raise RuntimeError("edgelb-pktgen failed (%d): %s" % (r.returncode, r.stderr[-800:]))
    g = json.loads(r.stdout.strip().splitlines()[-1])
    lb_cpu = cpu.busy[LB_CPU]
    res = {"offered_pps": g["sent"] / g["seconds"], "sent": g["sent"], "delivered": delivered,
           "delivered_pps": delivered / g["seconds"], "delivered_share": delivered / g["sent"] if g["sent"] else 0,
           "lb_cpu_s": lb_cpu, "lb_cpu_share": lb_cpu / cpu.seconds, "rest_cpu_share": cpu.busy[REST_CPU] / cpu.seconds,
           "packets_per_lb_cpu_s": delivered / lb_cpu if lb_cpu > 0 and peer.name != "direct" else None,
           "flows": flows,
           "seconds": g["seconds"]}
    own = peer.own_figures(before, after, cpu.seconds)
    if own:
        res["own"] = own
        if own.get("worker_busy_cpu_s"):
            res["packets_per_busy_cpu_s"] = delivered / own["worker_busy_cpu_s"]
    return res


def run_peer(link, peer, seconds, rate, udp_flows=10000):
    why = peer.available()
    if why:
        return {"what": peer.what, "available": False, "why": why}
    out = {"what": peer.what, "available": True, "runs": {}}
    try:
        peer.start(link)
        rc, body = link.curl(peer.target)
        if rc != 0 or not re.match(r"b\d", body):
            raise RuntimeError("%s does not answer through the VIP: rc %d %r" % (peer.name, rc, body[:100]))
        for mode in ("keepalive", "short", "fixed"):
            out["runs"][mode] = measure(link, peer, mode, seconds, rate)
            r = out["runs"][mode]
            print("  %-13s %-9s %9.0f req/s  p99 %7.2f ms  failed %d  LB CPU %.2f" % (
                peer.name, mode, r["requests_per_s"], r["latency_ms"]["p99"], r["failed"], r["lb_cpu_share"]),
                file=sys.stderr)
        if peer.udp and udp_flows:
            u = out["runs"]["udp"] = measure_udp(link, peer, seconds, udp_flows)
            print("  %-13s udp       %9.0f pps delivered of %.0f offered  LB CPU %.2f" % (
                peer.name, u["delivered_pps"], u["offered_pps"], u["lb_cpu_share"]), file=sys.stderr)
    except Exception as e:  # noqa: BLE001 - one peer failing must not lose the others' numbers
        out.update({"available": False, "why": "failed: %s" % str(e)[-600:]})
    finally:
        peer.stop(link)
        link.forget_neighbours()
    return out


# -- the report ------------------------------------------------------------------------------
def ratios(peers):
    """Each peer's figures over the kernel balancer's (nft) in the same run."""
    base = peers.get("nft", {})
    if not base.get("available"):
        return {}
    out = {}
    for name, p in peers.items():
        if not p.get("available"):
            continue
        out[name] = {}
        for mode in ("keepalive", "short"):
            b, r = base["runs"][mode], p["runs"][mode]
            out[name][mode] = {
                "requests_per_s": r["requests_per_s"] / b["requests_per_s"],
                "requests_per_lb_cpu_s": (r["requests_per_lb_cpu_s"] or 0) / b["requests_per_lb_cpu_s"]
                if b["requests_per_lb_cpu_s"] else None}
            if r.get("requests_per_busy_cpu_s") and b["requests_per_lb_cpu_s"]:
                out[name][mode]["requests_per_busy_cpu_s"] = r["requests_per_busy_cpu_s"] / b["requests_per_lb_cpu_s"]
        bu, u = base["runs"].get("udp"), p["runs"].get("udp")
        if bu and u and bu["delivered_pps"]:
            out[name]["udp"] = {"delivered_pps": u["delivered_pps"] / bu["delivered_pps"],
                                "packets_per_lb_cpu_s": (u["packets_per_lb_cpu_s"] or 0) / bu["packets_per_lb_cpu_s"]
                                if bu["packets_per_lb_cpu_s"] else None}
            if u.get("packets_per_busy_cpu_s") and bu["packets_per_lb_cpu_s"]:
                out[name]["udp"]["packets_per_busy_cpu_s"] = u["packets_per_busy_cpu_s"] / bu["packets_per_lb_cpu_s"]
    return out


def targets(peers, ratio):
    t = []
    e = ratio.get("edgelb-dsr", {}).get("short")
    if e:
        t.append({"figure": "edgelb-dsr requests per LB CPU-second vs nft (new connection per request, each at its "
                            "maximum; LB CPU = CPU 1 busy time)", "target": ">= 5", "value": e["requests_per_lb_cpu_s"],
                  "met": (e["requests_per_lb_cpu_s"] or 0) >= 5})
        if e.get("requests_per_busy_cpu_s") is not None:
            t.append({"figure": "the same with edgelb's worker busy cycles as its CPU", "target": ">= 5",
                      "value": e["requests_per_busy_cpu_s"], "met": e["requests_per_busy_cpu_s"] >= 5})
    ed, hp = peers.get("edgelb-dsr", {}), peers.get("haproxy-tcp", {})
    if ed.get("available") and hp.get("available"):
        a, b = ed["runs"]["fixed"]["latency_ms"]["p99"], hp["runs"]["fixed"]["latency_ms"]["p99"]
        t.append({"figure": "edgelb-dsr p99 at the fixed load vs haproxy-tcp's (ms)", "target": "< %.3f" % b,
                  "value": a, "met": a < b})
    return t


def markdown(res):
    m = res["machine"]
    out = ["# peers (%s)" % res["date"], "",
           "%s, %d CPUs, kernel %s. One bridge of veths in namespaces; wrk (1 thread, %d connections) and 4 HAProxy "
           "HTTP backends on CPU 0, the balancer alone on CPU 1. %g s per run; fixed load: %d requests/s, a new "
           "connection each." % (m["cpu"], m["cpus"], m["kernel"], CONNECTIONS, res["seconds"], res["rate"]), "",
           "| peer | keep-alive req/s | new conn/s | LB CPU (conn) | req per LB CPU-s (conn) | LB CPU ms per 1000 req "
           "(conn) | p50 / p99 / p99.9 ms at %d/s | failed |" % res["rate"],
           "|---|---|---|---|---|---|---|---|"]
    for name, p in res["peers"].items():
        if not p.get("available"):
            out.append("| %s | not run: %s | | | | | | |" % (name, p["why"]))
            continue
        k, s, f = p["runs"]["keepalive"], p["runs"]["short"], p["runs"]["fixed"]
        extra = ""
        if s.get("requests_per_busy_cpu_s"):
            extra = " (busy cycles: %.0f)" % s["requests_per_busy_cpu_s"]
        out.append("| %s | %.0f | %.0f | %.0f%% | %.0f%s | %.1f | %.2f / %.2f / %.2f | %d |" % (
            name, k["requests_per_s"], s["requests_per_s"], 100 * s["lb_cpu_share"], s["requests_per_lb_cpu_s"] or 0,
            extra, s["lb_cpu_ms_per_1000_requests"] or 0, f["latency_ms"]["p50"], f["latency_ms"]["p99"],
            f["latency_ms"]["p999"], k["failed"] + s["failed"] + f["failed"]))
    if res["ratios"]:
        out += ["", "Ratios to nft (the kernel balancer), same run:", "",
                "| peer | keep-alive req/s | new conn/s | req per LB CPU-s (conn) |", "|---|---|---|---|"]
        for name, r in res["ratios"].items():
            cpu = "%.2f" % r["short"]["requests_per_lb_cpu_s"] if r["short"]["requests_per_lb_cpu_s"] else "-"
            if "requests_per_busy_cpu_s" in r["short"]:
                cpu += " (busy cycles: %.2f)" % r["short"]["requests_per_busy_cpu_s"]
            out.append("| %s | %.2f | %.2f | %s |" % (name, r["keepalive"]["requests_per_s"],
                                                     r["short"]["requests_per_s"], cpu))
    udp = [(n, p) for n, p in res["peers"].items() if p.get("available") and "udp" in p["runs"]]
    if udp:
        u0 = udp[0][1]["runs"]["udp"]
        out += ["", "UDP packet rate: edgelb-pktgen on the client's eth0 (net_af_packet, CPU 0) at its full rate, 64-byte "
                "frames to the VIP's port %d from %d flows; delivered = received by the backends:" % (UDP_PORT,
                                                                                                     u0["flows"]), "",
                "| peer | offered pps | delivered pps | delivered | LB CPU | delivered per LB CPU-s | vs nft (pps, per "
                "LB CPU-s) |", "|---|---|---|---|---|---|---|"]
        for name, p in udp:
            u = p["runs"]["udp"]
            busy = " (busy cycles: %.0f)" % u["packets_per_busy_cpu_s"] if u.get("packets_per_busy_cpu_s") else ""
            r = res["ratios"].get(name, {}).get("udp")
            vs = "-"
            if r:
                vs = "%.2f, %s" % (r["delivered_pps"],
                                   "%.2f" % r["packets_per_lb_cpu_s"] if r["packets_per_lb_cpu_s"] else "-")
            if r and r.get("packets_per_busy_cpu_s"):
                vs += " (busy cycles: %.2f)" % r["packets_per_busy_cpu_s"]
            per_cpu = "%.0f" % u["packets_per_lb_cpu_s"] if u["packets_per_lb_cpu_s"] else "- (no balancer)"
            out.append("| %s | %.0f | %.0f | %.1f%% | %.0f%% | %s%s | %s |" % (
                name, u["offered_pps"], u["delivered_pps"], 100 * u["delivered_share"], 100 * u["lb_cpu_share"],
                per_cpu, busy, vs))
    if res["targets"]:
        out += ["", "| target | wanted | measured | |", "|---|---|---|---|"]
        for t in res["targets"]:
            out.append("| %s | %s | %.3f | %s |" % (t["figure"], t["target"], t["value"] or 0, "met" if t["met"] else
                                                  "missed"))
    if udp:
        out += ["", "UDP: the generator shares CPU 0 with the bridge and the backends, so what is offered differs by "
                "peer: on veths the XDP hook that hands frames to edgelb's AF_XDP socket runs on the sender's CPU, "
                "and edgelb's transmit (AF_XDP copy mode) runs the veth inside its worker's `sendto()`, counted in "
                "its busy cycles; the kernel balancer's forwarding is its softirq time on CPU 1."]
    out += ["", "Every figure is under `direct`'s: CPU 0 (wrk, the backends and the link's own softirq work) is "
            "what limits the maximum rates here, not the balancer when its CPU 1 is not full. A poll-mode worker "
            "keeps CPU 1 busy whatever the load, so edgelb's wall CPU is 100%; its worker busy cycles are the CPU it "
            "needed. LB CPU is CPU 1's busy time from /proc/stat (user, system, irq, softirq)."]
    return "\n".join(out)


PEERS = {"direct": Direct, "edgelb-dsr": lambda: Edgelb("dsr"), "edgelb-nat": lambda: Edgelb("nat"), "nft": Nft,
         "ipvs": Ipvs, "haproxy-tcp": HaproxyTcp, "nginx-stream": NginxStream}


def main():
    h = harness.Scenario("peers", __doc__, seconds=10, seconds_type=float)
    h.arg("--rate", type=int, default=2000, help="the fixed load: requests/s, a new connection each")
    h.arg("--only", default="", help="comma-separated peers (default: all): " + ", ".join(PEERS))
    h.arg("--udp-flows", type=int, default=10000, help="flows of the UDP packet-rate load (0: no UDP load)")
    a = h.parse()
    if os.cpu_count() < 2:
        raise SystemExit("peers needs 2 CPUs (the balancer on CPU 1, the rest on CPU 0)")
    names = [n for n in (a.only.split(",") if a.only else PEERS) if n]
    for n in names:
        if n not in PEERS:
            raise SystemExit("unknown peer %r (%s)" % (n, ", ".join(PEERS)))
    peers = {}
    with tempfile.TemporaryDirectory(prefix="edgelb-peers-") as work:
        os.chmod(work, 0o755)
        link = Link(work, "pe%d" % (os.getpid() % 10000))
        try:
            for n in names:
                print("peer %s" % n, file=sys.stderr)
                peers[n] = run_peer(link, PEERS[n](), a.seconds, a.rate, a.udp_flows)
        finally:
            link.close()
    res = {"seconds": a.seconds, "rate": a.rate, "connections": CONNECTIONS, "udp_flows": a.udp_flows,
           "peers": peers}
    res["ratios"] = ratios(peers)
    res["targets"] = targets(peers, res["ratios"])
    res = dict(res, date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), machine=harness.machine())
    h.write(res, markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
