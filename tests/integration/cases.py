"""Integration cases: the real edgelb-dataplane on a veth (AF_PACKET or AF_XDP) in network
namespaces this test creates and removes, real kernel TCP/UDP clients and servers, the
exception path through a real TAP. One case per ctest (label integration)."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from support.appliance import (CLIENT4, CLIENT6, HOST4, HOST6, NAT_POOL4, NAT_POOL6, VIP4, VIP6,  # noqa: E402
                               Appliance, backend_addr)
from support.netns import sh, wait_for  # noqa: E402

CASES = {}
HERE = os.path.dirname(os.path.abspath(__file__))


def case(fn):
    CASES[fn.__name__] = fn
    return fn


class Failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def web(vip, backends, name, port=80, proto="tcp", **extra):
    s = {"name": name, "vip": vip, "port": port, "protocol": proto, "forwarding": "dsr",
         "backends": [{"address": backend_addr(i, ":" in vip)} for i in backends]}
    s.update(extra)
    return s


def udp_ask(a, vip, payload):
    code = ("import socket,sys;f=socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET;"
            "s=socket.socket(f,socket.SOCK_DGRAM);s.settimeout(3);s.sendto(sys.argv[2].encode(),(sys.argv[1],53));"
            "print(s.recvfrom(2048)[0].decode())")
    r = a.client_run("/usr/bin/python3", "-c", code, vip, payload)
    check(r.returncode == 0, "UDP to %s: %s" % (vip, r.stderr.strip()))
    return r.stdout.strip()


def balanced_tcp_udp(a):
    a.start([web(VIP4, (1, 2, 3), "web4"), web(VIP6, (1, 2, 3), "web6"),
             web(VIP4, (1, 2, 3), "dns4", port=53, proto="udp")])
    seen = {4: set(), 6: set()}
    for fam, vip in ((4, VIP4), (6, "[%s]" % VIP6)):
        for i in range(24):
            rc, out, err = a.curl("http://%s/" % vip)
            check(rc == 0, "request %d to %s failed: %s\n%s" % (i, vip, err, a.read_log()[-1500:]))
            name, peer = out.split()[:2]
            check(peer.endswith(CLIENT4 if fam == 4 else CLIENT6), "backend saw the client's own address: %s" % peer)
            seen[fam].add(name)
    check(len(seen[4]) >= 2 and len(seen[6]) >= 2, "connections spread over backends: %s" % seen)
    time.sleep(0.5)  # metrics are refreshed every 250 ms
    m = a.metrics()
    vip = [ln for ln in m.splitlines() if ln.startswith("edgelb_vip_new_flows_total") and 'service="web4"' in ln]
    check(vip and float(vip[0].split()[-1]) >= 24, "per-VIP new flows in /metrics: %s" % vip)
    for name in ("edgelb_backend_packets_total{", "edgelb_drops_total{reason=\"non_vip\"}",
                 "edgelb_punted_total{reason=\"arp\"}", "edgelb_worker_cycles_per_packet{lcore=\"1\"}",
                 "edgelb_table_version 1", "edgelb_rcu_publish_to_quiescent_seconds{which=\"max\"}"):
        check(name in m, "%s in /metrics" % name)
    replies = {udp_ask(a, VIP4, "q%d" % i).split()[0] for i in range(12)}
    check(len(replies) >= 1 and all(r.startswith("b") for r in replies), "UDP answered by backends: %s" % replies)
    st = a.stop()
    t = st["totals"]
    check(t["forwarded"] > 0 and t["drops"]["tx_full"] == 0, "counters: %s" % t)
    per = {s["name"]: s for s in st["services"]}
    check(per["web4"]["new_flows"] >= 24 and per["web6"]["new_flows"] >= 24, "per-VIP new flows")
    for s in st["services"]:
        for b in s["backends"]:
            check(b["next_hop"] != "unknown", "next hop learned from the kernel: %s" % b)


@case
def dsr_tcp_udp_ipv4_ipv6_af_packet(a):
    balanced_tcp_udp(a)


@case
def dsr_tcp_udp_ipv4_ipv6_af_xdp(a):
    a.pmd = "af_xdp"
    balanced_tcp_udp(a)


@case
def exception_path_arp_nd_ping(a):
    a.start([web(VIP4, (1, 2), "web4")])
    for target in (HOST4, HOST6, VIP4):
        r = a.client_run("ping", "-c", "3", "-i", "0.2", "-W", "2", target)
        check(r.returncode == 0, "ping %s through the exception path: %s%s" % (target, r.stdout, r.stderr))
    neigh = a.client_run("ip", "neigh", "show", HOST4).stdout
    mac = sh("cat", "/sys/class/net/dp0/address", ns=a.app, capture=True).strip()
    check(mac in neigh, "client learned the appliance's MAC by ARP: %r vs %s" % (neigh, mac))
    neigh6 = a.client_run("ip", "-6", "neigh", "show", HOST6).stdout
    check(mac in neigh6, "client learned it by ND: %r" % neigh6)
    # TCP to the host itself (not a VIP): the kernel's own socket answers through the TAP.
    srv = a.net.start(a.app, "/usr/bin/python3", "-c",
                      "import socket;s=socket.create_server(('0.0.0.0',2222));c,_=s.accept();c.sendall(b'host-ok');c.close()")
    wait_for(lambda: ":2222" in sh("ss", "-ltn", ns=a.app, capture=True), 10, "host listener")
    r = a.client_run("/usr/bin/python3", "-c",
                     "import socket;print(socket.create_connection(('%s',2222),timeout=5).recv(100).decode())" % HOST4)
    check(r.stdout.strip() == "host-ok", "TCP to the host address: %s %s" % (r.stdout, r.stderr))
    srv.wait(5)
    st = a.stop()
    p = st["totals"]["punted"]
    check(p["arp"] > 0 and p["link_scope"] > 0 and p["local_address"] >= 9, "punt counters: %s" % p)
    check(st["exception_path"]["from_kernel_packets"] >= 9, "kernel replies went out: %s" % st["exception_path"])


def start_load_and_slow_request(a):
    """A 9 s, 4-client HTTP load on VIP4, and one long response (8 s) that lands on b1 or b2
    while those are drained and removed: it must finish on its backend (with
    removed_backend_grace_ms 0 it would move to b3 and be reset)."""
    load = a.net.start(a.client, "/usr/bin/python3", os.path.join(HERE, "..", "support", "http_load.py"), VIP4, "9", "4",
                       stdout=subprocess.PIPE)
    slow = a.net.start(a.client, "curl", "-sS", "--max-time", "20", "-D", "-", "http://%s/slow/80" % VIP4,
                       stdout=subprocess.PIPE)
    return load, slow


def check_load_survived(load, slow):
    out = slow.communicate(timeout=30)[0].decode()
    res = json.loads(load.communicate(timeout=30)[0].decode())
    check(slow.returncode == 0 and out.count(".") >= 80, "the long request finished: rc %s %r" % (slow.returncode, out[-200:]))
    check("X-Backend: b3" not in out, "the long request stayed on b1/b2: %r" % out[:200])
    check(res["failed"] == 0, "zero failed requests under changes: %s" % res)
    check(res["ok"] > 50 and res["by_backend"].get("b3", 0) > 0, "load ran and reached the added backend: %s" % res)


@case
def backend_changes_under_load(a):
    a.start([web(VIP4, (1, 2), "web4")])
    load, slow = start_load_and_slow_request(a)
    time.sleep(1)
    a.reload([web(VIP4, (1, 2, 3), "web4")], 2)          # add b3
    time.sleep(1.5)
    a.reload([web(VIP4, (1, 2, 3), "web4", )], 3)
    svc = web(VIP4, (1, 2, 3), "web4")
    svc["backends"][0]["state"] = "drain"                # drain b1
    a.reload([svc], 4)
    time.sleep(1.5)
    a.reload([web(VIP4, (2, 3), "web4")], 5)             # remove b1
    time.sleep(1.5)
    a.reload([web(VIP4, (3,), "web4")], 6)               # remove b2
    check_load_survived(load, slow)
    st = a.stop()
    check(st["table_version"] == 6 and st["rcu"]["publishes"] >= 6, "all changes published: %s" % st["rcu"])


@case
def node_drain_keeps_established_connections(a):
    """edgelb-dpctl drain: a long response that started before goes on to its end, a new
    connection to the VIP gets no answer (its SYNs are dropped as node_draining), drain --wait
    sees the flows fall to 0; a restarted dataplane (an upgrade) comes back drained; drain --off
    takes new connections again."""
    services = [web(VIP4, (1, 2, 3), "web4")]
    extra = {"conntrack": {"capacity": 65536, "tcp_closing_timeout_ms": 500}}
    a.start(services, control=True, extra_config=extra)
    rc, out, err = a.curl("http://%s/" % VIP4)
    check(rc == 0, "serving before the drain: %s" % err)
    slow = a.net.start(a.client, "curl", "-sS", "--max-time", "20", "-D", "-", "http://%s/slow/60" % VIP4,
                       stdout=subprocess.PIPE)
    time.sleep(1)
    r = a.ctl("drain")
    check(r.returncode == 0 and r.stdout.startswith("draining (new flows are dropped as node_draining)"),
          "drain on: %s %s" % (r.stdout, r.stderr))
    r = a.ctl("version")
    check(" DRAINING " in r.stdout, "version says it drains: %s" % r.stdout)
    rc, out, err = a.curl("http://%s/" % VIP4, timeout=2)
    check(rc != 0, "a new connection is not taken while draining: rc %s %r" % (rc, out))
    out = slow.communicate(timeout=30)[0].decode()
    check(slow.returncode == 0 and out.count(".") >= 60, "the long response went on to its end: rc %s %r" %
          (slow.returncode, out[-200:]))
    r = a.ctl("drain", "--wait", "--timeout", "15", timeout=30)
    check(r.returncode == 0 and "drained: 0 flows tracked" in r.stdout, "flows fell to 0: %s %s" % (r.stdout, r.stderr))
    refused = a.stop()["totals"]["drops"]["node_draining"]
    check(refused >= 1, "the refused SYNs are counted: %s" % refused)
    a.start(services, control=True, extra_config=extra)  # the upgraded dataplane
    check("starting drained" in a.read_log(), "the restart remembers the drain: %s" % a.read_log()[-500:])
    check(" DRAINING " in a.ctl("version").stdout, "drained after the restart")
    rc, out, err = a.curl("http://%s/" % VIP4, timeout=2)
    check(rc != 0, "no new connection before drain --off: rc %s %r" % (rc, out))
    r = a.ctl("drain", "--off")
    check(r.returncode == 0 and r.stdout.startswith("not draining"), "drain off: %s" % r.stdout)
    rc, out, err = a.curl("http://%s/" % VIP4)
    check(rc == 0, "new connections again after drain --off: %s" % err)
    check(not os.path.exists(os.path.join(a.workdir, "draining")), "drain --off forgets the drain")
    st = a.stop()
    check(st["totals"]["drops"]["node_draining"] >= 1 and not st["draining"], "counted: %s" % st["totals"]["drops"])


NAT_VIP4, NAT_VIP6 = "198.18.0.101", "2001:db8::101"


@case
def nat_tcp_udp_ipv4_ipv6_two_workers(a):
    """Full NAT over two workers on a two-queue AF_PACKET port: the kernel's fanout spreads
    replies over both queues, so about half of them arrive at the worker that does not own
    their NAT port and must be handed over. Backends see the pool address, not the client."""
    a.queues = 2
    nat = [dict(web(NAT_VIP4, (1, 2, 3), "nat4"), forwarding="nat", mss_clamp=1400),
           dict(web(NAT_VIP6, (1, 2, 3), "nat6"), forwarding="nat"),
           dict(web(NAT_VIP4, (1, 2, 3), "natdns", port=53, proto="udp"), forwarding="nat")]
    a.start(nat, control=True, extra_config={
        "workers": [1, 2], "eal": {"memory_mb": 256, "file_prefix": "int-%s" % a.net.tag, "lcores": "0@0,1@0,2@1"},
        "forwarding": {"nat": {"pool": [NAT_POOL4, NAT_POOL6]}}})
    seen = {4: set(), 6: set()}
    for fam, vip, pool in ((4, NAT_VIP4, NAT_POOL4), (6, "[%s]" % NAT_VIP6, NAT_POOL6)):
        for i in range(30):
            rc, out, err = a.curl("http://%s/" % vip)
            check(rc == 0, "NAT request %d to %s failed: %s\n%s" % (i, vip, err, a.read_log()[-1500:]))
            name, peer = out.split()[:2]
            check(peer.endswith(pool), "the backend sees the NAT pool address, got %s" % peer)
            seen[fam].add(name)
    check(len(seen[4]) >= 2 and len(seen[6]) >= 2, "NAT connections spread over backends: %s" % seen)
    replies = [udp_ask(a, NAT_VIP4, "n%d" % i) for i in range(10)]
    check(all(r.split()[0].startswith("b") for r in replies), "UDP through NAT: %s" % replies)
    rc, out, err = a.curl("http://%s/slow/30" % NAT_VIP4, timeout=10)  # a flow that is listed while it runs
    f = a.ctl("show", "flows", "--vip", NAT_VIP4, "--protocol", "tcp")
    check(f.returncode == 0, "show flows: %s" % f.stderr)
    st = a.stop()
    n = st["nat"]
    check(n["replies"] >= 60 and n["handoffs_in"] > 0 and n["handoffs_in"] == n["handoffs_out"],
          "replies came back through NAT, some via the other worker: %s" % n)
    check(st["totals"]["drops"]["nat_no_session"] == 0 and st["totals"]["drops"]["handoff_full"] == 0,
          "no NAT drops: %s" % {k: v for k, v in st["totals"]["drops"].items() if v})
    check(NAT_POOL4 in f.stdout, "flow listing shows the NAT source: %s" % f.stdout[:600])


L7_VIP = "198.18.0.102"


@case
def l7_vip_through_haproxy(a):
    """An L7 VIP: the dataplane punts its traffic to the kernel, where a real HAProxy listens on
    the VIP (put on the TAP by the dataplane); HAProxy's own connections to the backends leave
    through the TAP and the dataplane, and their replies come back the same way."""
    a.start([web(VIP4, (1, 2), "web4"), {"name": "l7", "vip": L7_VIP, "port": 80, "protocol": "tcp",
                                          "forwarding": "l7"}])
    wait_for(lambda: L7_VIP in sh("ip", "-o", "addr", "show", "dev", "elb0", ns=a.app, capture=True), 10,
             "the L7 VIP on the kernel side")
    cfg = os.path.join(a.workdir, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write("global\n  maxconn 200\ndefaults\n  mode http\n  timeout connect 3s\n  timeout client 10s\n"
                "  timeout server 10s\nfrontend l7\n  bind %s:80\n  default_backend pool\n"
                "  http-response set-header X-Via edgelb-haproxy\nbackend pool\n  balance roundrobin\n%s" %
                (L7_VIP, "".join("  server b%d %s:80\n" % (i, backend_addr(i)) for i in (1, 2, 3))))
    haproxy = a.net.start(a.app, "/usr/sbin/haproxy", "-db", "-f", cfg, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    wait_for(lambda: haproxy.poll() is not None or "%s:80" % L7_VIP in sh("ss", "-ltn", ns=a.app, capture=True),
             10, "HAProxy listening on the VIP")
    check(haproxy.poll() is None, "HAProxy started")
    names = []
    for i in range(12):
        r = a.client_run("curl", "-sS", "-i", "--max-time", "5", "http://%s/" % L7_VIP)
        check(r.returncode == 0, "request %d through HAProxy: %s\n%s" % (i, r.stderr, a.read_log()[-1500:]))
        head, body = r.stdout.replace("\r\n", "\n").split("\n\n", 1)
        check("x-via: edgelb-haproxy" in head.lower(), "answered through HAProxy: %r" % r.stdout[:300])
        name, peer = body.split()[:2]
        check(peer.endswith(HOST4), "HAProxy's upstream connection comes from the host address: %s" % peer)
        names.append(name)
    check(set(names) == {"b1", "b2", "b3"}, "HAProxy round-robins over all backends: %s" % names)
    rc, out, err = a.curl("http://%s/" % VIP4)  # the L4 fast path serves alongside
    check(rc == 0 and out.split()[1].endswith(CLIENT4), "L4 VIP still DSR: %s %s" % (out, err))
    a.net.stop(haproxy)
    st = a.stop()
    p = st["totals"]["punted"]
    check(p["l7_vip"] >= 12 * 3 and p["local_address"] >= 12 * 3, "client->VIP and backend->host punts: %s" % p)
    check(st["exception_path"]["from_kernel_packets"] >= 12 * 6, "HAProxy's packets went out through the dataplane: %s" %
          st["exception_path"])
    l7 = [s for s in st["services"] if s["name"] == "l7"][0]
    check(l7["packets"] == p["l7_vip"], "per-VIP counters of the L7 VIP: %s" % l7)


def write_yaml(a, name, doc):
    p = os.path.join(a.workdir, name)
    with open(p, "w") as f:
        json.dump(doc, f)  # JSON is YAML
    return p


@case
def control_service_changes_under_load(a):
    a.start([web(VIP4, (1, 2), "web4")], control=True)
    r = a.ctl("version")
    check(r.returncode == 0 and "table version 1" in r.stdout and "serving" in r.stdout, "version: %s %s" % (r.stdout, r.stderr))
    load, slow = start_load_and_slow_request(a)
    time.sleep(1)
    steps = [("upsert", write_yaml(a, "add-b3.yaml", web(VIP4, (1, 2, 3), "web4"))),
             ("set-backend", "web4", backend_addr(1), backend_addr(2), "--state", "drain"),  # one table
             ("set-backend", "web4", backend_addr(3), "--weight", "2"),
             ("upsert", write_yaml(a, "rm-b1.yaml", web(VIP4, (2, 3), "web4"))),
             ("upsert", write_yaml(a, "rm-b2.yaml", web(VIP4, (3,), "web4")))]
    flows_seen = ""
    for i, step in enumerate(steps):
        r = a.ctl(*step)
        check(r.returncode == 0 and "live version %d" % (i + 2) in r.stdout, "%s: %s %s" % (step, r.stdout, r.stderr))
        if i == 1:  # mid-run: the tracked flows of the VIP, with their backends
            f = a.ctl("--json", "show", "flows", "--vip", VIP4, "--protocol", "tcp", "--limit", "50")
            check(f.returncode == 0, "show flows: %s" % f.stderr)
            flows = json.loads(f.stdout).get("flows", [])
            check(flows and all(x["vip"] == VIP4 and x["backend"].startswith("198.18.0.1") for x in flows),
                  "flows listed with backends: %s" % flows[:3])
            flows_seen = f.stdout
        time.sleep(1.3)
    # Bad input is rejected with the field named; nothing changes.
    r = a.ctl("set-backend", "web4", backend_addr(3), "--weight", "70000")
    check(r.returncode == 3 and "weight: must be 0-65535" in r.stderr, "bad weight: %d %s" % (r.returncode, r.stderr))
    bad = web(VIP4, (3,), "web4")
    bad["backends"][0]["address"] = "2001:db8::13"
    r = a.ctl("apply", write_yaml(a, "bad.yaml", {"version": 50, "services": [bad]}))
    check(r.returncode == 3 and "state.services[0].backends[0].address" in r.stderr, "bad apply: %s" % r.stderr)
    r = a.ctl("set-backend", "web4", backend_addr(3), "198.18.0.99", "--state", "down")
    check(r.returncode == 5 and "changes[1].set_backend.backend" in r.stderr,
          "several backends, one unknown: %d %s" % (r.returncode, r.stderr))
    r = a.ctl("delete", "web4", "--expected-version", "3")
    check(r.returncode == 4 and "live version is 6" in r.stderr, "stale expected version: %s" % r.stderr)
    check_load_survived(load, slow)
    rc, body, err = a.curl("http://%s/" % VIP4)
    check(rc == 0 and body.startswith("b3"), "still serving from b3 after the rejected changes: %s %s" % (body, err))
    r = a.ctl("--json", "show", "stats")
    st = json.loads(r.stdout)
    check(st["table_version"] == 6, "stats through the control service: version %s" % st.get("table_version"))
    web4 = [s for s in st["services"] if s["name"] == "web4"][0]
    check(web4["new_flows"] > 50 and "active_flows" in web4, "per-VIP stats: %s" % {k: web4[k] for k in web4 if k != "backends"})
    r = a.ctl("show", "services")
    check(r.returncode == 0 and backend_addr(3) + ":80 1/up" in r.stdout, "show services: %s" % r.stdout)
    st = a.stop()
    check(st["table_version"] == 6 and st["rcu"]["publishes"] >= 6, "all changes published: %s" % st["rcu"])
    check(flows_seen, "flows were listed")


@case
def invalid_reload_keeps_serving(a):
    a.start([web(VIP4, (1, 2), "web4")])
    bad = web(VIP4, (1, 2), "web4")
    bad["backends"][0]["weight"] = 70000
    a.reload([bad], 2)
    time.sleep(0.5)
    for _ in range(5):
        rc, out, err = a.curl("http://%s/" % VIP4)
        check(rc == 0, "still serving after a rejected reload: %s" % err)
    log = a.read_log()
    check("services[0].backends[0].weight" in log, "the rejection names the field: %s" % log[-800:])
    st = a.stop()
    check(st["table_version"] == 1, "version 1 still live")


def top_screen(tmux, until=None, timeout=10):
    """The tmux pane's text; with until(screen), the first one it holds for (or raises)."""
    deadline = time.time() + timeout
    while True:
        screen = subprocess.run(tmux + ["capture-pane", "-p", "-t", "top"], capture_output=True,
                                text=True).stdout
        if until is None or until(screen):
            return screen
        if time.time() > deadline:
            raise Failure("top's screen never showed what was awaited:\n" + screen)
        time.sleep(0.1)


def top_rows(screen, service):
    """The columns of a service's line on top's screen, and of its backends' lines under it."""
    lines = screen.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(service + " "):
            backends = []
            for b in lines[i + 1:]:
                if not b.startswith("  ") or not b.strip():
                    break
                backends.append(b.split())
            return line.split(), backends
    raise Failure("no line for %s on the screen:\n%s" % (service, screen))


@case
def dpctl_top_in_tmux(a):
    """edgelb-dpctl top driven as an operator would, in a real terminal (tmux: send-keys,
    capture-pane), against the dataplane under HTTP load; its numbers are checked against
    edgelb-dpctl show stats, and its keys (sort, filter, quit) against what it draws."""
    a.start([web(VIP4, (1, 2), "web4"), web(VIP4, (1, 2), "dns4", port=53, proto="udp")], control=True)
    dpctl = os.path.join(os.path.dirname(a.binary), "edgelb-dpctl")
    tmux = ["tmux", "-L", "edgelb-top-%s" % a.net.tag, "-f", "/dev/null"]
    rc_file = os.path.join(a.workdir, "top.rc")
    load = a.net.start(a.client, "/usr/bin/python3", os.path.join(HERE, "..", "support", "http_load.py"), VIP4, "5",
                       "4", stdout=subprocess.PIPE)
    keys = lambda *k: subprocess.run(tmux + ["send-keys", "-t", "top"] + list(k), check=True)  # noqa: E731
    try:
        subprocess.run(tmux + ["new-session", "-d", "-s", "top", "-x", "150", "-y", "45",
                               "%s --socket %s top --interval 0.5; echo $? > %s" % (dpctl, a.control_socket, rc_file)],
                       check=True)
        # the first frame at once (totals, "sampling"), the rates one interval later; the load's
        # first packets wait for the backends' next hops, so a first interval may still be empty
        def loaded(s):
            rows = [l.split() for l in s.splitlines() if l.startswith("web4 ")]
            return "sampling" not in s and rows and float(rows[0][4].rstrip("KM")) > 0
        screen = top_screen(tmux, loaded)
        check("every 0.5s" in screen and "table v1 " in screen, "top's header:\n" + screen)
        row, backends = top_rows(screen, "web4")
        check(row[1:4] == [VIP4 + ":80", "tcp", "dsr"], "web4's row: %s" % row)
        check(float(row[4].rstrip("KM")) > 0, "web4 has packets/s under load: %s" % row)
        check(any(line.split()[:1] == ["1"] for line in screen.splitlines()), "worker lcore 1's row:\n" + screen)
        shares = [float(b[3].rstrip("%")) for b in backends]
        check([b[0] for b in backends] == [backend_addr(1) + ":80", backend_addr(2) + ":80"] and
              abs(sum(shares) - 100) < 0.5 and min(shares) > 10, "backend shares add up: %s" % backends)
        keys("o")  # by name: dns4 before web4
        screen = top_screen(tmux, lambda s: "sort name" in s)
        names = [line.split()[0] for line in screen.splitlines() if line.startswith(("dns4 ", "web4 "))]
        check(names == ["dns4", "web4"], "sorted by name: %s\n%s" % (names, screen))
        keys("/", "w", "e", "b", "Enter")
        screen = top_screen(tmux, lambda s: "filter web" in s and "dns4 " not in s)
        check("web4 " in screen, "filtered to web:\n" + screen)
        keys("/", "Escape")
        top_screen(tmux, lambda s: "filter web" not in s and "dns4 " in s)
        res = json.loads(load.communicate(timeout=30)[0].decode())
        check(res["ok"] > 50 and res["failed"] == 0, "the load ran: %s" % res)
        time.sleep(1.2)  # quiet now: two more frames
        screen = top_screen(tmux)
        st = json.loads(a.ctl("--json", "show", "stats").stdout)
        web4 = [s for s in st["services"] if s["name"] == "web4"][0]
        row, backends = top_rows(screen, "web4")
        check(int(row[-1]) == web4["packets"] > 0, "top's web4 packets = show stats': %s vs %s" % (row, web4["packets"]))
        check(row[4] == "0", "no packets/s once the load stopped: %s" % row)
        check([(b[0], int(b[-1])) for b in backends] == [("%s:80" % b["address"], b["packets"]) for b in web4["backends"]],
              "backend packets: %s vs %s" % (backends, web4["backends"]))
        once = a.ctl("top", "--once", "--json", "--interval", "0.2")
        doc = json.loads(once.stdout)
        check(once.returncode == 0 and doc["table_version"] == st["table_version"] and
              [v["packets"] for v in doc["vips"] if v["name"] == "web4"] == [web4["packets"]],
              "top --once --json: %s" % once.stdout[:400])
        keys("q")
        wait_for(lambda: os.path.exists(rc_file) and open(rc_file).read().strip() == "0", 5, "top quits on q with 0")
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)
        if load.poll() is None:
            a.net.stop(load)
    st = a.stop()
    check(st["totals"]["drops"]["no_backend"] == 0, "nothing dropped: %s" % st["totals"]["drops"])


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--case")
    ap.add_argument("--binary")
    ap.add_argument("--workdir", default="/tmp/edgelb-integration")
    args = ap.parse_args()
    if args.list:
        print(";".join(sorted(CASES)))
        return 0
    tag = "ei%d" % (os.getpid() % 100000)
    a = Appliance(args.binary, os.path.join(args.workdir, args.case), tag)
    try:
        CASES[args.case](a)
    except (Failure, AssertionError) as e:
        print("FAIL %s: %s" % (args.case, e))
        try:
            print(a.read_log()[-3000:])
        except Exception:  # noqa: BLE001
            pass
        return 1
    finally:
        a.close()
    print("PASS %s" % args.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
