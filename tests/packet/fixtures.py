#!/usr/bin/env python3
"""Packet fixtures for edgelb-dataplane: pcap in -> real binary (net_pcap) -> pcap out.

Each case builds its input with scapy, builds the expected output independently, and compares
bytes (encapsulation fields that come from the flow hash -- outer source, IPv6 flow label, GUE
source port -- are read from the output, checked for range, then the whole frame is compared).
  fixtures.py --list
  fixtures.py --case NAME --binary build/dataplane/edgelb-dataplane [--workdir DIR]
"""
import json
import os
import subprocess
import random
import sys

from scapy.all import (ARP, Dot1AD, Dot1Q, Ether, ICMP, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                       ICMPv6PacketTooBig, IP,
                       IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, Raw, TCP, UDP)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (CLIENT4, CLIENT6, GATEWAY_MAC, IN_MAC, PREFIX4, PREFIX6, VIP4, VIP6, backend,  # noqa: E402
                     backend_mac, check, in_prefix, main, same_bytes, service, write_pcap)
from scapy.all import rdpcap  # noqa: E402

CASES = {}
TUNNEL_CONFIG = {"forwarding": {"gateway_mac": GATEWAY_MAC, "maglev_table_size": 251,
                                "encap": {"ipv4_source_prefix": PREFIX4, "ipv6_source_prefix": PREFIX6}},
                 "workers": [1], "eal": {"memory_mb": 256}, "conntrack": {"capacity": 65536}}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def eth(v6=False):
    return Ether(src="02:00:00:00:00:aa", dst=IN_MAC)


def tcp4(sport=40000, dport=80, flags="S", payload=b"", src=CLIENT4, dst=VIP4, **ip):
    return eth() / IP(src=src, dst=dst, **ip) / TCP(sport=sport, dport=dport, flags=flags) / Raw(payload)


def tcp6(sport=40000, dport=80, flags="S", payload=b"", src=CLIENT6, dst=VIP6):
    return eth() / IPv6(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags=flags) / Raw(payload)


def udp4(sport=40000, dport=53, payload=b"q", src=CLIENT4, dst=VIP4):
    return eth() / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(payload)


def udp6(sport=40000, dport=53, payload=b"q", src=CLIENT6, dst=VIP6):
    return eth() / IPv6(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(payload)


def dsr_expected(pkt, port_mac, i=1):
    b = bytearray(bytes(pkt))
    b[0:6] = bytes.fromhex(backend_mac(i).replace(":", ""))
    b[6:12] = bytes.fromhex(port_mac.replace(":", ""))
    return bytes(b)


def single_dsr(ctx, pkt, vip=VIP4, port=80, proto="tcp", bk="198.18.2.1"):
    r = ctx.run([service(vip, port, proto, "dsr", [backend(bk)])], [pkt])
    check(len(r.out) == 1, "want 1 output frame, got %d (drops %s)" % (len(r.out), r.stats["totals"]["drops"]))
    same_bytes(r.out[0], dsr_expected(pkt, r.port_mac()))
    return r


# ---------------------------------------------------------------- DSR ---------------------
@case
def dsr_ipv4_tcp_syn(ctx):
    single_dsr(ctx, tcp4(payload=b"hello"))


@case
def dsr_ipv6_tcp(ctx):
    single_dsr(ctx, tcp6(flags="A", payload=b"x" * 100), vip=VIP6, bk="2001:db8:2::1")


@case
def dsr_ipv4_udp(ctx):
    single_dsr(ctx, udp4(), port=53, proto="udp")


@case
def dsr_ipv6_udp(ctx):
    single_dsr(ctx, udp6(), vip=VIP6, port=53, proto="udp", bk="2001:db8:2::1")


@case
def dsr_vlan_tag_kept(ctx):
    p = Ether(src="02:00:00:00:00:aa", dst=IN_MAC) / Dot1Q(vlan=100, prio=3) / IP(src=CLIENT4, dst=VIP4) / TCP(dport=80)
    single_dsr(ctx, p)


@case
def dsr_qinq_tags_kept(ctx):
    p = Ether(src="02:00:00:00:00:aa", dst=IN_MAC, type=0x88a8) / Dot1AD(vlan=10) / Dot1Q(vlan=20) / \
        IP(src=CLIENT4, dst=VIP4) / TCP(dport=80)
    single_dsr(ctx, p)


@case
def dsr_ipv4_options(ctx):
    p = eth() / IP(src=CLIENT4, dst=VIP4, options=[b"\x01\x01\x01\x00"]) / TCP(dport=80)
    check(bytes(p)[14] == 0x46, "fixture must carry options")
    single_dsr(ctx, p)


@case
def dsr_ethernet_padding_kept(ctx):
    p = tcp4(flags="A")
    raw = bytes(p) + b"\x00" * (60 - len(bytes(p)))
    r = ctx.run([service(VIP4, 80, "tcp", "dsr", [backend("198.18.2.1")])], [Ether(raw)])
    check(len(r.out) == 1 and len(r.out[0]) == 60, "padded frame forwarded as is")
    same_bytes(r.out[0], dsr_expected(raw, r.port_mac()))


@case
def dsr_ipv6_extension_headers(ctx):
    p = eth() / IPv6(src=CLIENT6, dst=VIP6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / TCP(dport=80)
    single_dsr(ctx, p, vip=VIP6, bk="2001:db8:2::1")


# ---------------------------------------------------------------- IPIP / GUE --------------
def tunnel_expected(actual, inner, outer_v4, proto, backend_addr, port_mac, gue_port=None):
    """The frame the dataplane must emit, with hash-derived fields taken from `actual`."""
    inner_ip = bytes(inner)[14:]
    ol2 = Ether(actual)
    outer = ol2.payload
    if outer_v4:
        check(in_prefix(outer.src, PREFIX4), "outer source %s outside %s" % (outer.src, PREFIX4))
        hdr = IP(src=outer.src, dst=backend_addr, ttl=64, flags="DF", id=0, tos=_tclass(inner), proto=proto)
    else:
        check(in_prefix(outer.src, PREFIX6), "outer source %s outside %s" % (outer.src, PREFIX6))
        hdr = IPv6(src=outer.src, dst=backend_addr, hlim=64, tc=_tclass(inner), fl=outer.fl, nh=proto)
    l2 = Ether(dst=GATEWAY_MAC, src=port_mac, type=0x0800 if outer_v4 else 0x86DD)
    if gue_port:
        sport = outer.payload.sport
        check(sport >= 0xC000, "GUE source port %d not in the dynamic range" % sport)
        udp = UDP(sport=sport, dport=gue_port)
        if outer_v4:
            udp.chksum = 0
        return bytes(l2 / hdr / udp / Raw(inner_ip))
    return bytes(l2 / hdr / Raw(inner_ip))


def _tclass(inner):
    ip = Ether(bytes(inner)).payload
    return ip.tos if isinstance(ip, IP) else ip.tc


def tunnel_case(ctx, pkt, vip, backend_addr, mode, outer_v4, proto, port=80, l4="tcp", gue_port=None, svc_extra=None):
    svc = service(vip, port, l4, mode, [backend(backend_addr, mac=False)], **(svc_extra or {}))
    r = ctx.run([svc], [pkt], config=TUNNEL_CONFIG)
    check(len(r.out) == 1, "want 1 frame, got %d, drops %s" % (len(r.out), r.stats["totals"]["drops"]))
    same_bytes(r.out[0], tunnel_expected(r.out[0], pkt, outer_v4, proto, backend_addr, r.port_mac(), gue_port))
    return r


@case
def ipip_ipv4_in_ipv4(ctx):
    tunnel_case(ctx, tcp4(payload=b"abc"), VIP4, "198.18.3.1", "ipip", True, 4)


@case
def ipip_ipv6_in_ipv6(ctx):
    tunnel_case(ctx, tcp6(payload=b"abc"), VIP6, "2001:db8:3::1", "ipip", False, 41)


@case
def ipip_ipv4_in_ipv6(ctx):
    tunnel_case(ctx, tcp4(), VIP4, "2001:db8:3::1", "ipip", False, 4)


@case
def ipip_ipv6_in_ipv4(ctx):
    tunnel_case(ctx, tcp6(), VIP6, "198.18.3.1", "ipip", True, 41)


@case
def ipip_dscp_copied(ctx):
    tunnel_case(ctx, tcp4(tos=0xb8), VIP4, "198.18.3.1", "ipip", True, 4)


@case
def ipip_padding_trimmed(ctx):
    p = tcp4(flags="A")
    padded = Ether(bytes(p) + b"\x00" * (60 - len(bytes(p))))
    svc = service(VIP4, 80, "tcp", "ipip", [backend("198.18.3.1", mac=False)])
    r = ctx.run([svc], [padded], config=TUNNEL_CONFIG)
    check(len(r.out) == 1, "forwarded")
    same_bytes(r.out[0], tunnel_expected(r.out[0], p, True, 4, "198.18.3.1", r.port_mac()))


@case
def ipip_vlan_kept(ctx):
    p = Ether(src="02:00:00:00:00:aa", dst=IN_MAC) / Dot1Q(vlan=7) / IP(src=CLIENT4, dst=VIP4) / TCP(dport=80)
    svc = service(VIP4, 80, "tcp", "ipip", [backend("198.18.3.1", mac=False)])
    r = ctx.run([svc], [p], config=TUNNEL_CONFIG)
    check(len(r.out) == 1, "forwarded")
    o = Ether(r.out[0])
    check(o.haslayer(Dot1Q) and o[Dot1Q].vlan == 7 and o[Dot1Q].type == 0x0800, "VLAN 7 kept, inner type IPv4")
    inner = bytes(p[IP])
    check(r.out[0].endswith(inner), "inner packet intact")
    check(o[Dot1Q].payload.dst == "198.18.3.1" and o[Dot1Q].payload.proto == 4, "outer header after the tag")


@case
def ipip_backend_mac_preferred_over_gateway(ctx):
    svc = service(VIP4, 80, "tcp", "ipip", [backend("198.18.3.1", i=9)])
    r = ctx.run([svc], [tcp4()], config=TUNNEL_CONFIG)
    check(Ether(r.out[0]).dst == backend_mac(9), "on-link tunnel backend reached by its own MAC")


@case
def gue_ipv4_outer_udp_checksum_zero(ctx):
    tunnel_case(ctx, udp4(payload=b"dns?"), VIP4, "198.18.3.1", "gue", True, 17, port=53, l4="udp", gue_port=6080)


@case
def gue_ipv6_outer_checksum_valid(ctx):
    tunnel_case(ctx, udp6(payload=b"odd-length"), VIP6, "2001:db8:3::1", "gue", False, 17, port=53, l4="udp",
                gue_port=6080)


@case
def gue_service_port_override(ctx):
    tunnel_case(ctx, tcp4(), VIP4, "198.18.3.1", "gue", True, 17, gue_port=7000, svc_extra={"gue_port": 7000})


@case
def gue_ipv6_inner_ipv4_outer(ctx):
    tunnel_case(ctx, tcp6(payload=b"z" * 33), VIP6, "198.18.3.1", "gue", True, 17, gue_port=6080)


@case
def encap_over_mtu_dropped(ctx):
    svc = service(VIP4, 80, "tcp", "ipip", [backend("198.18.3.1", mac=False)])
    big = tcp4(flags="A", payload=b"x" * (1500 - 40))  # exactly 1500 bytes of IP: fits unencapsulated
    ok = tcp4(sport=40001, flags="A", payload=b"x" * (1500 - 40 - 20))
    r = ctx.run([svc], [big, ok], config=TUNNEL_CONFIG)
    check(r.drops("encap_too_big") == 1 and len(r.out) == 1, "one too big, one exactly at MTU")
    check(len(r.out[0]) == 14 + 1500, "1500-byte outer packet emitted")


# ---------------------------------------------------------------- ICMP ---------------------
def three_backends(vip=VIP4, v6=False):
    return [service(vip, 80, "tcp", "dsr",
                    [backend(("2001:db8:2::%d" if v6 else "198.18.2.%d") % i, i=i) for i in (1, 2, 3)])]


@case
def icmp_frag_needed_follows_flow(ctx):
    flows = [tcp4(sport=41000 + i, flags="S") for i in range(24)]
    errors = []
    for i in range(24):
        quoted = IP(src=VIP4, dst=CLIENT4) / TCP(sport=80, dport=41000 + i, flags="SA")
        errors.append(eth() / IP(src="198.18.100.1", dst=VIP4) / ICMP(type=3, code=4, nexthopmtu=1400) /
                      Raw(bytes(quoted)[:28]))
    r = ctx.run(three_backends(), flows + errors)
    check(len(r.out) == 48, "all flows and all ICMP errors forwarded")
    for i in range(24):
        check(Ether(r.out[i]).dst == Ether(r.out[24 + i]).dst, "ICMP %d went to a different backend" % i)
        same_bytes(r.out[24 + i][12:], bytes(errors[i])[12:], "ICMP error body")
    check(r.stats["totals"]["icmp_too_big_steered"] == 24, "counted")


@case
def icmpv6_packet_too_big_follows_flow(ctx):
    flows = [tcp6(sport=42000 + i) for i in range(16)]
    errors = []
    for i in range(16):
        quoted = IPv6(src=VIP6, dst=CLIENT6) / TCP(sport=80, dport=42000 + i, flags="SA")
        errors.append(eth() / IPv6(src="2001:db8:100::1", dst=VIP6) / ICMPv6PacketTooBig(mtu=1280) / Raw(bytes(quoted)))
    r = ctx.run(three_backends(VIP6, True), flows + errors)
    check(len(r.out) == 32, "forwarded")
    for i in range(16):
        check(Ether(r.out[i]).dst == Ether(r.out[16 + i]).dst, "ICMPv6 %d went elsewhere" % i)


@case
def icmp_echo_to_vip_punted_to_kernel(ctx):
    ping4, ping6 = eth() / IP(src=CLIENT4, dst=VIP4) / ICMP(), eth() / IPv6(src=CLIENT6, dst=VIP6) / ICMPv6EchoRequest()
    r = ctx.run(three_backends(), [ping4, ping6])
    check(not r.out, "no output on the wire")
    check(len(r.punted) == 1, "the VIP ping goes to the kernel")
    same_bytes(r.punted[0], ping4, "punted frame is unchanged")
    check(r.punts("local_address") == 1 and r.drops("non_vip") == 1, "ping to a non-VIP address is dropped")


@case
def icmp_too_big_with_bad_inner_dropped(ctx):
    bad = eth() / IP(src="198.18.100.1", dst=VIP4) / ICMP(type=3, code=4) / Raw(b"\x45\x00\x00")
    other = eth() / IP(src="198.18.100.1", dst=VIP4) / ICMP(type=3, code=4) / \
        Raw(bytes(IP(src=VIP4, dst=CLIENT4) / TCP(sport=81, dport=5))[:28])
    r = ctx.run(three_backends(), [bad, other])
    check(r.drops("icmp_inner_malformed") == 1, "truncated inner header")
    check(len(r.punted) == 1 and r.punts("local_address") == 1, "inner flow is for no service: the kernel's")
    same_bytes(r.punted[0], other)


# ---------------------------------------------------------------- malformed input --------
def drop_case(ctx, frames, reason, count=None):
    r = ctx.run(three_backends(), frames)
    check(not r.out, "nothing may be emitted, got %d frames" % len(r.out))
    want = len(frames) if count is None else count
    check(r.drops(reason) == want, "%s: want %d got %d; all drops %s" %
          (reason, want, r.drops(reason), {k: v for k, v in r.stats["totals"]["drops"].items() if v}))


@case
def garbage_frames_dropped_and_counted(ctx):
    rnd = random.Random(1234)
    frames = [bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 300))) for _ in range(300)]
    r = ctx.run(three_backends(), [Ether(f) if len(f) >= 14 else Raw(f) for f in frames])
    check(r.stats["totals"]["rx_packets"] == len(frames), "every frame received")
    check(r.stats["totals"]["drops_total"] == len(frames) - len(r.out), "every frame accounted for")


@case
def runt_frames(ctx):
    drop_case(ctx, [Raw(b"\x02" * n) for n in range(1, 14)], "l2_truncated")


@case
def truncated_ipv4_frames(ctx):
    full = bytes(tcp4(payload=b"payload"))
    frames = [Ether(full[:n]) for n in range(14, len(full))]
    r = ctx.run(three_backends(), frames)
    check(not r.out and r.stats["totals"]["drops_total"] == len(frames), "every truncation dropped")


@case
def truncated_ipv6_frames(ctx):
    full = bytes(eth() / IPv6(src=CLIENT6, dst=VIP6) / IPv6ExtHdrHopByHop() / TCP(dport=80))
    frames = [Ether(full[:n]) for n in range(14, len(full))]
    r = ctx.run(three_backends(VIP6, True), frames)
    check(not r.out and r.stats["totals"]["drops_total"] == len(frames), "every truncation dropped")


@case
def non_ip_frames(ctx):
    arp = Ether(src="02:00:00:00:00:aa", dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=VIP4)
    lldp = Ether(dst="01:80:c2:00:00:0e", type=0x88cc) / Raw(b"\x00" * 40)
    r = ctx.run(three_backends(), [arp, lldp])
    check(not r.out and r.drops("non_ip") == 1, "LLDP dropped")
    check(r.punts("arp") == 1 and len(r.punted) == 1, "ARP punted")
    same_bytes(r.punted[0], arp)


@case
def bad_ipv4_headers(ctx):
    good = bytearray(bytes(tcp4()))
    ihl = bytearray(good); ihl[14] = 0x44
    ver = bytearray(good); ver[14] = 0x55
    tot = bytearray(good); tot[16:18] = (2000).to_bytes(2, "big")
    r = ctx.run(three_backends(), [Ether(bytes(x)) for x in (ihl, ver, tot)])
    d = r.stats["totals"]["drops"]
    check(not r.out and d["ipv4_bad_ihl"] == 1 and d["ipv4_bad_version"] == 1 and d["ipv4_bad_total_length"] == 1,
          str({k: v for k, v in d.items() if v}))


@case
def bad_ipv6_headers(ctx):
    good = bytearray(bytes(tcp6()))
    plen = bytearray(good); plen[18:20] = (3000).to_bytes(2, "big")
    ver = bytearray(good); ver[14] = 0x40
    r = ctx.run(three_backends(VIP6, True), [Ether(bytes(plen)), Ether(bytes(ver))])
    d = r.stats["totals"]["drops"]
    check(not r.out and d["ipv6_bad_payload_length"] == 1 and d["ipv6_bad_version"] == 1, str(d))


@case
def ipv6_extension_header_chain_too_long(ctx):
    p = eth() / IPv6(src=CLIENT6, dst=VIP6)
    for _ in range(9):
        p = p / IPv6ExtHdrDestOpt()
    p = p / TCP(dport=80)
    r = ctx.run(three_backends(VIP6, True), [p])
    check(r.drops("ipv6_too_many_ext_headers") == 1 and not r.out, "dropped")


@case
def bad_l4_headers(ctx):
    tcp = bytearray(bytes(tcp4())); tcp[46] = 0x30          # data offset 3
    udp = bytearray(bytes(udp4(dport=80))); udp[38:40] = (500).to_bytes(2, "big")
    r = ctx.run(three_backends() + [service(VIP4, 80, "udp", "dsr", [backend("198.18.2.1")])],
                [Ether(bytes(tcp)), Ether(bytes(udp))])
    check(r.drops("tcp_bad_header") == 1 and r.drops("udp_bad_header") == 1 and not r.out, "dropped")


@case
def vlan_stack_too_deep(ctx):
    p = Ether(src="02:00:00:00:00:aa", dst=IN_MAC) / Dot1Q(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) / \
        IP(src=CLIENT4, dst=VIP4) / TCP(dport=80)
    drop_case(ctx, [p], "vlan_too_deep")


# ---------------------------------------------------------------- classification ---------
@case
def non_vip_traffic_dropped(ctx):
    drop_case(ctx, [tcp4(dst="198.18.1.99"), tcp6(dst="2001:db8:1::99"), udp4(dst="198.18.9.9")], "non_vip")


@case
def vip_wrong_port_or_protocol_punted(ctx):
    frames = [tcp4(dport=81), udp4(dport=80), eth() / IP(src=CLIENT4, dst=VIP4, proto=47) / Raw(b"gre!")]
    r = ctx.run(three_backends(), frames)
    check(not r.out and r.punts("local_address") == 3, "the kernel answers (RST, port unreachable)")
    for got, sent in zip(r.punted, frames):
        same_bytes(got, sent, "punted unchanged")


@case
def fragments_to_vip_dropped(ctx):
    frags = [f for f in __import__("scapy.all", fromlist=["fragment"]).fragment(
        IP(src=CLIENT4, dst=VIP4) / TCP(dport=80) / Raw(b"x" * 300), fragsize=128)]
    v6 = eth() / IPv6(src=CLIENT6, dst=VIP6) / IPv6ExtHdrFragment(m=1, id=7) / TCP(dport=80)
    frames = [eth() / f for f in frags] + [v6]
    r = ctx.run(three_backends() + three_backends(VIP6, True), frames)
    check(not r.out and r.drops("ip_fragment") == len(frames), "fragments: %s" % r.stats["totals"]["drops"])


@case
def no_backend_counted(ctx):
    svc = service(VIP4, 80, "tcp", "dsr", [backend("198.18.2.1", state="down"), backend("198.18.2.2", i=2, weight=0)])
    r = ctx.run([svc], [tcp4()])
    check(r.drops("no_backend") == 1 and not r.out, "no usable backend")


@case
def dsr_backend_without_mac_counted(ctx):
    svc = service(VIP4, 80, "tcp", "dsr", [backend("198.18.2.1", mac=False)])
    r = ctx.run([svc], [tcp4()])
    check(r.drops("no_next_hop") == 1 and not r.out, "unknown next hop is reported, not blackholed")
    check(r.stats["services"][0]["backends"][0]["next_hop"] == "unknown", "stats show the unknown MAC")


@case
def invalid_service_file_rejected(ctx):
    bad = [service(VIP4, 80, "tcp", "dsr", [backend("2001:db8::1")]), service(VIP4, 80, "tcp", "dsr", [])]
    r = ctx.run(bad, [tcp4()], expect_rc=2)
    check("services[0].backends[0].address" in r.stderr and "services[1]" in r.stderr, r.stderr)


# ---------------------------------------------------------------- balancing --------------
def spread_run(ctx, services, n=600, flags="S", v6=False):
    pk = [(tcp6 if v6 else tcp4)(sport=10000 + i, flags=flags, src=(CLIENT6 if v6 else "198.18.0.%d" % (1 + i % 200)))
          for i in range(n)]
    return ctx.run(services, pk), pk


@case
def maglev_spreads_flows(ctx):
    svc = service(VIP4, 80, "tcp", "dsr", [backend("198.18.2.%d" % i, i=i) for i in range(1, 5)])
    r, _ = spread_run(ctx, [svc], n=2000)
    got = r.backend_packets()
    check(len(got) == 4 and all(400 <= v <= 600 for v in got.values()), "uneven spread %s" % got)


@case
def weights_respected(ctx):
    svc = service(VIP4, 80, "tcp", "dsr", [backend("198.18.2.1", i=1, weight=3), backend("198.18.2.2", i=2, weight=1)])
    r, _ = spread_run(ctx, [svc], n=2000)
    got = r.backend_packets()
    check(1350 <= got["198.18.2.1"] <= 1650, "weight 3 of 4 -> ~1500, got %s" % got)


@case
def flows_stick_to_their_backend(ctx):
    svc = service(VIP4, 80, "tcp", "dsr", [backend("198.18.2.%d" % i, i=i) for i in range(1, 5)])
    syns = [tcp4(sport=20000 + i, flags="S") for i in range(200)]
    acks = [tcp4(sport=20000 + i, flags="A", payload=b"data") for i in range(200)]
    r = ctx.run([svc], syns + acks + acks)
    for i in range(200):
        a, b, c = (Ether(r.out[k]).dst for k in (i, 200 + i, 400 + i))
        check(a == b == c, "flow %d moved: %s %s %s" % (i, a, b, c))


@case
def ipv6_flows_stick_and_spread(ctx):
    svc = service(VIP6, 80, "tcp", "dsr", [backend("2001:db8:2::%d" % i, i=i) for i in range(1, 4)])
    r, pk = spread_run(ctx, [svc], n=300, v6=True)
    check(len(r.backend_packets()) == 3 and min(r.backend_packets().values()) > 50, str(r.backend_packets()))


@case
def drain_keeps_existing_flows(ctx):
    backends = [backend("198.18.2.%d" % i, i=i) for i in range(1, 4)]
    svc = service(VIP4, 80, "tcp", "dsr", backends)
    drained = service(VIP4, 80, "tcp", "dsr", [dict(b) for b in backends])
    drained["backends"][0]["state"] = "drain"
    syns = [tcp4(sport=30000 + i) for i in range(150)]
    acks = [tcp4(sport=30000 + i, flags="A") for i in range(150)]
    new = [tcp4(sport=50000 + i, src="198.18.0.77") for i in range(150)]
    r = ctx.run([svc], syns, phases=[([drained], acks + new)])
    first, second = r.outputs
    for i in range(150):
        check(Ether(first[i]).dst == Ether(second[i]).dst, "existing flow %d moved on drain" % i)
    check(all(Ether(p).dst != backend_mac(1) for p in second[150:]), "new flows must avoid the drained backend")
    check(any(Ether(p).dst == backend_mac(1) for p in first), "fixture must have flows on backend 1")


@case
def removal_rebalances_only_its_flows(ctx):
    backends = [backend("198.18.2.%d" % i, i=i) for i in range(1, 4)]
    svc = service(VIP4, 80, "tcp", "dsr", backends)
    fewer = service(VIP4, 80, "tcp", "dsr", backends[1:])
    syns = [tcp4(sport=31000 + i) for i in range(150)]
    acks = [tcp4(sport=31000 + i, flags="A") for i in range(150)]
    r = ctx.run([svc], syns, phases=[([fewer], acks)], config={"forwarding": {"removed_backend_grace_ms": 0}})
    first, second = r.outputs
    moved = 0
    for i in range(150):
        before, after = Ether(first[i]).dst, Ether(second[i]).dst
        if before == backend_mac(1):
            moved += 1
            check(after != backend_mac(1), "flow %d still goes to the removed backend" % i)
        else:
            check(before == after, "flow %d on a surviving backend moved" % i)
    check(moved > 0 and r.stats["totals"]["rebalanced"] == moved, "rebalanced %d of %d" %
          (r.stats["totals"]["rebalanced"], moved))


@case
def removal_keeps_existing_flows_during_grace(ctx):
    backends = [backend("198.18.2.%d" % i, i=i) for i in range(1, 4)]
    svc = service(VIP4, 80, "tcp", "dsr", backends)
    fewer = service(VIP4, 80, "tcp", "dsr", backends[1:])
    syns = [tcp4(sport=31000 + i) for i in range(150)]
    acks = [tcp4(sport=31000 + i, flags="A") for i in range(150)]
    fresh = [tcp4(sport=32000 + i, src="198.18.0.9") for i in range(100)]
    r = ctx.run([svc], syns, phases=[([fewer], acks + fresh)])
    first, second = r.outputs
    on_removed = sum(Ether(p).dst == backend_mac(1) for p in first)
    check(on_removed > 0, "fixture must have flows on the removed backend")
    for i in range(150):
        same_bytes(first[i][:6], second[i][:6], "flow %d keeps its backend" % i)
    check(all(Ether(p).dst != backend_mac(1) for p in second[150:]), "new flows avoid the removed backend")
    check(r.stats["totals"]["rebalanced"] == 0, "nothing rebalanced")


@case
def down_backend_flows_move(ctx):
    backends = [backend("198.18.2.%d" % i, i=i) for i in range(1, 3)]
    svc = service(VIP4, 80, "udp", "dsr", backends)
    down = service(VIP4, 80, "udp", "dsr", [dict(b) for b in backends])
    down["backends"][1]["state"] = "down"
    pk = [udp4(sport=32000 + i, dport=80) for i in range(100)]
    r = ctx.run([svc], pk, phases=[([down], pk)])
    check(all(Ether(p).dst == backend_mac(1) for p in r.outputs[1]), "all flows on the remaining backend")


@case
def table_update_keeps_flows_on_same_backend_set(ctx):
    svc = service(VIP4, 80, "tcp", "gue", [backend("198.18.3.%d" % i, mac=False) for i in range(1, 5)])
    pk = [tcp4(sport=33000 + i, flags="A") for i in range(100)]
    r = ctx.run([svc], pk, phases=[([svc], pk)], config=TUNNEL_CONFIG)
    check(len(r.outputs[0]) == len(r.outputs[1]) == 100, "all forwarded in both phases")
    for a, b in zip(*r.outputs):  # the phases' ports have their own MACs: compare past them
        same_bytes(a[:6] + a[12:], b[:6] + b[12:], "same flow, same table -> identical encapsulation")


@case
def syn_flood_guard_keeps_established_flows(ctx):
    cfg = {"conntrack": {"capacity": 64, "syn_flood_threshold": 50}, "eal": {"memory_mb": 256}}
    svc = service(VIP4, 80, "tcp", "dsr", [backend("198.18.2.%d" % i, i=i) for i in range(1, 4)])
    est = [tcp4(sport=34000 + i, flags="A") for i in range(20)]
    flood = [tcp4(sport=1 + i, src="198.18.%d.%d" % (10 + i // 250, 1 + i % 250), flags="S") for i in range(2000)]
    r = ctx.run([svc], est + flood, config=cfg)
    ct = r.stats["workers"][0]["conntrack"]
    check(ct["syn_not_tracked"] >= 1900, "flood SYNs not tracked: %s" % ct)
    check(ct["syn_flood_active"], "flood mode reported")
    check(len(r.out) == 2020, "SYNs are still forwarded consistently (Maglev)")


@case
def two_workers_one_queue_each(ctx):
    """Two workers (lcores 1 and 2, mapped onto one CPU with eal.lcores) on a two-queue port:
    each worker polls only its own RX queue, keeps its own conntrack, transmits on its own TX
    queue, and Maglev gives both the same backend for the same flow."""
    svc = service(VIP4, 80, "tcp", "dsr", [backend("198.18.2.%d" % i, i=i) for i in range(1, 4)])
    q0 = [tcp4(sport=35000 + i) for i in range(60)]
    q1 = q0[:40] + [tcp4(sport=36000 + i) for i in range(25)]
    ins = [ctx.path("q%d-in.pcap" % q) for q in (0, 1)]
    outs = [ctx.path("q%d-out.pcap" % q) for q in (0, 1)]
    for f, pk in zip(ins, (q0, q1)):
        write_pcap(f, pk)
    stats = ctx.path("mw-stats.json")
    cfg = {"eal": {"lcores": "0@0,1@0,2@0", "memory_mb": 256, "file_prefix": "pkt-mw-%d" % os.getpid()},
           "workers": [1, 2], "conntrack": {"capacity": 4096},
           "ports": [{"device": "net_pcap0,rx_pcap=%s,rx_pcap=%s,tx_pcap=%s,tx_pcap=%s" % (ins[0], ins[1], outs[0], outs[1])}],
           "services_file": ctx.write_services("mw-svc.yaml", [svc]),
           "run": {"until_idle_ms": 300}, "stats": {"json_file": stats}}
    with open(ctx.path("mw.yaml"), "w") as f:
        json.dump(cfg, f)
    ctx.runs += 1
    proc = subprocess.run([ctx.binary, "--config", ctx.path("mw.yaml")], capture_output=True, text=True, timeout=120)
    check(proc.returncode == 0, "exit %d: %s" % (proc.returncode, proc.stderr))
    st = json.load(open(stats))
    ws = {w["lcore"]: w for w in st["workers"]}
    check(sorted(ws) == [1, 2], "workers on lcores 1 and 2: %s" % sorted(ws))
    for lcore, pk in ((1, q0), (2, q1)):
        w = ws[lcore]
        check(w["rx_packets"] == len(pk) and w["forwarded"] == len(pk), "lcore %d rx %d fwd %d, want %d" %
              (lcore, w["rx_packets"], w["forwarded"], len(pk)))
        check(w["conntrack"]["occupancy"] == len(pk), "lcore %d tracks its own %d flows: %s" %
              (lcore, len(pk), w["conntrack"]))
    out = [[bytes(p) for p in rdpcap(o)] for o in outs]
    mac = st["ports"][0]["mac"]
    for q, pk in ((0, q0), (1, q1)):
        check(len(out[q]) == len(pk), "queue %d: %d frames out, want %d" % (q, len(out[q]), len(pk)))
        for got, sent in zip(out[q], pk):
            check(Ether(got).src == mac and bytes(Ether(got).payload) == bytes(sent.payload), "DSR rewrite only")
    for i in range(40):  # same flow on both workers -> same backend
        same_bytes(out[0][i], out[1][i], "flow %d on worker 1 vs worker 2" % i)


# ---------------------------------------------------------------- exception path ---------
HOST4, HOST6 = "198.18.0.2", "2001:db8::2"
HOST_CONFIG = {"ports": [{"device": "file-mode-replaces-this",
                          "exception": {"addresses": [HOST4 + "/24", HOST6 + "/64"]}}]}


@case
def host_traffic_and_neighbor_discovery_punted(ctx):
    ssh = eth() / IP(src=CLIENT4, dst=HOST4) / TCP(dport=22, flags="S")
    ping6 = eth(True) / IPv6(src=CLIENT6, dst=HOST6) / ICMPv6EchoRequest()
    ns = Ether(src="02:00:00:00:00:aa", dst="33:33:ff:00:00:02") / IPv6(src="fe80::aa", dst="ff02::1:ff00:2") / \
        ICMPv6ND_NS(tgt=HOST6)
    arp = Ether(src="02:00:00:00:00:aa", dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=CLIENT4, pdst=HOST4)
    stray = eth() / IP(src=CLIENT4, dst="198.18.0.77") / TCP(dport=22)
    frames = [ssh, ping6, ns, arp, stray, tcp4()]
    r = ctx.run(three_backends(), frames, config=HOST_CONFIG)
    check(len(r.out) == 1, "only the VIP flow is balanced")
    check(r.punts("local_address") == 2 and r.punts("link_scope") == 1 and r.punts("arp") == 1,
          "punt reasons: %s" % r.stats["totals"]["punted"])
    check(r.drops("non_vip") == 1, "traffic for nobody here is dropped, not punted")
    check(len(r.punted) == 4, "4 frames to the kernel")
    for got, sent in zip(r.punted, [ssh, ping6, ns, arp]):
        same_bytes(got, sent, "punted unchanged")


@case
def l7_vip_punted_with_vip_counters(ctx):
    l7 = {"name": "https", "vip": "198.18.1.20", "port": 443, "protocol": "tcp", "forwarding": "l7"}
    frames = [tcp4(dst="198.18.1.20", dport=443, sport=41000 + i) for i in range(5)]
    r = ctx.run(three_backends() + [l7], frames + [tcp4()])
    check(len(r.punted) == 5 and r.punts("l7_vip") == 5, "L7 VIP traffic goes to HAProxy's kernel side")
    for got, sent in zip(r.punted, frames):
        same_bytes(got, sent)
    svc = [s for s in r.stats["services"] if s["name"] == "https"][0]
    check(svc["packets"] == 5 and svc["forwarding"] == "l7", "per-VIP counters for L7 VIPs: %s" % svc)
    check(r.stats["totals"]["flows"] == 1, "L7 flows are not tracked here")


@case
def kernel_frames_go_out_unchanged(ctx):
    arp_reply = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:aa") / ARP(op=2, psrc=HOST4, pdst=CLIENT4)
    syn_ack = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:aa") / IP(src=HOST4, dst=CLIENT4) / \
        TCP(sport=22, dport=40000, flags="SA")
    na = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:aa") / IPv6(src=HOST6, dst=CLIENT6) / ICMPv6ND_NA(tgt=HOST6)
    r = ctx.run(three_backends(), [tcp4()], config=HOST_CONFIG, kernel_in=[arp_reply, syn_ack, na])
    check(r.stats["exception_path"]["from_kernel_packets"] == 3, "kernel frames counted")
    kernel = [p for p in r.out if Ether(p).src == "02:00:00:00:00:01"]
    check(len(kernel) == 3, "the kernel's frames are on the wire")
    for got, sent in zip(kernel, [arp_reply, syn_ack, na]):
        same_bytes(got, sent, "kernel frame unchanged")


@case
def punt_rate_limited(ctx):
    cfg = dict(HOST_CONFIG, exception_path={"punt_rate_pps": 1, "punt_burst": 8})
    arps = [Ether(src="02:00:00:00:00:aa", dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="198.18.%d.%d" % (i // 200, 1 + i % 200),
                                                                         pdst=HOST4) for i in range(300)]
    r = ctx.run(three_backends(), arps + [tcp4(sport=40000 + i) for i in range(50)], config=cfg)
    check(len(r.punted) == 8, "a flood gets the burst through, %d punted" % len(r.punted))
    check(r.drops("punt_rate_limited") == 292, "the rest are counted: %d" % r.drops("punt_rate_limited"))
    check(r.punts("arp") == 300, "all were classified")
    check(len(r.out) == 50, "the fast path keeps balancing during the flood")


@case
def punt_without_exception_path_counted(ctx):
    r = ctx.run(three_backends(), [Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=VIP4), tcp4()], exception=False)
    check(r.drops("no_exception_path") == 1 and len(r.out) == 1, "drops %s" % r.stats["totals"]["drops"])

# ---------------------------------------------------------------- full NAT ----------------
POOL4, POOL6 = "198.18.0.200", "2001:db8::200"
CLIENT_MAC = "02:00:00:00:00:aa"


def nat_config(port_min=1024, port_max=65535):
    return {"forwarding": {"nat": {"pool": [POOL4, POOL6], "port_min": port_min, "port_max": port_max}},
            "workers": [1], "conntrack": {"capacity": 65536}}


def nat_expected(sent, port_mac, dst_mac, src, sport, dst, dport):
    """What the backend (or the client) must receive: addresses and ports replaced, every
    checksum computed from scratch by scapy (the dataplane updates them incrementally)."""
    p = Ether(bytes(sent))
    p.src, p.dst = port_mac, dst_mac
    ip = p.payload
    ip.src, ip.dst = src, dst
    l4 = ip.payload
    l4.sport, l4.dport = sport, dport
    if isinstance(ip, IP):
        del ip.chksum
    if not (isinstance(l4, UDP) and isinstance(ip, IP) and l4.chksum == 0):
        del l4.chksum
    return bytes(p)


def nat_round_trip(ctx, fwd, reply_of, vip, bk, proto="tcp", vport=80, bport=8080, extra=None):
    """fwd: the client's first packet; reply_of(pool, port): the backend's answer to it."""
    pool = POOL6 if ":" in vip else POOL4
    svc = service(vip, vport, proto, "nat", [backend(bk, port=bport)], **(extra or {}))
    reply = reply_of(pool, 1024)
    r = ctx.run([svc], [fwd, reply], config=nat_config())
    check(len(r.out) == 2, "want 2 frames (to the backend, back to the client), got %d; drops %s" %
          (len(r.out), {k: v for k, v in r.stats["totals"]["drops"].items() if v}))
    mac = r.port_mac()
    same_bytes(r.out[0], nat_expected(fwd, mac, backend_mac(1), pool, 1024, bk, bport), "client -> backend")
    same_bytes(r.out[1], nat_expected(reply, mac, CLIENT_MAC, vip, vport, Ether(bytes(fwd)).payload.src,
                                      Ether(bytes(fwd)).payload.payload.sport), "backend -> client")
    check(r.stats["nat"]["sessions_active"] == 1 and r.stats["nat"]["replies"] == 1, "NAT stats: %s" % r.stats["nat"])
    return r


@case
def nat_ipv4_tcp_both_directions(ctx):
    bk = "198.18.2.1"
    nat_round_trip(ctx, tcp4(sport=40001, payload=b"hello"),
                   lambda pool, port: Ether(src=backend_mac(1), dst=IN_MAC) / IP(src=bk, dst=pool, ttl=61) /
                   TCP(sport=8080, dport=port, flags="SA", seq=7, ack=2) / Raw(b"world"), VIP4, bk)


@case
def nat_ipv6_tcp_both_directions(ctx):
    bk = "2001:db8:2::1"
    nat_round_trip(ctx, tcp6(sport=40002),
                   lambda pool, port: Ether(src=backend_mac(1), dst=IN_MAC) / IPv6(src=bk, dst=pool) /
                   TCP(sport=8080, dport=port, flags="SA"), VIP6, bk)


@case
def nat_ipv4_udp_checksum_and_no_checksum(ctx):
    bk = "198.18.2.1"
    nat_round_trip(ctx, udp4(sport=40003, payload=b"query"),
                   lambda pool, port: Ether(src=backend_mac(1), dst=IN_MAC) / IP(src=bk, dst=pool) /
                   UDP(sport=5353, dport=port, chksum=0) / Raw(b"answer"), VIP4, bk, proto="udp", vport=53, bport=5353)


@case
def nat_ipv6_udp(ctx):
    bk = "2001:db8:2::1"
    nat_round_trip(ctx, udp6(sport=40004),
                   lambda pool, port: Ether(src=backend_mac(1), dst=IN_MAC) / IPv6(src=bk, dst=pool) /
                   UDP(sport=53, dport=port) / Raw(b"a"), VIP6, bk, proto="udp", vport=53, bport=53)


@case
def nat_mss_clamped_both_ways(ctx):
    bk = "198.18.2.1"
    # The NOP puts the MSS value on an odd offset (a checksum-update corner).
    syn = eth() / IP(src=CLIENT4, dst=VIP4) / TCP(sport=40005, dport=80, flags="S", options=[("NOP", None), ("MSS", 1460)])
    synack = Ether(src=backend_mac(1), dst=IN_MAC) / IP(src=bk, dst=POOL4) / \
        TCP(sport=80, dport=1024, flags="SA", options=[("MSS", 9000), ("NOP", None), ("NOP", None)])
    small = eth() / IP(src=CLIENT4, dst=VIP4) / TCP(sport=40006, dport=80, flags="S", options=[("MSS", 1200)])
    svc = service(VIP4, 80, "tcp", "nat", [backend(bk)], mss_clamp=1360)
    r = ctx.run([svc], [syn, synack, small], config=nat_config())
    check(len(r.out) == 3, "3 frames out: %d" % len(r.out))
    mac = r.port_mac()

    def clamped(pkt, mss):
        p = Ether(bytes(pkt))
        p[TCP].options = [(k, mss if k == "MSS" else v) for k, v in p[TCP].options]
        return p
    same_bytes(r.out[0], nat_expected(clamped(syn, 1360), mac, backend_mac(1), POOL4, 1024, bk, 80), "SYN clamped")
    same_bytes(r.out[1], nat_expected(clamped(synack, 1360), mac, CLIENT_MAC, VIP4, 80, CLIENT4, 40005),
               "SYN-ACK clamped")
    same_bytes(r.out[2], nat_expected(small, mac, backend_mac(1), POOL4, 1025, bk, 80), "a smaller MSS is kept")


@case
def nat_port_exhaustion_is_a_counted_drop(ctx):
    bk = "198.18.2.1"
    svc = service(VIP4, 80, "tcp", "nat", [backend(bk)])
    frames = [tcp4(sport=41000 + i) for i in range(5)] + [tcp4(sport=41000, flags="A")]
    r = ctx.run([svc], frames, config=nat_config(2000, 2002))
    check(len(r.out) == 4, "3 sessions fit, and the first flow keeps its own: %d out" % len(r.out))
    ports = [Ether(p)[TCP].sport for p in r.out]
    check(ports == [2000, 2001, 2002, 2000], "ports from the worker's partition: %s" % ports)
    check(r.drops("nat_ports_exhausted") == 2 and r.stats["nat"]["ports_exhausted"] == 2,
          "exhaustion counted: %s" % r.stats["nat"])


@case
def nat_replies_without_a_session(ctx):
    bk = "198.18.2.1"
    svc = service(VIP4, 80, "tcp", "nat", [backend(bk)])
    from_backend = lambda **kw: Ether(src=backend_mac(1), dst=IN_MAC) / IP(src=kw.get("src", bk), dst=POOL4) / \
        TCP(sport=kw.get("sport", 80), dport=kw.get("dport", 1024), flags="SA")
    ping = eth() / IP(src=CLIENT4, dst=POOL4) / ICMP()
    frames = [tcp4(sport=42000),
              from_backend(dport=1500),                     # no session on that port
              from_backend(sport=81),                       # right port, wrong backend port
              from_backend(src="198.18.2.9"),               # another host
              from_backend(dport=80),                       # below the NAT range: the kernel's
              ping]
    r = ctx.run([svc], frames, config=nat_config())
    check(len(r.out) == 1, "only the client's SYN is forwarded: %d" % len(r.out))
    check(r.drops("nat_no_session") == 3, "spoofed/stray replies dropped: %s" % r.stats["totals"]["drops"])
    check(len(r.punted) == 2 and r.punts("local_address") == 2, "the pool address's other traffic is the kernel's")
    same_bytes(r.punted[0], frames[4])
    same_bytes(r.punted[1], frames[5])


@case
def nat_config_rejected_without_a_pool_address_of_the_family(ctx):
    svc = service(VIP6, 80, "tcp", "nat", [backend("2001:db8:2::1")])
    cfg = {"forwarding": {"nat": {"pool": [POOL4]}}}
    r = ctx.run([svc], [tcp6()], config=cfg, expect_rc=2)
    check("forwarding: nat needs an IPv6 address in forwarding.nat.pool" in r.stderr, r.stderr)



if __name__ == "__main__":
    sys.exit(main(CASES))
