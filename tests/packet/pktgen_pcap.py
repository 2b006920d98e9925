#!/usr/bin/env python3
"""edgelb-pktgen over net_pcap, its output compared byte for byte with frames scapy builds on its
own: the frames it generates (IPv4 TCP and IPv6 UDP, checksums as a kernel computes them) and
a capture it replays (--pcap, looped, destination MAC rewritten or not).
usage: pktgen_pcap.py --pktgen build/perf/edgelb-pktgen [--workdir DIR]"""
import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import ARP, Ether, IP, IPv6, Raw, TCP, UDP, rdpcap, wrpcap  # noqa: E402

DUT_MAC = "02:00:00:00:00:01"


def hexdiff(a, b):
    return "\n".join("%s %04x  %-47s | %s" % ("  " if a[o:o + 16] == b[o:o + 16] else "!!", o,
                                                a[o:o + 16].hex(" "), b[o:o + 16].hex(" "))
                     for o in range(0, max(len(a), len(b)), 16))


def run(pktgen, work, tag, args):
    """Runs edgelb-pktgen on a net_pcap port (nothing to receive); (summary, frames it sent)."""
    empty, out = os.path.join(work, tag + "-rx.pcap"), os.path.join(work, tag + "-out.pcap")
    wrpcap(empty, [])
    cmd = [pktgen, "--port", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (empty, out), "--no-huge",
           "--file-prefix", "pktgen-pcap-%s-%d" % (tag, os.getpid())] + args
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("edgelb-pktgen exited %d\ncmd: %s\n%s" % (p.returncode, " ".join(cmd), p.stderr))
    return json.loads(p.stdout.strip().splitlines()[-1]), [bytes(f) for f in rdpcap(out)]


def same(got, want, what):
    if got != want:
        raise AssertionError("%s differs (got | want):\n%s" % (what, hexdiff(got, want)))


def generated_frames(pktgen, work):
    """Flows alternate between the VIPs: flow f toward VIP f % 2, from 198.18.128.0 or
    2001:db8:8000:: and port 1024 + f; TCP ACKs with a 65535 window; zero payload to the size."""
    vips = ("198.18.1.10", 80, "tcp"), ("2001:db8:1::10", 53, "udp")
    summary, frames = run(pktgen, work, "gen", ["--vip", "198.18.1.10:80/tcp", "--vip", "2001:db8:1::10:53/udp",
                                                "--flows", "4", "--size", "101", "--rate-pps", "200",
                                                "--duration", "1"])
    assert frames and len(frames) == summary["sent"], (len(frames), summary)
    assert 120 <= summary["sent"] <= 260, summary
    assert summary["received"] == 0 and summary["flows"] == 4, summary
    src_mac = Ether(frames[0]).src
    for i, got in enumerate(frames):
        f = i % 4
        addr, port, proto = vips[f % 2]
        l3 = IP(src="198.18.128.0", dst=addr, ttl=64, id=0) if proto == "tcp" else \
            IPv6(src="2001:db8:8000::", dst=addr, hlim=64)
        l4 = TCP(sport=1024 + f, dport=port, flags="A", window=65535, seq=0, ack=0) if proto == "tcp" else \
            UDP(sport=1024 + f, dport=port)
        want = Ether(dst=DUT_MAC, src=src_mac) / l3 / l4
        want = bytes(want / Raw(b"\0" * (101 - len(want))))
        same(got, want, "generated frame %d (flow %d, %s)" % (i, f, proto))
    print("generated: %d frames over 2 VIPs, IPv4 TCP and IPv6 UDP, byte for byte with scapy's" % len(frames))


def replayed_capture(pktgen, work):
    capture = [Ether(dst="02:00:00:00:00:0a", src="02:00:00:00:00:0b") / IP(src="198.18.0.1", dst="198.18.1.10") /
               TCP(sport=40000, dport=80, flags="S"),
               Ether(dst="02:00:00:00:00:0a", src="02:00:00:00:00:0b") / IPv6(src="2001:db8::1", dst="2001:db8:1::10") /
               UDP(sport=5353, dport=53) / Raw(b"q" * 200),
               Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:0b") / ARP(psrc="198.18.0.1", pdst="198.18.0.2")]
    raw = [bytes(p) for p in capture]
    cap = os.path.join(work, "capture.pcap")
    wrpcap(cap, capture)
    for tag, extra, rewrite in (("as-is", [], None), ("dmac", ["--dst-mac", "02:00:00:00:00:77"], "02:00:00:00:00:77")):
        summary, frames = run(pktgen, work, "replay-" + tag, ["--pcap", cap, "--rate-pps", "150", "--duration", "1"] + extra)
        assert len(frames) == summary["sent"] and len(frames) >= 6, (len(frames), summary)
        assert summary["pcap"] == {"file": cap, "frames": 3, "capture_bytes": sum(map(len, raw)),
                                   "loops": len(frames) // 3}, summary
        assert summary["frame_bytes"] == "pcap" and summary["flows"] is None, summary
        for i, got in enumerate(frames):
            want = raw[i % 3]
            if rewrite:
                want = bytes.fromhex(rewrite.replace(":", "")) + want[6:]
            same(got, want, "replayed frame %d (%s)" % (i, tag))
        print("replayed %s: %d frames, %d loops of the capture, in order, byte for byte" %
              (tag, len(frames), summary["pcap"]["loops"]))


def refused(pktgen, work):
    bad = os.path.join(work, "not-a-capture.pcap")
    with open(bad, "wb") as f:
        f.write(b"\x0a\x0d\x0d\x0a" + b"\0" * 40)
    for args, want in ((["--pcap", bad], "a pcapng file"),
                       (["--pcap", bad, "--vip", "198.18.1.10:80/tcp"], "--vip builds frames")):
        p = subprocess.run([pktgen, "--port", "net_null0", "--no-huge"] + args, capture_output=True, text=True,
                           timeout=60)
        assert p.returncode != 0 and want in p.stderr, (args, p.returncode, p.stderr)
    print("refused: a pcapng file and --pcap with --vip, each with its reason")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pktgen", required=True)
    ap.add_argument("--workdir")
    a = ap.parse_args()
    work = a.workdir or tempfile.mkdtemp(prefix="edgelb-pktgen-pcap-")
    os.makedirs(work, exist_ok=True)
    try:
        generated_frames(a.pktgen, work)
        replayed_capture(a.pktgen, work)
        refused(a.pktgen, work)
    except AssertionError as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
