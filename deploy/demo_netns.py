"""Real TCP through the dataplane: a client namespace, the appliance (edgelb-dataplane on a veth
with net_af_packet and a TAP exception path) and three backend namespaces running HTTP servers,
on one bridge. The client pings the appliance (ARP + ICMP through the kernel), then runs a
bounded HTTP load against an IPv4 and an IPv6 DSR VIP; prints the per-backend spread as the
servers saw it and the dataplane's counters. Everything it creates is removed at exit."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from support.appliance import HOST4, VIP4, VIP6, Appliance, backend_addr  # noqa: E402

binary, seconds = sys.argv[1], min(int(sys.argv[2]), 60)
a = Appliance(binary, "/tmp/edgelb-demo-netns", "edemo%d" % (os.getpid() % 10000))
try:
    svcs = [{"name": "web-v4", "vip": VIP4, "port": 80, "protocol": "tcp", "forwarding": "dsr",
             "backends": [{"address": backend_addr(i), "weight": 2 if i == 3 else 1} for i in (1, 2, 3)]},
            {"name": "web-v6", "vip": VIP6, "port": 80, "protocol": "tcp", "forwarding": "dsr",
             "backends": [{"address": backend_addr(i, True)} for i in (1, 2, 3)]}]
    a.start(svcs)
    ping = a.client_run("ping", "-c", "2", "-W", "2", HOST4)
    print("== client -> appliance host address %s (ARP + ICMP via the TAP exception path): %s" %
          (HOST4, ping.stdout.strip().splitlines()[-2] if ping.returncode == 0 else "FAILED"))
    load = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "support", "http_load.py")
    r = a.client_run("/usr/bin/python3", load, "%s,[%s]" % (VIP4, VIP6), str(seconds), "4", timeout=seconds + 30)
    res = json.loads(r.stdout)
    total = res["ok"] or 1
    print("== HTTP over real TCP, %ds, 4 clients, new connection per request, VIPs %s and %s" % (seconds, VIP4, VIP6))
    print("   ok %d  failed %d" % (res["ok"], res["failed"]))
    for be, n in sorted(res["by_backend"].items()):
        print("   backend %-4s %6d requests  %5.1f%%" % (be, n, 100.0 * n / total))
    st = a.stop()
    for s in st["services"]:
        print("== %s %s:%d %s: %d packets, %d new flows" % (s["name"], s["vip"], s["port"], s["forwarding"],
                                                           s["packets"], s["new_flows"]))
        for b in s["backends"]:
            print("   %-14s next hop %s  %d packets" % (b["address"], b["next_hop"], b["packets"]))
    t = st["totals"]
    print("== dataplane: rx %d  forwarded %d  punted %d %s  from kernel %d  drops %s" % (
        t["rx_packets"], t["forwarded"], t["punted_total"], {k: v for k, v in t["punted"].items() if v},
        st["exception_path"]["from_kernel_packets"], {k: v for k, v in t["drops"].items() if v} or "none"))
    sys.exit(0 if res["failed"] == 0 and res["ok"] > 0 else 1)
finally:
    a.close()
