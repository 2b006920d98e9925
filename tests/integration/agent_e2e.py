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
import signal
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from support.netns import Net  # noqa: E402
from support.processes import free_port, kill_all, procs  # noqa: E402
from support.zookeeper import ZooKeeper  # noqa: E402

SUPPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support")
LB, CLIENT = "198.18.0.10", "198.18.0.100"
HOSTS = {"b1": "198.18.0.21", "b2": "198.18.0.22"}
FW = "e1e2e3e4-0000-4000-8000-00000000a9e7-0001"  # the Marathon framework

args = work = net = None
ns = {}
checks = 0
api_port = sim_port = None
tasks = {}  # task_id -> (app, backend process)


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        raise AssertionError(what)


def wait(pred, what, timeout=20, interval=0.1):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = pred()
            if last:
                return last
        except (AssertionError, KeyError, ValueError, IndexError, subprocess.CalledProcessError) as e:
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def in_ns(name, *cmd):
    return ["ip", "netns", "exec", ns[name], *cmd]


def start(name, cmd, log):
    p = subprocess.Popen(in_ns(name, *cmd), stdout=open(f"{work}/{log}.log", "a"), stderr=subprocess.STDOUT)
    procs.append(p)
    return p


def ready_port(p, ready, log):
    deadline = time.time() + 30
    while not (os.path.exists(ready) and open(ready).read().strip()):
        check(p.poll() is None, f"{log} exited: " + open(f"{work}/{log}.log").read()[-2000:])
        check(time.time() < deadline, f"{log} did not start")
        time.sleep(0.05)
    return int(open(ready).read())


def start_apiserver(name, zk, mesos=True, port=0):
    ready = f"{work}/{name}.port"
    if os.path.exists(ready):
        os.remove(ready)
    c = f"{work}/certs"
    cmd = [args.apiserver, "--zk", f"127.0.0.1:{zk.port}", "--listen", f"127.0.0.1:{port}", "--tls-cert", f"{c}/server.crt",
           "--tls-key", f"{c}/server.key", "--client-ca", f"{c}/ca.crt", "--secret-key-file", f"{c}/secret.key",
           "--ready-file", ready]
    if mesos:
        cmd += ["--mesos", f"http://127.0.0.1:{sim_port}"]
    p = start("lb", cmd, name)
    return p, ready_port(p, ready, name)


def ctl(*a, port=None, ok=True):
    out = subprocess.run(in_ns("lb", args.edgelbctl, "--certs-dir", f"{work}/certs", "--as", "admin", "--server",
                               f"127.0.0.1:{port or api_port}", "--json", *a), capture_output=True, text=True, timeout=30)
    if ok:
        check(out.returncode == 0, f"edgelbctl {' '.join(a)} -> {out.returncode}: {out.stderr}")
    return json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else None


def sim(*ops):
    body = json.dumps(list(ops))
    out = subprocess.run(in_ns("lb", "curl", "-sf", "-X", "POST", "-H", "Content-Type: application/json", "--data",
                               body, f"http://127.0.0.1:{sim_port}/sim/v1/op"), capture_output=True, text=True, timeout=10)
    check(out.returncode == 0, f"sim op {body} -> {out.returncode} {out.stdout}")


def get(path="/", host="test.example.com"):
    """(status, X-Backend, X-Request-Path) of one request from the client namespace."""
    out = subprocess.run(in_ns("cl", "curl", "-s", "-m", "3", "-o", "/dev/null", "-D", "-", "-H", f"Host: {host}",
                               f"http://{LB}:80{path}"), capture_output=True, text=True, timeout=10)
    status, hdr = 0, {}
    for line in out.stdout.splitlines():
        if line.startswith("HTTP/"):
            status = int(line.split()[1])
        elif ":" in line:
            k, v = line.split(":", 1)
            hdr[k.strip().lower()] = v.strip()
    return status, hdr.get("x-backend"), hdr.get("x-request-path")


def load(seconds, path="/"):
    rate = os.environ.get("EDGELB_E2E_RATE", "300")  # requests/s; 0: as fast as the client goes
    return subprocess.Popen(in_ns("cl", sys.executable, f"{SUPPORT}/http_load.py", LB, str(seconds), "4", path, "80",
                                  rate),
                            stdout=subprocess.PIPE, text=True)


def load_result(p):
    out, _ = p.communicate(timeout=120)
    r = json.loads(out.strip().splitlines()[-1])
    print(f"    load: {r['ok']} ok, {r['failed']} failed, by backend {r['by_backend']} {r['errors'][:2]}")
    return r


def task(app, host, name=None, healthy=True):
    """A Marathon task of `app`: a real HTTP server in namespace `host`, then TASK_RUNNING."""
    port = free_port()
    label = f"{app.strip('/').replace('/', '-')}-{len(tasks)}"
    p = subprocess.Popen(in_ns(host, sys.executable, f"{SUPPORT}/backend_server.py", label, str(port),
                               str(free_port())), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    wait(lambda: subprocess.run(in_ns(host, "curl", "-sf", "-o", "/dev/null", f"http://{HOSTS[host]}:{port}/"))
         .returncode == 0, f"backend {label} up", timeout=10, interval=0.05)
    tid = f"{app.strip('/').replace('/', '.')}.{uuid.uuid4()}"
    sim({"op": "add_task", "framework_id": FW, "task_id": tid, "name": name or app.strip("/").split("/")[-1],
         "agent_id": f"agent-{host}", "state": "TASK_RUNNING", "ports": [{"number": port, "name": "web"}],
         "health_check": True, "healthy": healthy})
    tasks[tid] = (app, p, label)
    return tid


def kill_task(tid, state="TASK_KILLED", grace=0.0):
    """Marathon's way: TASK_KILLING (drain), the process stops after `grace`, then the final state."""
    if grace:
        sim({"op": "update_task", "framework_id": FW, "task_id": tid, "state": "TASK_KILLING"})
        time.sleep(grace)
    app, p, label = tasks.pop(tid)
    p.kill()
    p.wait()
    sim({"op": "update_task", "framework_id": FW, "task_id": tid, "state": state})


def health(tid, healthy):
    sim({"op": "update_task", "framework_id": FW, "task_id": tid, "healthy": healthy})


def fixture(name, **changes):
    with open(f"{args.fixtures}/{name}") as f:
        pool = json.load(f)
    pool.update(changes)
    path = f"{work}/{name}"
    with open(path, "w") as f:
        json.dump(pool, f)
    return pool["name"], path


def instances(pool):
    st = ctl("status", pool)
    return [dict(json.loads(i["data_json"]), id=i["id"]) for i in st.get("instances", [])] if st else []


def registration(pool):
    regs = instances(pool)
    check(len(regs) == 1, f"one instance of {pool}: {regs}")
    return regs[0]


def agent_config(name, zk_port):
    path = f"{work}/{name}.yaml"
    with open(path, "w") as f:
        f.write(f"""node: {{name: {name}, address: "{LB}"}}
zookeeper: {{connect: "127.0.0.1:{zk_port}", session_timeout_ms: 4000}}
apiserver: {{address: "127.0.0.1:{api_port}", certs_dir: "{work}/certs"}}
secret_key_file: {work}/certs/secret.key
state_dir: {work}/{name}
haproxy: {{min_reload_interval_ms: 300, drain_timeout_ms: 1500, hard_stop_after: 5s}}
metrics: {{listen: "127.0.0.1:{free_port()}"}}
""")
    return path


def start_agent(name, zk_port):
    return start("lb", [args.agent, "-c", agent_config(name, zk_port)], name)


def haproxy_master(agent, pool):
    try:
        return int(open(f"{work}/{agent}/pools/{pool}/run/master.pid").read())
    except (OSError, ValueError):
        return 0


def kill_node(agent_proc, agent, pool):
    """A node dying: its agent and the HAProxy it runs, both kill -9."""
    agent_proc.kill()
    agent_proc.wait()
    pid = haproxy_master(agent, pool)
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        wait(lambda: not os.path.exists(f"/proc/{pid}"), "HAProxy master gone", timeout=10)


def spread_of(n, path="/", host="test.example.com"):
    seen = {}
    for _ in range(n):
        s, b, _p = get(path, host)
        check(s == 200, f"GET {path} -> {s}")
        seen[b] = seen.get(b, 0) + 1
    return seen


def routing_and_membership(zk):
    print("pool 02 (path routing + rewrite): routing, then membership changes under load")
    pool, path = fixture("02-path-routing-rewrite.json")
    ctl("create", path)
    httpd = [task("/host-httpd", "b1"), task("/host-httpd", "b2")]
    nginx = task("/bridge-nginx", "b2", name="bridge-nginx")
    wait(lambda: get("/")[0] == 200, "the default backend serving")
    seen = spread_of(4, "/")
    check(set(seen) == {tasks[t][2] for t in httpd}, f"/ goes to host-httpd's two tasks: {seen}")
    s, b, p = get("/nginx/index.html")
    check((s, b, p) == (200, tasks[nginx][2], "/index.html"), f"/nginx/... goes to nginx, rewritten: {(s, b, p)}")
    reg = registration(pool)
    check(reg["state"] == "running" and reg["appliedVersion"] == 1 and reg["host"] == "node-a", f"registration {reg}")
    reloads = reg["reloads"]

    # Membership under a steady load: scale up, flip health, fail a task, scale down.
    lp = load(14)
    time.sleep(1)
    more = [task("/host-httpd", "b1"), task("/host-httpd", "b2")]
    time.sleep(1.5)
    health(more[0], False)
    time.sleep(1.5)
    health(more[0], True)
    time.sleep(1)
    kill_task(httpd[0], "TASK_FAILED")  # dies first, then Mesos reports it (HAProxy retries elsewhere)
    time.sleep(1.5)
    kill_task(more[1], "TASK_KILLED", grace=1.0)  # scale down: drain, stop, killed
    time.sleep(1)
    r = load_result(lp)
    check(r["ok"] > 2000, f"the load ran (300 requests/s or more): {r}")
    check(r["failed"] == 0, f"0 failed requests through membership changes: {r}")
    check(tasks[more[0]][2] in r["by_backend"], f"the scaled-up task served: {r['by_backend']}")
    reg = registration(pool)
    check(reg["reloads"] == reloads, f"membership changes reloaded nothing: {reg['reloads']} vs {reloads}")
    check(reg["runtimeCommands"] > 0, f"runtime commands were used: {reg}")
    cfg = ctl("lb-config", pool)
    check("backend nginx" in cfg["config"] and cfg["instance"] == "instance-0", "lb-config shows the instance's config")
    eps = ctl("endpoints", pool)["endpoints"]
    check([(e["name"], e["port"], e["address"]) for e in eps] ==
          [("frontend_0.0.0.0_80", 80, LB), ("stats", 9090, LB)], f"endpoints: {eps}")
    ctl("delete", pool)
    wait(lambda: get("/")[0] == 0, "the deleted pool's HAProxy stopped")
    for t in list(tasks):
        kill_task(t)


def weights():
    print("pool 07 (weighted backends): 2:1")
    pool, path = fixture("07-weighted-backends.json")
    v1, v2 = task("/app-v1", "b1"), task("/app-v2", "b2")
    ctl("create", path)
    wait(lambda: get("/")[0] == 200, "app-lb serving")
    seen = spread_of(30)
    check(seen.get(tasks[v1][2]) == 20 and seen.get(tasks[v2][2]) == 10, f"weight 20 vs 10: {seen}")
    ctl("delete", pool)
    wait(lambda: get("/")[0] == 0, "app-lb stopped")
    for t in (v1, v2):
        kill_task(t)


def blue_green():
    print("pools 12 -> 13 (blue/green): one pool update under load: 0 failed, 1 reload")
    pool, blue_path = fixture("12-blue-green-svc-blue.json")
    _, green_path = fixture("13-blue-green-svc-green.json")
    blue = [task("/svc-blue", "b1"), task("/svc-blue", "b2")]
    green = [task("/svc-green", "b1"), task("/svc-green", "b2")]
    ctl("create", blue_path)
    wait(lambda: get("/")[0] == 200, "blue serving")
    check(set(spread_of(4)) == {tasks[t][2] for t in blue}, "all traffic on blue")
    reloads = registration(pool)["reloads"]
    lp = load(6)
    time.sleep(2)
    ctl("update", green_path)
    r = load_result(lp)
    check(r["failed"] == 0, f"0 failed requests across the update: {r}")
    check(set(spread_of(4)) == {tasks[t][2] for t in green}, "all traffic on green")
    reg = registration(pool)
    check(reg["reloads"] == reloads + 1, f"exactly one reload: {reg['reloads']} vs {reloads}")
    check(reg["appliedVersion"] == 2, f"version 2 applied: {reg}")
    for t in blue:
        kill_task(t)
    return pool, green


def apiserver_down(zk, api, pool):
    global api_port
    print("apiserver killed: serving continues; a pool update through another apiserver still lands")
    lp = load(6)
    time.sleep(1)
    api.kill()
    api.wait()
    r = load_result(lp)
    check(r["failed"] == 0, f"0 failed with the apiserver gone: {r}")
    # A second apiserver (no mesos-listener) writes the pool to ZooKeeper; the agent reads it
    # there, keeps the endpoints it has (same selectors) and reloads.
    api2, port2 = start_apiserver("apiserver-2", zk, mesos=False)
    reloads = registration_via(port2, pool)["reloads"]
    _, green_path = fixture("13-blue-green-svc-green.json")
    with open(green_path) as f:
        green = json.load(f)
    green["haproxy"]["backends"][0]["miscStrs"] = ["timeout server 25s"]
    with open(f"{work}/green-v3.json", "w") as f:
        json.dump(green, f)
    ctl("update", f"{work}/green-v3.json", port=port2)
    wait(lambda: registration_via(port2, pool)["appliedVersion"] == 3, "version 3 applied without the listener")
    check(registration_via(port2, pool)["reloads"] == reloads + 1, "one reload for it")
    check(get("/")[0] == 200, "still serving")
    api2.kill()
    api2.wait()
    api, api_port = start_apiserver("apiserver", zk, port=api_port)  # the agent reconnects to it
    return api


def registration_via(port, pool):
    st = ctl("status", pool, port=port)
    return json.loads(st["instances"][0]["data_json"])


def agent_restart_from_cache(zk, agent, api, pool):
    global api_port
    print("agent and its HAProxy kill -9, ZooKeeper and the apiserver down: the agent serves from its cache")
    kill_node(agent, "node-a", pool)
    check(get("/")[0] == 0, "nothing serves")
    zk.stop()
    api.kill()
    api.wait()
    agent = start_agent("node-a", zk.port)
    wait(lambda: get("/")[0] == 200, "serving from the cache", timeout=30)
    check(open(f"{work}/node-a.log").read().count("from the cache") >= 1, "the agent says it serves from its cache")
    zk.start()
    api, api_port = start_apiserver("apiserver", zk, port=api_port)
    # Its previous session still holds the slot until ZooKeeper expires it; it keeps serving.
    wait(lambda: registration(pool)["masterPid"] == haproxy_master("node-a", pool),
         "registered again (with the HAProxy it started from the cache) once ZooKeeper is back", timeout=40)
    check(get("/")[0] == 200, "serving throughout")
    return agent, api


def takeover(zk, agent_a, pool):
    print("two agents, count: 1: the owner's node dies, the other claims the slot and serves")
    agent_b = start_agent("node-b", zk.port)
    wait(lambda: "not served here" in open(f"{work}/node-b.log").read(), "node-b waits for a free slot")
    check(registration(pool)["host"] == "node-a", "node-a keeps the slot")
    kill_node(agent_a, "node-a", pool)
    wait(lambda: registration(pool)["host"] == "node-b", "node-b claimed the slot", timeout=40)
    wait(lambda: get("/")[0] == 200, "node-b serving")
    return agent_b


def main():
    global args, work, net, api_port, sim_port
    ap = argparse.ArgumentParser()
    for a in ("--agent", "--apiserver", "--edgelbctl", "--sim", "--fixtures"):
        ap.add_argument(a, required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="edgelb-agent-e2e-")
    os.chmod(work, 0o755)
    net = Net("ag%d" % (os.getpid() % 10000))
    try:
        ns["lb"] = net.host("lb", [f"{LB}/24"])
        for h, a in HOSTS.items():
            ns[h] = net.host(h, [f"{a}/24"])
        ns["cl"] = net.host("cl", [f"{CLIENT}/24"])
        subprocess.run([args.edgelbctl, "certs", "init", "--dir", f"{work}/certs"], check=True, capture_output=True)
        zk = ZooKeeper(work, ns=ns["lb"])
        zk.start()
        with open(f"{work}/cluster.json", "w") as f:
            json.dump([{"op": "add_framework", "id": FW, "name": "marathon"}] +
                      [{"op": "add_agent", "id": f"agent-{h}", "hostname": a} for h, a in HOSTS.items()], f)
        ready = f"{work}/sim.port"
        sp = start("lb", [args.sim, "--port", "0", "--heartbeat", "0.5", "--ready-file", ready, "--scenario",
                          f"{work}/cluster.json"], "sim")
        sim_port = ready_port(sp, ready, "sim")
        api, api_port = start_apiserver("apiserver", zk, port=free_port())
        agent = start_agent("node-a", zk.port)

        routing_and_membership(zk)
        weights()
        pool, _green = blue_green()
        api = apiserver_down(zk, api, pool)
        agent, api = agent_restart_from_cache(zk, agent, api, pool)
        takeover(zk, agent, pool)
        print(f"agent end to end: {checks} checks passed")
    finally:
        # HAProxy runs in its own session (it outlives a killed agent): stop each master this
        # test's agents started, by the PID they recorded.
        for a in ("node-a", "node-b"):
            for pool_dir in (os.listdir(f"{work}/{a}/pools") if os.path.isdir(f"{work}/{a}/pools") else []):
                pid = haproxy_master(a, pool_dir)
                if pid and os.path.exists(f"/proc/{pid}"):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        kill_all()
        net.close()
        if os.environ.get("EDGELB_KEEP_WORK"):
            print("work directory kept:", work)
        else:
            subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
