#!/usr/bin/env python3
"""edgelb-agent end to end. In namespaces this test creates (198.18.0.0/24 on one bridge):
  lb   198.18.0.10   ZooKeeper, edgelb-mesos-sim, edgelb-apiserver (--mesos, mutual TLS),
                     edgelb-agent(s) and the HAProxy they run
  b1   198.18.0.21   b2  198.18.0.22   Marathon tasks: real HTTP servers (support/backend_server.py)
  cl   198.18.0.100  the client: curl and a bounded load (support/http_load.py)
Edge-LB's documented pools (tests/fixtures/edgelb-pools) are created with edgelbctl; tasks are
added, scaled, failed and health-flipped through the simulator's control API while a steady load
runs, and the test asserts: requests land on the right backends (host/path routing, rewrite,
weights, blue/green), 0 failed requests and 0 reloads for membership changes, 0 failed and 1
reload for a pool update, serving and ZooKeeper-driven updates with the apiserver killed, a
killed agent restarted with ZooKeeper down serving from its cache, and a second agent taking
over a count: 1 pool when the owner's node dies.

usage: agent_e2e.py --agent BIN --apiserver BIN --edgelbctl BIN --sim BIN --fixtures DIR
Every process is started here and killed by PID on exit; the namespaces are removed.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from support.edgelb_stack import Stack  # noqa: E402
from support.netns import Net  # noqa: E402
from support.processes import kill_all  # noqa: E402
from support.waiting import wait  # noqa: E402

LB, CLIENT = "198.18.0.10", "198.18.0.100"
HOSTS = {"b1": "198.18.0.21", "b2": "198.18.0.22"}

args = work = st = None
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        raise AssertionError(what)


def get(path="/", host="test.example.com"):
    return st.get(path, host)


def load(seconds, path="/"):
    return st.load(seconds, path, rate=os.environ.get("EDGELB_E2E_RATE", "300"))  # 0: as fast as it goes


def load_result(p):
    r = st.load_result(p)
    print(f"    load: {r['ok']} ok, {r['failed']} failed, by backend {r['by_backend']} {r['errors'][:2]}")
    return r


def fixture(name):
    with open(f"{args.fixtures}/{name}") as f:
        pool = json.load(f)
    path = f"{work}/{name}"
    with open(path, "w") as f:
        json.dump(pool, f)
    return pool["name"], path


def registration(pool, port=None):
    regs = st.registrations(pool, port=port)
    check(len(regs) == 1, f"one instance of {pool}: {regs}")
    return regs[0]


def spread_of(n, path="/", host="test.example.com"):
    seen = {}
    for _ in range(n):
        s, b, _p = get(path, host)
        check(s == 200, f"GET {path} -> {s}")
        seen[b] = seen.get(b, 0) + 1
    return seen


def routing_and_membership():
    print("pool 02 (path routing + rewrite): routing, then membership changes under load")
    pool, path = fixture("02-path-routing-rewrite.json")
    st.ctl("create", path)
    httpd = [st.task("/host-httpd", "b1"), st.task("/host-httpd", "b2")]
    nginx = st.task("/bridge-nginx", "b2", name="bridge-nginx")
    wait(lambda: get("/")[0] == 200, "the default backend serving")
    seen = spread_of(4, "/")
    check(set(seen) == {st.label(t) for t in httpd}, f"/ goes to host-httpd's two tasks: {seen}")
    s, b, p = get("/nginx/index.html")
    check((s, b, p) == (200, st.label(nginx), "/index.html"), f"/nginx/... goes to nginx, rewritten: {(s, b, p)}")
    reg = registration(pool)
    check(reg["state"] == "running" and reg["appliedVersion"] == 1 and reg["host"] == "node-a", f"registration {reg}")
    reloads = reg["reloads"]

    # Membership under a steady load: scale up, flip health, fail a task, scale down.
    lp = load(14)
    time.sleep(1)
    more = [st.task("/host-httpd", "b1"), st.task("/host-httpd", "b2")]
    time.sleep(1.5)
    st.health(more[0], False)
    time.sleep(1.5)
    st.health(more[0], True)
    time.sleep(1)
    st.kill_task(httpd[0], "TASK_FAILED")  # dies first, then Mesos reports it (HAProxy retries elsewhere)
    time.sleep(1.5)
    st.kill_task(more[1], "TASK_KILLED", grace=1.0)  # scale down: drain, stop, killed
    time.sleep(1)
    r = load_result(lp)
    check(r["ok"] > 2000, f"the load ran (300 requests/s or more): {r}")
    check(r["failed"] == 0, f"0 failed requests through membership changes: {r}")
    check(st.label(more[0]) in r["by_backend"], f"the scaled-up task served: {r['by_backend']}")
    reg = registration(pool)
    check(reg["reloads"] == reloads, f"membership changes reloaded nothing: {reg['reloads']} vs {reloads}")
    check(reg["runtimeCommands"] > 0, f"runtime commands were used: {reg}")
    # What every instance serves on its stats port (Edge-LB's HAProxy endpoints).
    def stats(path):
        out = subprocess.run(st.in_ns("cl", "curl", "-s", "-m", "3", "-w", "\n%{http_code}", f"http://{LB}:9090{path}"),
                             capture_output=True, text=True, timeout=10).stdout
        body, _, code = out.rpartition("\n")
        return int(code or 0), body
    check(stats("/_haproxy_health_check")[0] == 200, "/_haproxy_health_check answers 200")
    code, body = stats("/_haproxy_getconfig")
    check(code == 200 and "backend nginx" in body and "stats socket" in body, "/_haproxy_getconfig: the running config")
    code, body = stats("/metrics")
    check(code == 200 and "haproxy_process_start_time_seconds" in body, "/metrics: HAProxy's Prometheus exporter")
    code, body = stats("/haproxy?stats;csv")
    check(code == 200 and f"httpd,{more[0]}," in body, "/haproxy?stats;csv lists the httpd servers by task")
    wait(lambda: f"httpd,{more[1]}," not in stats("/haproxy?stats;csv")[1],
         "the scaled-down task's server is deleted after its drain", timeout=10)
    table = st.ctl("endpoints", pool, "--backends", text=True)
    row = [line.split() for line in table.splitlines() if more[0] in line]
    check(row and row[0][0] == "httpd" and row[0][-1] == more[0],
          f"edgelbctl endpoints --backends names each task's HAProxy server:\n{table}")
    code, body = stats("/metrics")
    check(code == 200 and 'state="MAINT"} 1' not in body, "/metrics shows no server in maintenance")
    cfg = st.ctl("lb-config", pool)
    check("backend nginx" in cfg["config"] and cfg["instance"] == "instance-0", "lb-config shows the instance's config")
    wait(lambda: st.ctl("lb-config", pool).get("config") == stats("/_haproxy_getconfig")[1],
         "lb-config shows exactly the haproxy.cfg the instance runs", timeout=10)
    cfg = st.ctl("lb-config", pool)
    check(cfg["source"] == "running" and "bind fd@" in cfg["config"], f"lb-config says it is the running one: {cfg}")
    rendered = st.ctl("lb-config", pool, "--rendered")
    check(rendered["source"] == "rendered" and "bind fd@" not in rendered["config"],
          "lb-config --rendered is the apiserver's rendering")
    eps = st.ctl("endpoints", pool)["endpoints"]
    check([(e["name"], e["port"], e["address"]) for e in eps] ==
          [("frontend_0.0.0.0_80", 80, LB), ("stats", 9090, LB)], f"endpoints: {eps}")
    st.ctl("delete", pool)
    wait(lambda: get("/")[0] == 0, "the deleted pool's HAProxy stopped")
    for t in list(st.tasks):
        st.kill_task(t)


def weights():
    print("pool 07 (weighted backends): 2:1")
    pool, path = fixture("07-weighted-backends.json")
    v1, v2 = st.task("/app-v1", "b1"), st.task("/app-v2", "b2")
    st.ctl("create", path)
    wait(lambda: get("/")[0] == 200, "app-lb serving")
    seen = spread_of(30)
    check(seen.get(st.label(v1)) == 20 and seen.get(st.label(v2)) == 10, f"weight 20 vs 10: {seen}")
    st.ctl("delete", pool)
    wait(lambda: get("/")[0] == 0, "app-lb stopped")
    for t in (v1, v2):
        st.kill_task(t)


def blue_green():
    print("pools 12 -> 13 (blue/green): one pool update under load: 0 failed, 1 reload")
    pool, blue_path = fixture("12-blue-green-svc-blue.json")
    _, green_path = fixture("13-blue-green-svc-green.json")
    blue = [st.task("/svc-blue", "b1"), st.task("/svc-blue", "b2")]
    green = [st.task("/svc-green", "b1"), st.task("/svc-green", "b2")]
    st.ctl("create", blue_path)
    wait(lambda: get("/")[0] == 200, "blue serving")
    check(set(spread_of(4)) == {st.label(t) for t in blue}, "all traffic on blue")
    reloads = registration(pool)["reloads"]
    lp = load(6)
    time.sleep(2)
    st.ctl("update", green_path)
    r = load_result(lp)
    check(r["failed"] == 0, f"0 failed requests across the update: {r}")
    check(set(spread_of(4)) == {st.label(t) for t in green}, "all traffic on green")
    reg = registration(pool)
    check(reg["reloads"] == reloads + 1, f"exactly one reload: {reg['reloads']} vs {reloads}")
    check(reg["appliedVersion"] == 2, f"version 2 applied: {reg}")
    for t in blue:
        st.kill_task(t)
    return pool


def apiserver_down(api, pool):
    print("apiserver killed: serving continues; a pool update through another apiserver still lands")
    lp = load(6)
    time.sleep(1)
    api.kill()
    api.wait()
    r = load_result(lp)
    check(r["failed"] == 0, f"0 failed with the apiserver gone: {r}")
    # A second apiserver (no mesos-listener) writes the pool to ZooKeeper; the agent reads it
    # there, keeps the endpoints it has (same selectors) and reloads.
    api2, port2 = st.start_apiserver("apiserver-2", mesos=False)
    reloads = registration(pool, port=port2)["reloads"]
    _, green_path = fixture("13-blue-green-svc-green.json")
    with open(green_path) as f:
        green = json.load(f)
    green["haproxy"]["backends"][0]["miscStrs"] = ["timeout server 25s"]
    with open(f"{work}/green-v3.json", "w") as f:
        json.dump(green, f)
    st.ctl("update", f"{work}/green-v3.json", port=port2)
    wait(lambda: registration(pool, port=port2)["appliedVersion"] == 3, "version 3 applied without the listener")
    check(registration(pool, port=port2)["reloads"] == reloads + 1, "one reload for it")
    check(get("/")[0] == 200, "still serving")
    api2.kill()
    api2.wait()
    api, _ = st.start_apiserver("apiserver", port=st.api_port)  # the agent reconnects to it
    return api


def agent_restart_from_cache(agent, api, pool):
    print("agent and its HAProxy kill -9, ZooKeeper and the apiserver down: the agent serves from its cache")
    st.kill_node(agent, "node-a", pool)
    check(get("/")[0] == 0, "nothing serves")
    st.zk.stop()
    api.kill()
    api.wait()
    agent = st.start_agent("node-a")
    wait(lambda: get("/")[0] == 200, "serving from the cache", timeout=30)
    check(open(f"{work}/node-a.log").read().count("from the cache") >= 1, "the agent says it serves from its cache")
    st.zk.start()
    api, _ = st.start_apiserver("apiserver", port=st.api_port)
    # Its previous session still holds the slot until ZooKeeper expires it; it keeps serving.
    wait(lambda: registration(pool)["masterPid"] == st.haproxy_master("node-a", pool),
         "registered again (with the HAProxy it started from the cache) once ZooKeeper is back", timeout=40)
    check(get("/")[0] == 200, "serving throughout")
    return agent, api


def takeover(agent_a, pool):
    print("two agents, count: 1: the owner's node dies, the other claims the slot and serves")
    st.start_agent("node-b")
    wait(lambda: "not served here" in open(f"{work}/node-b.log").read(), "node-b waits for a free slot")
    check(registration(pool)["host"] == "node-a", "node-a keeps the slot")
    st.kill_node(agent_a, "node-a", pool)
    wait(lambda: registration(pool)["host"] == "node-b", "node-b claimed the slot", timeout=40)
    wait(lambda: get("/")[0] == 200, "node-b serving")


def main():
    global args, work, st
    ap = argparse.ArgumentParser()
    for a in ("--agent", "--apiserver", "--edgelbctl", "--sim", "--fixtures"):
        ap.add_argument(a, required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="edgelb-agent-e2e-")
    os.chmod(work, 0o755)
    net = Net("ag%d" % (os.getpid() % 10000))
    try:
        ns = {"lb": net.host("lb", [f"{LB}/24"]), "cl": net.host("cl", [f"{CLIENT}/24"])}
        for h, a in HOSTS.items():
            ns[h] = net.host(h, [f"{a}/24"])
        st = Stack(work, {"agent": args.agent, "apiserver": args.apiserver, "edgelbctl": args.edgelbctl,
                          "sim": args.sim}, ns, LB, HOSTS)
        api = st.start_control_plane()
        agent = st.start_agent("node-a")

        routing_and_membership()
        weights()
        pool = blue_green()
        api = apiserver_down(api, pool)
        agent, api = agent_restart_from_cache(agent, api, pool)
        takeover(agent, pool)
        print(f"agent end to end: {checks} checks passed")
    finally:
        if st:
            st.stop_haproxies()
        kill_all()
        net.close()
        if os.environ.get("EDGELB_KEEP_WORK"):
            print("work directory kept:", work)
        else:
            subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
