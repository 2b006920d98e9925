#!/usr/bin/env python3
"""Faults under load: the whole appliance (tests/support/whole_appliance.py: edgelb-dataplane with
its TAP, ZooKeeper, edgelb-mesos-sim, edgelb-apiserver + mesos-listener, edgelb-agent + HAProxy)
serving deploy/quickstart/pool.json, with a bounded HTTP load through both paths - the L7
frontend (HAProxy, an l7 VIP at the host address) and the fastPath DSR VIP - while one fault
happens. Every case asserts 0 failed requests on both paths and prints the counts; then that
the appliance still follows Mesos (a change reaches the dataplane and HAProxy).

Clients: a new connection per request, 5 s timeout, no retries (TCP retransmits ride out short
outages). HAProxy's frontend listeners are the agent's and HAProxy inherits them, so while a
killed HAProxy is restarted new connections wait in the accept queue and none is refused; the
requests a killed process was handling at that instant die with it, so in the two HAProxy kill
cases a request closed without any response is sent once more (as a browser does for a GET),
and those are printed. The dataplane restart prints its outage window and how many established
DSR connections survived it.
With --timeline-out FILE a passing case writes what its loads saw over time (perf/bench.sh
faults plots it): per path, requests ok and failed and the slowest request in each 0.25 s,
and when the fault ran (seconds from that load's start).
usage: faults.py --list | --case NAME --build DIR [--workdir DIR] [--timeline-out FILE]"""
import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from support.appliance import HOST4  # noqa: E402
from support.haproxy_cli import master_reloads, workers  # noqa: E402
from support.waiting import wait  # noqa: E402
from support.whole_appliance import FAST_VIP, WholeAppliance  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POOL = os.path.join(ROOT, "deploy/quickstart/pool.json")
VIP_SERVICE = "quickstart/web-dsr"
RATE = 150  # requests/s on each path


class Case:
    def __init__(self, w):
        self.w, self.st = w, w.st
        self.web = {}
        self.timelines = []  # each under_load(): both paths' load over time and when the fault ran
        self.run_dir = f"{w.work}/node-1/pools/quickstart/run"

    def up(self, sims=1):
        self.w.start(sims=sims)
        self.web = {h: self.st.task("/web", h, serving=(80, h)) for h in ("b1", "b2")}
        self.st.task("/api", "b3")
        self.st.ctl("create", POOL)
        wait(lambda: self.st.get("/")[0] == 200, "HAProxy serving through the dataplane", timeout=60)
        self.w.wait_backends(VIP_SERVICE, [self.w.hosts["b1"], self.w.hosts["b2"]], timeout=30)

    def under_load(self, seconds, action, l7_path="/", retries=0):
        """Runs action() 1 s into `seconds` of load on both paths; asserts 0 failed on each."""
        l7 = self.w.load(seconds, [HOST4], RATE, l7_path, retries)
        l4 = self.w.load(seconds, [FAST_VIP], RATE, "/", retries)
        time.sleep(1)
        fault_start = time.time()
        extra = action()
        fault_end = time.time()
        r7, r4 = self.w.load_result(l7), self.w.load_result(l4)
        keep = ("ok", "failed", "retried", "timeline")
        self.timelines.append({"seconds": seconds, "rate_per_path": RATE, "l7": {k: r7[k] for k in keep},
                               "l4": {k: r4[k] for k in keep}})
        for path, r in (("l7", r7), ("l4", r4)):  # the fault on each load's own clock
            self.timelines[-1][path]["fault_s"] = [round(fault_start - r["started_at"], 2),
                                                   round(fault_end - r["started_at"], 2)]
        for name, r in (("L7 (HAProxy)", r7), ("L4 (fast path)", r4)):
            print(f"    {name}: {r['ok']} ok, {r['failed']} failed; by backend {r['by_backend']} {r['errors'][:2]}")
            if r["retried"]:
                print(f"      in flight in the killed process, sent again: {r['retried']} {r['retried_errors'][:2]}")
            assert r["ok"] > RATE * (seconds - 2), f"{name}: the load ran: {r}"
            assert r["failed"] == 0, f"{name}: {r['failed']} requests failed: {r['errors']}"
        return extra

    def follows_mesos(self, host="b4"):
        """A /web task added now reaches the fast path and HAProxy."""
        self.web[host] = self.st.task("/web", host, serving=(80, host))
        want = sorted(self.w.hosts[h] for h in self.web)
        self.w.wait_backends(VIP_SERVICE, want, timeout=30)
        wait(lambda: any(self.st.get("/")[1] == host for _ in range(8)), "HAProxy sends to " + host, timeout=20,
             interval=0.05)
        print(f"    follows Mesos: a /web task on {host} is in the dataplane and in HAProxy")

    def registered(self, version=None):
        def ok():
            regs = self.st.registrations("quickstart")
            return regs if len(regs) == 1 and (version is None or regs[0]["appliedVersion"] == version) else None
        return wait(ok, "the agent's registration" + (f" at version {version}" if version else ""), timeout=40)[0]


def apiserver_kill(c):
    def action():
        c.w.api.kill()
        c.w.api.wait()
        time.sleep(2)
        c.w.api, _ = c.st.start_apiserver("apiserver", port=c.st.api_port)
    c.under_load(8, action)
    c.registered()
    c.follows_mesos()


def zookeeper_outage(c):
    def action():
        c.st.zk.stop()
        time.sleep(6)  # past both session timeouts (4 s): sessions expire, ephemerals go
        c.st.zk.start()
    c.under_load(12, action)
    reg = c.registered()
    print(f"    after the outage: instance registered again ({reg['id']}), dataplane version "
          f"{reg['dataplane']['tableVersion']}")
    c.follows_mesos()


def haproxy_kill(c, which):
    def action():
        master_sock = f"{c.run_dir}/master.sock"
        pid = workers(master_sock)[0] if which == "worker" else c.st.haproxy_master("node-1", "quickstart")
        os.kill(pid, signal.SIGKILL)
        t0 = time.monotonic()
        wait(lambda: not os.path.exists(f"/proc/{pid}") and c.st.get("/")[0] == 200, "HAProxy serving again",
             timeout=30, interval=0.05)
        print(f"    HAProxy {which} {pid} killed; serving again after {(time.monotonic() - t0) * 1000:.0f} ms")
    c.under_load(8, action, retries=1)
    c.follows_mesos()


def agent_restart_zk_down(c):
    def action():
        c.w.agent.kill()
        c.w.agent.wait()
        c.st.zk.stop()
        version = c.w.dpctl("version")
        c.w.start_agent()
        time.sleep(3)  # serving from its cache, ZooKeeper away
        after = c.w.dpctl("version")
        assert after.get("tableVersion") == version.get("tableVersion"), \
            f"the restarted agent adopted the dataplane's table without a publish: {version} -> {after}"
        c.st.zk.start()
    c.under_load(10, action)
    c.registered()
    c.follows_mesos()


def mesos_failover(c):
    def action():
        leader = c.st.sim_leader()
        c.st.sim_call(leader, "/sim/v1/resign", {})
        wait(lambda: c.st.sim_leader() not in (None, leader), "another simulator leads", timeout=20)
        time.sleep(1)
        c.st.sim_call(c.st.sim_leader(), "/sim/v1/fault", {"kind": "truncate"})  # the stream cut mid-record
        time.sleep(2)
    c.under_load(9, action)
    c.follows_mesos()


def pool_updates(c):
    pool = json.load(open(POOL))
    path = f"{c.w.work}/pool-update.json"

    def action():
        for n in range(1, 101):
            pool["haproxy"]["backends"][0]["miscStrs"] = [f"http-response set-header X-Pool-Update {n}"]
            with open(path, "w") as f:
                json.dump(pool, f)
            c.st.ctl("update", path)
    reloads0 = wait(lambda: master_reloads(f"{c.run_dir}/master.sock") + 1, "HAProxy's master CLI") - 1
    c.under_load(14, action)
    c.registered(version=101)
    out = subprocess.run(c.st.in_ns("cl", "curl", "-s", "-D", "-", "-o", "/dev/null", f"http://{HOST4}/"),
                         capture_output=True, text=True).stdout
    assert "x-pool-update: 100" in out.lower(), f"the last update serves: {out}"
    print(f"    100 updates: version 101 live, {master_reloads(c.run_dir + '/master.sock') - reloads0} reloads "
          "(coalesced)")


def scale_1_10_1(c):
    def action():
        tasks = []
        for i in range(9):  # /api: 1 -> 10
            tasks.append(c.st.task("/api", f"b{1 + i % 4}"))
            time.sleep(0.3)
        wait(lambda: len(set(c.st.get("/api/x")[1] for _ in range(30))) >= 6, "requests spread over /api's tasks",
             timeout=20)
        for t in tasks:  # 10 -> 1: drain, stop, killed
            c.st.kill_task(t, "TASK_KILLED", grace=0.3)
    c.under_load(16, action, l7_path="/api/x")
    c.follows_mesos()


def dataplane_restart(c):
    # Established DSR connections: responses that drip for 8 s across the restart.
    slow, results = 8, []

    def long_request():
        r = subprocess.run(c.st.in_ns("cl", "curl", "-s", "-m", "30", f"http://{FAST_VIP}/slow/{slow * 10}"),
                           capture_output=True, text=True)
        results.append(r.returncode == 0 and r.stdout.endswith("\n" + "." * (slow * 10)))
    # The outage window as a client sees it: the fast path probed every 20 ms.
    probes, stop = [], threading.Event()

    def probe():
        while not stop.is_set():
            r = subprocess.run(c.st.in_ns("cl", "curl", "-s", "-o", "/dev/null", "-m", "0.2",
                                          f"http://{FAST_VIP}/"), capture_output=True)
            probes.append((time.monotonic(), r.returncode == 0))
            time.sleep(0.02)

    def action():
        threads = [threading.Thread(target=long_request) for _ in range(20)]
        for t in threads:
            t.start()
        time.sleep(1)
        p = threading.Thread(target=probe)
        p.start()
        time.sleep(0.5)
        t0 = time.monotonic()
        c.w.stop_dataplane()
        c.w.start_dataplane(pmds=(c.w.pmd,))
        restarted = time.monotonic() - t0
        c.w.wait_backends(VIP_SERVICE, [c.w.hosts["b1"], c.w.hosts["b2"]], timeout=20)
        applied = time.monotonic() - t0
        time.sleep(1)
        stop.set()
        p.join()
        for t in threads:
            t.join()
        fails = [t for t, ok in probes if not ok]
        window = (max(fails) - min(fails)) * 1000 + 200 if fails else 0
        print(f"    dataplane restarted in {restarted * 1000:.0f} ms, agent's table back after {applied * 1000:.0f} ms; "
              f"outage window seen by a client probing every 20 ms: {window:.0f} ms ({len(fails)} probes failed)")
        print(f"    established DSR connections across the restart: {sum(results)} of {len(results)} survived")
        return results
    results = c.under_load(14, action)
    assert sum(results) == len(results), f"established connections survive (Maglev, same backends): {results}"
    c.follows_mesos()


def health_check_down(c):
    """Not a Mesos event: b2's server stops answering while Mesos still says its task is healthy.
    The agent's HTTP check (every 2 s, 2 failures) sets it down in the dataplane, its flows move,
    and requests that start after that all succeed; when it answers again it comes back."""
    a = c.w.a
    b2 = c.w.hosts["b2"]
    t0 = time.monotonic()
    a.net.stop(a.servers[1], sig=signal.SIGKILL)
    wait(lambda: c.w.dataplane_services()[VIP_SERVICE]["backends"] and
         {b["address"]: b.get("state", "UP") for b in c.w.dataplane_services()[VIP_SERVICE]["backends"]}[b2] == "DOWN",
         "b2 down in the dataplane", timeout=15, interval=0.1)
    print(f"    b2's server killed; down in the dataplane after {(time.monotonic() - t0) * 1000:.0f} ms "
          "(HTTP check every 2 s, 2 failures)")
    m = c.w.agent_metrics()
    assert m["edgelb_agent_health_failing_backends"] == 1 and m["edgelb_agent_dataplane_in_sync"] == 1, m
    r = c.under_load(4, lambda: None)
    a.servers[1] = a.net.start(a.backends[1], "/usr/bin/python3", os.path.join(ROOT, "tests/support/backend_server.py"),
                               "b2", stdout=subprocess.PIPE)
    assert a.servers[1].stdout.readline().strip() == b"ready"
    t0 = time.monotonic()
    c.w.wait_backends(VIP_SERVICE, [c.w.hosts["b1"], b2], timeout=15)
    print(f"    b2 answers again; up after {(time.monotonic() - t0) * 1000:.0f} ms (2 passes)")
    return r


CASES = {
    "apiserver_kill": apiserver_kill,
    "zookeeper_outage": zookeeper_outage,
    "haproxy_worker_kill": lambda c: haproxy_kill(c, "worker"),
    "haproxy_master_kill": lambda c: haproxy_kill(c, "master"),
    "agent_restart_zookeeper_down": agent_restart_zk_down,
    "mesos_leader_failover": mesos_failover,
    "pool_updates_100": pool_updates,
    "scale_1_10_1": scale_1_10_1,
    "dataplane_restart": dataplane_restart,
    "health_check_down": health_check_down,
}


def run_case(name, build, workdir, body, sims=1, timeline_out=None):
    """Brings the whole appliance up in workdir/name, runs body(case), tears it all down; prints
    PASS/FAIL and returns the exit code. A failure keeps its work directory and logs."""
    work = os.path.join(workdir, name)
    subprocess.run(["rm", "-rf", work])
    os.makedirs(work)
    os.chmod(work, 0o755)
    w = WholeAppliance(build, work, "es%d" % (os.getpid() % 10000))
    c = Case(w)
    try:
        print(f"{name}: bringing the appliance up")
        c.up(sims=sims)
        body(c)
    except AssertionError as e:
        print(f"FAIL {name}: {e}")
        subprocess.run(f"tail -n 8 {work}/*.log", shell=True)
        return 1
    finally:
        w.close()
    subprocess.run(["rm", "-rf", work])
    if timeline_out:
        with open(timeline_out, "w") as f:
            json.dump({"case": name, "loads": c.timelines}, f)
    print(f"PASS {name}")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--case")
    ap.add_argument("--build")
    ap.add_argument("--workdir", default="/tmp/edgelb-system")
    ap.add_argument("--timeline-out")
    args = ap.parse_args()
    if args.list:
        print(";".join(CASES))
        return 0

    def body(c):
        print(f"{args.case}: fault under load")
        CASES[args.case](c)
    return run_case(args.case, args.build, args.workdir, body, sims=2 if args.case == "mesos_leader_failover" else 1,
                    timeline_out=args.timeline_out)


if __name__ == "__main__":
    sys.exit(main())
