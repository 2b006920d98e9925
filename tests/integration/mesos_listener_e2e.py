#!/usr/bin/env python3
"""mesos-listener end to end: edgelb-mesos-sim masters speaking the Mesos v1 operator API,
edgelb-apiserver's mesos-listener subscribed to them, queried with edgelbctl (tasks, tasks
--watch, endpoints). Covers: leader election and failover through ZooKeeper json.info_ znodes,
a URL list with 503 and 307 to the leader, leadership moving between URL masters, heartbeat
loss, garbage records, broken framing, truncated records, health flips, scaling, and the
recorded production stream replayed over HTTP in 7-byte chunks.

usage: mesos_listener_e2e.py --apiserver BIN --edgelbctl BIN --sim BIN --fixtures DIR
Everything runs on loopback; every process is started here and killed by PID on exit.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from support.processes import procs  # noqa: E402
from support.waiting import wait  # noqa: E402
from support.zookeeper import ZooKeeper  # noqa: E402

args = None
work = None
checks = 0

FW = "f1e2d3c4-0000-4000-8000-000000000001-0001"


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        raise AssertionError(what)


def start(cmd, name, ready):
    p = subprocess.Popen(cmd, stdout=open(f"{work}/{name}.log", "a"), stderr=subprocess.STDOUT)
    procs.append(p)
    deadline = time.time() + 30
    while not (os.path.exists(ready) and open(ready).read().strip()):
        check(p.poll() is None, f"{name} exited: " + open(f"{work}/{name}.log").read()[-2000:])
        check(time.time() < deadline, f"{name} did not start")
        time.sleep(0.05)
    return p, int(open(ready).read())


def sim(name, *extra):
    return start([args.sim, "--port", "0", "--heartbeat", "0.5", "--ready-file", f"{work}/{name}.port", *extra],
                 name, f"{work}/{name}.port")


def apiserver(name, zk, master):
    return start([args.apiserver, "--zk", f"127.0.0.1:{zk.port}", "--zk-root", f"/{name}", "--insecure",
                  "--listen", "127.0.0.1:0", "--anonymous-role", "viewer", "--ready-file", f"{work}/{name}.port",
                  "--mesos", master], name, f"{work}/{name}.port")


def http(port, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="GET" if body is None else "POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def op(ports, ops):
    for p in ports:  # masters of one cluster share their state (Mesos keeps it in its registry)
        http(p, "/sim/v1/op", ops)


def ctl(api, *a):
    out = subprocess.run([args.edgelbctl, "--insecure", "--server", f"127.0.0.1:{api}", "--json", *a],
                         capture_output=True, text=True, timeout=30)
    check(out.returncode == 0, f"edgelbctl {' '.join(a)} -> {out.returncode}: {out.stderr}")
    return json.loads(out.stdout)


def status(api):
    return ctl(api, "tasks")["status"]


def endpoints(api, pool_file, *extra):
    r = ctl(api, "endpoints", "--file", pool_file, *extra)
    return sorted(f"{e['address']}:{e['port']}{'' if e['ready'] else '(not ready)'}"
                  for s in r.get("services", []) for e in s.get("endpoints", []))


def tasks(api):
    return sorted((t["task_id"], t["state"], t["ready"]) for t in ctl(api, "tasks").get("tasks", []))


def counter(api, name):
    return int(status(api).get(name, 0))


def write(name, obj):
    path = f"{work}/{name}"
    with open(path, "w") as f:
        json.dump(obj, f)
    return path


def cluster_ops():
    ops = [{"op": "add_framework", "id": FW, "name": "marathon"}]
    for i in (1, 2):
        ops.append({"op": "add_agent", "id": f"agent-S{i}", "hostname": f"198.18.1.{i}"})
    ops.append({"op": "scale", "framework_id": FW, "app_id": "/prod/web", "instances": 3, "port": 31000, "port_name": "http"})
    return ops


def zk_failover_and_faults(zk, pool):
    scenario = write("cluster.json", cluster_ops())
    group = f"zk://127.0.0.1:{zk.port}/mesos"
    a, a_port = sim("sim-a", "--zk", group, "--scenario", scenario)
    b, b_port = sim("sim-b", "--zk", group, "--scenario", scenario)
    _, api = apiserver("api-zk", zk, group)
    wait(lambda: status(api).get("subscribed") and status(api)["leader"] == f"http://127.0.0.1:{a_port}",
         "subscribed to the first registered master (lowest json.info_)")
    check(http(b_port, "/sim/v1/status")["leading"] is False, "sim-b follows")
    want3 = ["198.18.1.1:31000", "198.18.1.1:31001", "198.18.1.2:31000"]
    wait(lambda: endpoints(api, pool) == want3, "3 endpoints of /prod/web")
    watch_out = open(f"{work}/watch.jsonl", "w")
    watcher = subprocess.Popen([args.edgelbctl, "--insecure", "--server", f"127.0.0.1:{api}", "tasks", "--watch"],
                               stdout=watch_out, stderr=subprocess.STDOUT)
    procs.append(watcher)

    def watch_lines():
        return [json.loads(x) for x in open(f"{work}/watch.jsonl").read().splitlines() if x.strip()]

    wait(lambda: watch_lines() and watch_lines()[0].get("resync"), "the watch starts with a resync")
    check(sum(1 for c in watch_lines()[0]["changes"] if "task" in c) == 3, "resync carries the 3 tasks")

    # Scaling and health, mirrored on both masters.
    op([a_port, b_port], {"op": "scale", "framework_id": FW, "app_id": "/prod/web", "instances": 4, "port": 31000, "port_name": "http"})
    wait(lambda: len(endpoints(api, pool)) == 4, "scaled to 4")
    op([a_port, b_port], {"op": "add_task", "framework_id": FW, "task_id": "prod_web.checked-1", "agent_id": "agent-S2",
                          "ports": [{"number": 31500, "name": "http"}], "health_check": True})
    wait(lambda: "198.18.1.2:31500(not ready)" in endpoints(api, pool, "--all"), "health-checked task known, not ready")
    check("198.18.1.2:31500" not in endpoints(api, pool), "an unreported health check is not ready")
    op([a_port, b_port], {"op": "update_task", "framework_id": FW, "task_id": "prod_web.checked-1", "healthy": True})
    wait(lambda: "198.18.1.2:31500" in endpoints(api, pool), "healthy -> ready")
    op([a_port, b_port], {"op": "update_task", "framework_id": FW, "task_id": "prod_web.checked-1", "healthy": False})
    wait(lambda: "198.18.1.2:31500" not in endpoints(api, pool), "unhealthy -> not ready")
    op([a_port, b_port], {"op": "kill_task", "framework_id": FW, "task_id": "prod_web.checked-1"})
    wait(lambda: "198.18.1.2:31500(not ready)" not in endpoints(api, pool, "--all"), "killed task removed")
    before = tasks(api)
    check(len(before) == 4, f"4 tasks: {before}")
    time.sleep(0.5)
    lines_before = len(watch_lines())

    # Failover: the leader goes away; ZooKeeper names sim-b; the new SUBSCRIBED changes nothing.
    a.send_signal(signal.SIGTERM)
    a.wait(timeout=10)
    wait(lambda: status(api).get("subscribed") and status(api)["leader"] == f"http://127.0.0.1:{b_port}",
         "failed over to sim-b through ZooKeeper")
    check(http(b_port, "/sim/v1/status")["leading"] is True, "sim-b leads")
    check(tasks(api) == before, "same tasks after failover")
    check(counter(api, "subscriptions") == 2, "two subscriptions")
    time.sleep(1.0)
    check(len(watch_lines()) == lines_before, "watchers saw no change across the failover")
    op([b_port], {"op": "scale", "framework_id": FW, "app_id": "/prod/web", "instances": 5, "port": 31000, "port_name": "http"})
    wait(lambda: len(endpoints(api, pool)) == 5, "new leader's events arrive")
    wait(lambda: len(watch_lines()) > lines_before, "watchers see the new task")
    check(any(c.get("task", {}).get("app_id") == "/prod/web" for c in watch_lines()[-1]["changes"]), "the change is the task")
    eps5 = endpoints(api, pool)

    # Heartbeats stop: the listener gives up after 3 intervals and resubscribes.
    http(b_port, "/sim/v1/fault", {"kind": "mute_heartbeats"})
    wait(lambda: counter(api, "heartbeat_timeouts") >= 1, "heartbeat timeout")
    wait(lambda: status(api).get("subscribed") and counter(api, "subscriptions") == 3, "resubscribed after heartbeat loss")
    check(endpoints(api, pool) == eps5, "endpoints kept across the heartbeat loss")

    # A garbage record: counted and skipped, the stream stays.
    http(b_port, "/sim/v1/fault", {"kind": "garbage"})
    wait(lambda: counter(api, "invalid_records") == 1, "garbage record counted")
    check(counter(api, "subscriptions") == 3, "garbage does not resubscribe")
    # Broken framing: counted, resubscribed from a fresh snapshot.
    http(b_port, "/sim/v1/fault", {"kind": "bad_length"})
    wait(lambda: counter(api, "framing_errors") == 1 and counter(api, "subscriptions") == 4 and status(api)["subscribed"],
         "framing error -> resubscribe")
    # The stream ends inside a record.
    http(b_port, "/sim/v1/fault", {"kind": "truncate"})
    wait(lambda: counter(api, "truncated_records") == 1 and counter(api, "subscriptions") == 5 and status(api)["subscribed"],
         "truncated record -> resubscribe")
    http(b_port, "/sim/v1/fault", {"kind": "drop"})
    wait(lambda: counter(api, "subscriptions") == 6 and status(api)["subscribed"], "dropped connection -> resubscribe")
    check(endpoints(api, pool) == eps5, "endpoints kept through every fault")
    apilog = open(f"{work}/api-zk.log").read()
    # Its place in the stream depends on whether a heartbeat (every 0.5 s) came before it.
    garbage = re.findall(r"record \d+ skipped: invalid JSON: .*in \"\{this is not json\"", apilog)
    check(len(garbage) == 1, "the garbage record is logged once with context")
    check("RecordIO framing error: unexpected byte 0x78" in apilog, "the framing error is logged with context")


def url_list_redirects(zk, pool):
    scenario = write("cluster.json", cluster_ops())
    _, c_port = sim("sim-c", "--scenario", scenario)
    _, d_port = sim("sim-d", "--scenario", scenario, "--follower", "--leader", f"127.0.0.1:{c_port}")
    _, e_port = sim("sim-e", "--follower")  # knows no leader: 503
    _, api = apiserver("api-urls", zk, f"http://127.0.0.1:{e_port},127.0.0.1:{d_port}")
    wait(lambda: status(api).get("subscribed") and status(api)["leader"] == f"http://127.0.0.1:{c_port}",
         "503 from sim-e, 307 from sim-d to sim-c")
    st = status(api)
    check(int(st.get("unavailable", 0)) >= 1 and int(st.get("redirects", 0)) >= 1, f"503 and 307 counted: {st}")
    wait(lambda: len(endpoints(api, pool)) == 3, "endpoints through the redirected stream")
    # Leadership moves to sim-d: sim-c drops its streams and redirects; the listener follows.
    http(d_port, "/sim/v1/leader", {"leading": True})
    http(c_port, "/sim/v1/leader", {"leading": False, "leader": f"127.0.0.1:{d_port}"})
    wait(lambda: status(api).get("subscribed") and status(api)["leader"] == f"http://127.0.0.1:{d_port}",
         "followed the leader to sim-d")
    check(len(endpoints(api, pool)) == 3, "same endpoints on the new leader")


def replay_recorded_stream(zk):
    stream = f"{args.fixtures}/real/dcos-net_operator-api.stream.jsonl"
    _, f_port = sim("sim-f", "--replay", stream, "--replay-interval-ms", "2", "--chunk-bytes", "7")
    _, api = apiserver("api-replay", zk, f"http://127.0.0.1:{f_port}")
    wait(lambda: http(f_port, "/sim/v1/status")["replay_done"], "replay finished", timeout=30)
    wait(lambda: counter(api, "records") >= 38, "all 38 records received")
    st = status(api)
    check(int(st.get("invalid_records", 0)) == 0 and int(st.get("framing_errors", 0)) == 0, f"clean replay: {st}")
    pool = write("replay-pool.json", {
        "apiVersion": "V2", "name": "replay",
        "haproxy": {"frontends": [{"bindPort": 80, "protocol": "HTTP", "linkBackend": {"defaultBackend": "apps"}}],
                    "backends": [{"name": "apps", "protocol": "HTTP", "services": [
                        {"marathon": {"serviceIDPattern": "^/docker-"}, "endpoint": {"portName": "http"}},
                        {"marathon": {"serviceIDPattern": "^/pod-", "containerName": "app"}, "endpoint": {"portName": "http"}}]}]}})
    got = endpoints(api, pool)
    want = sorted(["172.17.0.4:20560", "9.0.2.130:8080", "172.17.0.4:31168", "172.19.0.2:8080", "fd01:b::2:8000:0:2:8080",
                   "172.17.0.3:2254", "9.0.1.3:8080", "172.17.0.4:28064"])
    check(got == want, f"replayed endpoints {got} != {want}")
    check(len(tasks(api)) == 12, "12 tasks")


def main():
    global args, work
    ap = argparse.ArgumentParser()
    for k in ("apiserver", "edgelbctl", "sim", "fixtures"):
        ap.add_argument(f"--{k}", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="edgelb-mesos-e2e-")
    zk = ZooKeeper(work)
    ok = False
    try:
        zk.start()
        pool = write("pool.json", {
            "apiVersion": "V2", "name": "web",
            "haproxy": {"frontends": [{"bindPort": 80, "protocol": "HTTP", "linkBackend": {"defaultBackend": "web"}}],
                        "backends": [{"name": "web", "protocol": "HTTP", "services": [
                            {"marathon": {"serviceID": "/prod/web"}, "endpoint": {"portName": "http"}}]}]}})
        for phase in (zk_failover_and_faults, url_list_redirects):
            t0 = time.time()
            phase(zk, pool)
            print(f"ok {phase.__name__} ({time.time() - t0:.1f}s)")
        t0 = time.time()
        replay_recorded_stream(zk)
        print(f"ok replay_recorded_stream ({time.time() - t0:.1f}s)")
        ok = True
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.kill()
                p.wait()
        if ok:
            subprocess.run(["rm", "-rf", work])
        else:
            for name in sorted(os.listdir(work)):
                if name.endswith(".log"):
                    print(f"--- {name}\n" + open(f"{work}/{name}").read()[-3000:])
    print(f"mesos-listener end to end: {checks} checks passed")


if __name__ == "__main__":
    main()
