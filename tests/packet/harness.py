"""Runs the real edgelb-dataplane over pcap files (net_pcap rx_pcap/tx_pcap) and compares its
output with packets that scapy builds independently. Used by the fixtures/ package through run_case.py; one case per ctest."""
import ipaddress
import logging
import json
import os
import subprocess
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, IPv6, IPv6ExtHdrFragment, PcapWriter, Raw, UDP, rdpcap  # noqa: F401

VIP4, VIP6 = "198.18.1.10", "2001:db8:1::10"
CLIENT4, CLIENT6 = "198.18.0.1", "2001:db8::1"
PREFIX4, PREFIX6 = "198.18.254.0/24", "2001:db8:ffff::/64"
GATEWAY_MAC = "02:00:00:00:00:fe"
IN_MAC = "02:00:00:00:00:01"


def backend_mac(i):
    return "02:00:00:00:02:%02x" % i


class Failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def hexdiff(a, b):
    lines = []
    for off in range(0, max(len(a), len(b)), 16):
        x, y = a[off:off + 16], b[off:off + 16]
        mark = "  " if x == y else "!!"
        lines.append("%s %04x  %-47s | %s" % (mark, off, x.hex(" "), y.hex(" ")))
    return "\n".join(lines)


def same_bytes(actual, expected, what="packet"):
    a, e = bytes(actual), bytes(expected)
    if a != e:
        raise Failure("%s differs (actual | expected):\n%s" % (what, hexdiff(a, e)))


def service(vip=VIP4, port=80, proto="tcp", mode="dsr", backends=None, **extra):
    s = {"name": "svc-%s-%d-%s" % (vip, port, proto), "vip": vip, "port": port, "protocol": proto,
         "forwarding": mode, "backends": backends or []}
    s.update(extra)
    return s


def backend(addr, i=1, mac=True, **extra):
    b = {"address": addr}
    if mac:
        b["mac"] = backend_mac(i)
    b.update(extra)
    return b


class Run:
    """The result of one dataplane run: output packets per phase and the stats JSON."""

    def __init__(self, outputs, stats, rc, stderr, punted=()):
        self.outputs, self.stats, self.rc, self.stderr = outputs, stats, rc, stderr
        self.punted = list(punted)  # frames handed to the kernel (exception path), in order

    @property
    def out(self):
        return [p for phase in self.outputs for p in phase]

    def drops(self, reason):
        return self.stats["totals"]["drops"][reason]

    def punts(self, reason):
        return self.stats["totals"]["punted"][reason]

    def port_mac(self, i=0):
        return self.stats["ports"][i]["mac"]

    def backend_packets(self):
        res = {}
        for s in self.stats["services"]:
            for b in s["backends"]:
                res[b["address"]] = res.get(b["address"], 0) + b["packets"]
        return res


class Context:
    def __init__(self, binary, workdir, case):
        self.binary, self.workdir, self.case = binary, workdir, case
        self.runs = 0
        os.makedirs(workdir, exist_ok=True)

    def path(self, name):
        return os.path.join(self.workdir, name)

    def write_services(self, name, services, version=1):
        p = self.path(name)
        with open(p, "w") as f:  # JSON is valid YAML
            json.dump({"version": version, "services": services}, f, indent=1)
        return p

    def run(self, services, packets, phases=(), config=None, expect_rc=0, kernel_in=(), exception=True):
        """phases: [(services, packets), ...] applied after the first input is idle.
        exception: give port 0 a pcap exception path (punted frames -> Run.punted; kernel_in
        frames are played as if the kernel sent them)."""
        self.runs += 1
        tag = "r%d" % self.runs
        svc = self.write_services(tag + "-svc0.yaml", services)
        inp, out = self.path(tag + "-in0.pcap"), self.path(tag + "-out0.pcap")
        write_pcap(inp, packets)
        stats = self.path(tag + "-stats.json")
        cmd = [self.binary, "--services", svc, "--pcap-in", inp, "--pcap-out", out, "--port-mac", IN_MAC,
               "--stats-json", stats,
               "--until-idle-ms", "200", "--file-prefix", "pkt-%s-%d-%d" % (self.case, os.getpid(), self.runs)]
        if config is not None:
            config = dict(config)
            config.setdefault("eal", {"memory_mb": 256})  # parallel cases share the hugepages
            cfg = self.path(tag + "-dataplane.yaml")
            with open(cfg, "w") as f:
                json.dump(config, f)
            cmd += ["--config", cfg]
        kin, kout = self.path(tag + "-kernel-in.pcap"), self.path(tag + "-kernel-out.pcap")
        if exception:
            write_pcap(kin, kernel_in)
            cmd += ["--pcap-kernel", kin, kout]
        outs = [out]
        for i, (psvc, ppk) in enumerate(phases, start=1):
            s = self.write_services("%s-svc%d.yaml" % (tag, i), psvc, version=i + 1)
            pin, pout = self.path("%s-in%d.pcap" % (tag, i)), self.path("%s-out%d.pcap" % (tag, i))
            write_pcap(pin, ppk)
            cmd += ["--phase", s, pin, pout]
            outs.append(pout)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != expect_rc:
            raise Failure("edgelb-dataplane exited %d (want %d)\ncmd: %s\nstderr:\n%s" %
                          (proc.returncode, expect_rc, " ".join(cmd), proc.stderr))
        if expect_rc != 0:
            return Run([], None, proc.returncode, proc.stderr)
        st = json.load(open(stats))
        outputs = []
        for o in outs:
            outputs.append([bytes(p) for p in rdpcap(o)] if os.path.exists(o) and os.path.getsize(o) > 24 else [])
        punted = [bytes(p) for p in rdpcap(kout)] if exception and os.path.getsize(kout) > 24 else []
        r = Run(outputs, st, proc.returncode, proc.stderr, punted)
        # Invariants for every run: counters add up, and every emitted frame is well formed.
        t, d = st["totals"], st["totals"]["drops"]
        # Drops after the pipeline's verdict (TX ring full, punt limits) are also in forwarded/punted.
        late = d["tx_full"] + d["punt_rate_limited"] + d["no_exception_path"] + d["kernel_tx_full"]
        check(t["rx_packets"] == t["forwarded"] + t["punted_total"] + t["drops_total"] - late,
              "rx %d != forwarded %d + punted %d + drops %d - late drops %d" %
              (t["rx_packets"], t["forwarded"], t["punted_total"], t["drops_total"], late))
        from_kernel = st["exception_path"]["from_kernel_packets"]
        check(from_kernel == len(kernel_in), "kernel sent %d, dataplane took %d" % (len(kernel_in), from_kernel))
        # ICMP too-big errors replace their packet (counted as its drop) and leave on the port too.
        sent = t["icmp_too_big_sent"]
        check(t["forwarded"] + from_kernel + sent == len(r.out), "forwarded %d + from kernel %d + ICMP errors %d but "
              "%d frames in output" % (t["forwarded"], from_kernel, sent, len(r.out)))
        check(st["exception_path"]["to_kernel_packets"] == len(punted), "to_kernel %d but %d punted frames" %
              (st["exception_path"]["to_kernel_packets"], len(punted)))
        kernel_frames = {bytes(k) for k in kernel_in}
        for p in r.out:
            if bytes(p) not in kernel_frames:
                assert_well_formed(p)
        return r


def write_pcap(path, packets):
    """Writes frames byte for byte (runts and garbage included) as an Ethernet pcap."""
    w = PcapWriter(path, linktype=1, sync=True)
    w._write_header(None)
    for p in packets:
        w.write(Raw(bytes(p)))
    w.close()


def assert_well_formed(frame):
    """Re-derives every length and checksum of an emitted frame with scapy."""
    e = Ether(frame)
    ip = e.getlayer(IP) or e.getlayer(IPv6)
    check(ip is not None, "emitted frame without IP: %s" % frame.hex())
    if isinstance(ip, IP):
        check(ip.len <= len(bytes(ip)), "outer IPv4 length beyond frame")
        rebuilt = IP(bytes(ip)[:ip.ihl * 4])
        chk = rebuilt.chksum
        del rebuilt.chksum
        check(IP(bytes(rebuilt)).chksum == chk, "outer IPv4 header checksum wrong")
    else:
        check(ip.plen <= len(bytes(ip)) - 40, "outer IPv6 payload length beyond frame")
    udp = e.getlayer(UDP)
    # A fragment's UDP checksum covers the whole datagram: it cannot be checked on its own.
    fragment = bool(ip.flags.MF or ip.frag) if isinstance(ip, IP) else e.haslayer(IPv6ExtHdrFragment)
    if udp is not None and udp.chksum and not fragment:
        # Recompute the outer UDP checksum from scratch and compare.
        cls = IP if isinstance(ip, IP) else IPv6
        pkt = cls(bytes(ip))
        want = pkt[UDP].chksum
        del pkt[UDP].chksum
        check(cls(bytes(pkt))[UDP].chksum == want, "outer UDP checksum wrong: %#06x" % want)


def in_prefix(addr, prefix):
    return ipaddress.ip_address(addr) in ipaddress.ip_network(prefix)


def main(cases):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--case")
    ap.add_argument("--binary")
    ap.add_argument("--workdir", default="/tmp/edgelb-packet")
    a = ap.parse_args()
    if a.list:
        print(";".join(sorted(cases)))
        return 0
    ctx = Context(a.binary, os.path.join(a.workdir, a.case), a.case)
    try:
        cases[a.case](ctx)
    except Failure as e:
        print("FAIL %s: %s" % (a.case, e))
        return 1
    print("PASS %s (%d dataplane run(s))" % (a.case, ctx.runs))
    return 0


if __name__ == "__main__":
    sys.exit("use run_case.py")
