#!/usr/bin/env python3
"""The quickstart: the whole edgelb appliance on this machine, in namespaces it creates
(tests/support/whole_appliance.py draws the picture), then traffic through both of its paths
while Mesos changes under it, and a short report.

  1. edgelb-dataplane (net_af_xdp, else net_af_packet) with its TAP; ZooKeeper, edgelb-mesos-sim,
     edgelb-apiserver with the mesos-listener, edgelb-agent (which runs HAProxy and owns the
     dataplane's table).
  2. Two Marathon apps: /web (one task per backend host, port 80) and /api (tasks on other ports).
  3. The pool deploy/quickstart/pool.json, created with edgelbctl: an HTTP frontend on :80 with
     host/path rules (HAProxy, an l7 VIP at the host address) and a fastPath VIP 198.18.0.100:80
     in DSR over /web's tasks, health-checked over HTTP.
  4. Load from the client to both while /web scales 2 -> 3, a task drains, and /web scales back.
usage: quickstart.py BUILD_DIR [--seconds N] [--keep]"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from support.appliance import HOST4  # noqa: E402
from support.edgelb_stack import FW  # noqa: E402
from support.haproxy_cli import cli, master_reloads  # noqa: E402
from support.waiting import wait  # noqa: E402
from support.whole_appliance import FAST_VIP, WholeAppliance  # noqa: E402

POOL = os.path.join(ROOT, "deploy/quickstart/pool.json")
step_name = "setting up"


def step(name):
    global step_name
    step_name = name
    print(f"== {name}", flush=True)


def spread(by_backend):
    total = sum(by_backend.values()) or 1
    return "  ".join(f"{b} {100.0 * n / total:.0f}%" for b, n in sorted(by_backend.items()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", type=int, default=6, help="load per phase (2..30)")
    ap.add_argument("--keep", action="store_true", help="leave it running until Ctrl-C")
    args = ap.parse_args()
    secs = max(2, min(args.seconds, 30))
    work = tempfile.mkdtemp(prefix="edgelb-quickstart-")
    ok = False
    os.chmod(work, 0o755)
    w = WholeAppliance(args.build, work, "eqs%d" % (os.getpid() % 1000))
    st = w.st
    try:
        step("edgelb-dataplane on a veth, with its TAP exception path")
        pmd = w.start_dataplane()
        print(f"   PMD net_{pmd}; host address {HOST4} on the TAP; control socket {w.a.control_socket}")
        step("control plane: ZooKeeper, edgelb-mesos-sim, edgelb-apiserver (mesos-listener, mutual TLS)")
        st.start_control_plane()
        step("edgelb-agent (runs HAProxy, owns the dataplane's table)")
        w.start_agent()
        step("Marathon apps: /web on b1, b2 (port 80); /api on b3, b4")
        web = {h: st.task("/web", h, serving=(80, h)) for h in ("b1", "b2")}
        for h in ("b3", "b4"):
            st.task("/api", h)
        step("edgelbctl create deploy/quickstart/pool.json")
        st.ctl("create", POOL)
        wait(lambda: st.get("/")[0] == 200, "HAProxy serving the pool through the dataplane", timeout=60)
        w.wait_backends("quickstart/web-dsr", [w.hosts["b1"], w.hosts["b2"]], timeout=30)
        for path, host in (("/", "test.example.com"), ("/api/users", "test.example.com"), ("/", "api.example.com")):
            s, backend, _ = st.get(path, host)
            print(f"   L7  GET http://{HOST4}{path} Host: {host:<17} -> {s} from {backend}")
        out = subprocess.run(st.in_ns("cl", "curl", "-s", "-m", "3", "-D", "-", "-o", "/dev/null",
                                      f"http://{FAST_VIP}/"), capture_output=True, text=True)
        be = [ln.split(":", 1)[1].strip() for ln in out.stdout.splitlines() if ln.lower().startswith("x-backend")]
        print(f"   L4  GET http://{FAST_VIP}/ (DSR: the reply comes straight from the backend) -> {be}")

        run_dir = f"{work}/node-1/pools/quickstart/run"
        reloads0 = master_reloads(f"{run_dir}/master.sock")
        phases = []

        def phase(name, change):
            step(f"{secs}s of load (L7 and L4, 200 requests/s each): {name}")
            l7 = w.load(secs, [HOST4])
            l4 = w.load(secs, [FAST_VIP])
            time.sleep(secs / 3)
            lat = change() if change else None
            r7, r4 = w.load_result(l7), w.load_result(l4)
            phases.append((name, r7, r4, lat))
            print(f"   L7 {r7['ok']} ok, {r7['failed']} failed: {spread(r7['by_backend'])}")
            print(f"   L4 {r4['ok']} ok, {r4['failed']} failed: {spread(r4['by_backend'])}")
            if lat:
                print(f"   Mesos event -> live: dataplane {lat[0]:.0f} ms" +
                      (f", HAProxy {lat[1]:.0f} ms" if lat[1] is not None else ""))

        phase("steady", None)
        vip = "quickstart/web-dsr"
        phase("scale /web 2 -> 3 (a task on b3)",
              lambda: w.event_to_live(lambda post: web.__setitem__("b3", st.task("/web", "b3", serving=(80, "b3"),
                                                                                 post=post)),
                                      vip, w.hosts["b3"], "up", "web", True))
        phase("drain b1's task (TASK_KILLING: no new flows or requests; open ones finish)",
              lambda: w.event_to_live(lambda post: post({"op": "update_task", "framework_id": FW,
                                                         "task_id": web["b1"], "state": "TASK_KILLING"}),
                                      vip, w.hosts["b1"], "drain", "web", False))
        phase("b1's task killed: /web back to 2 tasks",
              lambda: w.event_to_live(lambda post: st.kill_task(web.pop("b1"), post=post), vip, w.hosts["b1"],
                                      "absent"))

        step("report")
        reg = w.registration("quickstart")
        total = sum(p[1]["ok"] + p[2]["ok"] for p in phases)
        failed = sum(p[1]["failed"] + p[2]["failed"] for p in phases)
        print(f"   requests: {total} ok, {failed} failed (L7 through HAProxy, L4 through the DSR fast path)")
        print(f"   HAProxy reloads during the changes: {master_reloads(run_dir + '/master.sock') - reloads0}; "
              f"runtime API commands: {reg['runtimeCommands']}")
        lats = [p[3] for p in phases if p[3]]
        print("   Mesos event -> live (ms, from the simulator POST): dataplane " +
              ", ".join(f"{x[0]:.0f}" for x in lats) + "; HAProxy " +
              ", ".join(f"{x[1]:.0f}" for x in lats if x[1] is not None))
        print(f"   agent: dataplane table version {reg['dataplane']['tableVersion']}, in sync "
              f"{reg['dataplane']['inSync']}, errors {reg['dataplane']['errors'] or 'none'}")
        stats = w.dataplane_stats()
        t = stats["totals"]
        print(f"   dataplane: rx {t['rx_packets']}  forwarded {t['forwarded']}  punted {t['punted_total']} "
              f"{ {k: v for k, v in t['punted'].items() if v} }  drops {t['drops_total']} "
              f"{ {k: v for k, v in t['drops'].items() if v} or '' }")
        for s in stats["services"]:
            bes = ", ".join(f"{b['address']} {b['state']} {b['packets']} pkts" for b in s["backends"])
            print(f"     {s['name']:<28} {s['forwarding']:<4} {s['packets']:>8} pkts  {bes}")
        csv = cli(f"{run_dir}/stats.sock", "show stat").splitlines()
        hdr = csv[0].lstrip("# ").split(",") if csv else []
        print("   HAProxy (show stat): sessions per server (servers are named by their Mesos task)")
        for line in csv[1:]:
            f = dict(zip(hdr, line.split(",")))
            if f.get("svname") not in ("FRONTEND", "BACKEND", None) and int(f.get("stot") or 0):
                print(f"     {f['pxname']:<8} {f['svname']:<44} {f.get('addr', ''):<20} {f['stot']:>6} sessions  "
                      f"{f['status']}")
        access_log = os.path.join(os.path.dirname(run_dir), "access.log")
        if os.path.exists(access_log):
            lines = open(access_log).read().splitlines()
            print(f"   HAProxy access log ({access_log}): {len(lines)} lines; the last:\n     {lines[-1] if lines else ''}")
        if args.keep:
            print(f"""
== running; poke at it (as root), then Ctrl-C here to remove everything:
   ip netns exec {w.a.client} curl -s http://{HOST4}/ http://{HOST4}/api/x http://{FAST_VIP}/
   {st.bins['edgelbctl']} --certs-dir {work}/certs --server 127.0.0.1:{st.api_port} list   (inside: ip netns exec {w.a.app})
     ... status quickstart | endpoints quickstart | endpoints quickstart --backends | lb-config quickstart
   {args.build}/dataplane/edgelb-dpctl --socket {w.a.control_socket} show services | show stats | show flows
   logs: {work}/*.log""", flush=True)
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        if failed:
            raise SystemExit(f"quickstart: {failed} requests failed")
        print("quickstart: OK")
        ok = True
    except (AssertionError, OSError, subprocess.SubprocessError, KeyError) as e:
        print(f"\nquickstart FAILED at step: {step_name}\n   {type(e).__name__}: {e}\n   logs: {work}/*.log",
              file=sys.stderr)
        tail = subprocess.run(f"tail -n 5 {work}/*.log", shell=True, capture_output=True, text=True).stdout
        print(tail, file=sys.stderr)
        sys.exit(1)
    finally:
        w.close()
        if ok:
            subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
