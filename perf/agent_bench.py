#!/usr/bin/env python3
"""perf/bench.sh agent: edgelb-agent's numbers, everything on loopback.

End to end: ZooKeeper + edgelb-mesos-sim (100 Marathon apps x 10 tasks on 10 agents at
127.0.1.x) + edgelb-apiserver's mesos-listener + edgelb-agent running HAProxy for one pool of
100 backends (one per app, health checks off: nothing is ever sent to the tasks).
  - Mesos event -> server live in HAProxy: a task's health flipped through the simulator's
    control API (the event), until HAProxy's runtime state (`show servers state` on the stats
    socket) shows that server drained / ready again; p50/p99 over --samples changes.
  - HAProxy reloads during those changes (master CLI `show proc`): the target is 0.
  - Pool update -> new configuration live: from `edgelbctl update` returning (the new version
    is stored) until the master reports a new worker; p50/p99.
  - The agent's memory (VmRSS) with that pool.
  - Fan-out: --fanout-pools pools (one app each) shared out among --fanout-agents agents
    (count 1 each, so that many HAProxy instances in all); the apiserver's and the agents' CPU
    time per Mesos batch (one task health flip), idle time subtracted.
In process (edgelb-agent-render-bench): rendering a pool of 100 backends x 50 servers.
--agent-bin runs another edgelb-agent binary (an older build, for before/after figures).
Writes JSON + a markdown table."""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import harness  # noqa: E402
from support import processes, zookeeper  # noqa: E402
from support.haproxy_cli import master_reloads, servers, workers  # noqa: E402
from support.measure import cpu_model, pct  # noqa: E402

FW = "b0b1b2b3-0000-4000-8000-0000000a6e47-0001"


def start(cmd, work, name, ready=True):
    args = cmd + (["--ready-file", f"{work}/{name}.port"] if ready else [])
    p = subprocess.Popen(args, stdout=open(f"{work}/{name}.log", "w"), stderr=subprocess.STDOUT)
    processes.procs.append(p)
    if not ready:
        return p
    deadline = time.time() + 30
    path = f"{work}/{name}.port"
    while not (os.path.exists(path) and open(path).read().strip()):
        if p.poll() is not None or time.time() > deadline:
            raise SystemExit(f"{name} did not start: " + open(f"{work}/{name}.log").read()[-2000:])
        time.sleep(0.05)
    return int(open(path).read())


def sim_op(port, ops):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/sim/v1/op", data=json.dumps(ops).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=120).read()


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/PID/stat)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fanout(a, b, work, zk_port, sim, api, api_pid, ctl, entries):
    """The apiserver's (and the agents') CPU per Mesos batch with many pools on several agents."""
    for i in range(a.fanout_pools):
        pool = {"apiVersion": "V2", "name": f"fan-{i}", "haproxy": {
            "stats": {"bindAddress": "127.0.0.1", "bindPort": 0},
            "frontends": [{"bindAddress": "127.0.0.1", "bindPort": 0, "protocol": "HTTP",
                           "linkBackend": {"defaultBackend": "app"}}],
            "backends": [{"name": "app", "protocol": "HTTP",
                          "services": [{"marathon": {"serviceID": f"/bench/app-{i % a.apps}"},
                                        "endpoint": {"portName": "web", "check": {"enabled": False}}}]}]}}
        with open(f"{work}/fan.json", "w") as f:
            json.dump(pool, f)
        subprocess.run(ctl + ["create", f"{work}/fan.json"], check=True, capture_output=True)
    agents, states = [], []
    for k in range(a.fanout_agents):
        state = f"{work}/fan-agent-{k}"
        states.append(state)
        first = 30000 + k * 1000
        with open(f"{work}/fan-{k}.yaml", "w") as f:
            f.write(f"node: {{name: fan-node-{k}}}\nzookeeper: {{connect: \"127.0.0.1:{zk_port}\"}}\n"
                    f"apiserver: {{address: \"127.0.0.1:{api}\", insecure: true}}\nstate_dir: {state}\n"
                    f"haproxy: {{min_reload_interval_ms: 500, drain_timeout_ms: 60000, "
                    f"port_range: [{first}, {first + 999}]}}\n")
        agents.append(start([a.agent_bin, "-c", f"{work}/fan-{k}.yaml"], work, f"fan-agent-{k}", ready=False))
    try:
        t0 = time.time()
        while True:
            running = sum(os.path.exists(f"{st}/pools/fan-{i}/run/stats.sock")
                          for st in states for i in range(a.fanout_pools))
            if running >= a.fanout_pools:
                break
            if time.time() - t0 > 300:
                raise SystemExit(f"only {running} of {a.fanout_pools} fan-out pools started: "
                                 + open(f"{work}/fan-agent-0.log").read()[-3000:])
            time.sleep(0.5)
        time.sleep(3)  # the instances' first endpoints and registrations settle
        per_agent = [sum(os.path.exists(f"{st}/pools/fan-{i}/run/stats.sock") for i in range(a.fanout_pools))
                     for st in states]
        pids = [api_pid] + [p.pid for p in agents]
        idle_s = 5.0
        c0 = [cpu_seconds(p) for p in pids]
        time.sleep(idle_s)
        c1 = [cpu_seconds(p) for p in pids]
        idle_rate = [(y - x) / idle_s for x, y in zip(c0, c1)]
        rng = random.Random(11)
        fan_entries = [e for e in entries if int(e[1].split("-")[1]) < min(a.apps, a.fanout_pools)]
        t1 = time.time()
        c2 = [cpu_seconds(p) for p in pids]
        for n in range(a.fanout_batches):
            tid = fan_entries[rng.randrange(len(fan_entries))][0]
            sim_op(sim, [{"op": "update_task", "framework_id": FW, "task_id": tid, "healthy": n % 2 == 1}])
            time.sleep(0.05)
        time.sleep(2)
        c3 = [cpu_seconds(p) for p in pids]
        wall = time.time() - t1
        busy = [(y - x) - r * wall for x, y, r in zip(c2, c3, idle_rate)]
        return {"fanout_pools": a.fanout_pools, "fanout_agents": a.fanout_agents, "fanout_batches": a.fanout_batches,
                "fanout_pools_per_agent": per_agent,
                "apiserver_cpu_ms_per_batch": round(busy[0] * 1000 / a.fanout_batches, 2),
                "agents_cpu_ms_per_batch": round(sum(busy[1:]) * 1000 / a.fanout_batches, 2),
                "apiserver_idle_cpu_pct": round(idle_rate[0] * 100, 2)}
    finally:
        for p in agents:
            p.terminate()  # each stops its HAProxy instances (stop_on_exit)
        for p in agents:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
        for st in states:
            for i in range(a.fanout_pools):
                try:
                    os.kill(int(open(f"{st}/pools/fan-{i}/run/master.pid").read()), 9)
                except (OSError, ValueError):
                    pass


def main():
    h = harness.Scenario("agent", __doc__, seconds=None)
    h.arg("--build", default="build")
    h.arg("--apps", type=int, default=100)
    h.arg("--tasks", type=int, default=10)
    h.arg("--samples", type=int, default=300)
    h.arg("--updates", type=int, default=20)
    h.arg("--fanout-pools", type=int, default=100)
    h.arg("--fanout-agents", type=int, default=4)
    h.arg("--fanout-batches", type=int, default=100)
    h.arg("--agent-bin", default="")
    a = h.parse()
    b = a.build
    a.agent_bin = a.agent_bin or f"{b}/controlplane/edgelb-agent"
    work = tempfile.mkdtemp(prefix="edgelb-agent-bench-")
    agent_state = f"{work}/agent"
    try:
        render = json.loads(subprocess.run([f"{b}/perf/edgelb-agent-render-bench"], capture_output=True, text=True,
                                           check=True).stdout)
        zk = zookeeper.ZooKeeper(work)
        zk.start()
        sim = start([f"{b}/controlplane/edgelb-mesos-sim", "--port", "0", "--heartbeat", "15"], work, "sim")
        agents = [f"127.0.1.{i + 1}" for i in range(10)]
        ops = [{"op": "add_framework", "id": FW, "name": "marathon"}]
        ops += [{"op": "add_agent", "id": f"agent-{i}", "hostname": h} for i, h in enumerate(agents)]
        ops += [{"op": "scale", "framework_id": FW, "app_id": f"/bench/app-{i}", "instances": a.tasks,
                 "port": 20000 + i, "port_name": "web", "health_check": True, "healthy": True} for i in range(a.apps)]
        sim_op(sim, ops)
        api = start([f"{b}/controlplane/edgelb-apiserver", "--zk", f"127.0.0.1:{zk.port}", "--insecure", "--listen",
                     "127.0.0.1:0", "--anonymous-role", "admin", "--mesos", f"http://127.0.0.1:{sim}"], work, "apiserver")
        api_proc = processes.procs[-1]
        fe, st = processes.free_port(), processes.free_port()
        pool = {"apiVersion": "V2", "name": "bench", "haproxy": {
            "stats": {"bindAddress": "127.0.0.1", "bindPort": st},
            "frontends": [{"bindAddress": "127.0.0.1", "bindPort": fe, "protocol": "HTTP",
                           "linkBackend": {"defaultBackend": "app-0",
                                           "map": [{"hostEq": f"app-{i}.example.com", "backend": f"app-{i}"}
                                                   for i in range(a.apps)]}}],
            "backends": [{"name": f"app-{i}", "protocol": "HTTP", "miscStrs": [],
                          "services": [{"marathon": {"serviceID": f"/bench/app-{i}"},
                                        "endpoint": {"portName": "web", "check": {"enabled": False}}}]}
                         for i in range(a.apps)]}}
        with open(f"{work}/pool.json", "w") as f:
            json.dump(pool, f)
        ctl = [f"{b}/controlplane/edgelbctl", "--insecure", "--server", f"127.0.0.1:{api}"]
        subprocess.run(ctl + ["create", f"{work}/pool.json"], check=True, capture_output=True)
        metrics_port = processes.free_port()
        with open(f"{work}/agent.yaml", "w") as f:
            f.write(f"node: {{name: bench-node}}\nzookeeper: {{connect: \"127.0.0.1:{zk.port}\"}}\n"
                    f"apiserver: {{address: \"127.0.0.1:{api}\", insecure: true}}\nstate_dir: {agent_state}\n"
                    "haproxy: {min_reload_interval_ms: 500, drain_timeout_ms: 60000}\n"
                    f"metrics: {{listen: \"127.0.0.1:{metrics_port}\"}}\n")
        agent = start([a.agent_bin, "-c", f"{work}/agent.yaml"], work, "agent", ready=False)
        run = f"{agent_state}/pools/bench/run"
        stats_sock, master_sock = f"{run}/stats.sock", f"{run}/master.sock"
        total = a.apps * a.tasks
        t0 = time.time()
        while True:
            try:
                live = [k for k, v in servers(stats_sock).items() if k[0] != "0.0.0.0" and not v & 0x3b]
                if len(live) == total:
                    break
            except OSError:
                pass
            if time.time() - t0 > 120:
                raise SystemExit("HAProxy did not get every server: " + open(f"{work}/agent.log").read()[-2000:])
            time.sleep(0.1)
        start_s = time.time() - t0

        tasks = json.loads(subprocess.run(ctl + ["--json", "tasks"], capture_output=True, text=True, check=True).stdout)
        hosts = {ag["id"]: ag["hostname"] for ag in tasks["agents"]}
        entries = [(t["task_id"], t["app_id"].split("/")[-1], hosts[t["agent_id"]], t["ports"][0]["number"])
                   for t in tasks["tasks"]]
        if os.environ.get("BENCH_PROBE_ENDPOINTS"):
            for args in (["--file", f"{work}/pool.json"], ["bench"]):
                t1 = time.perf_counter()
                for _ in range(10):
                    subprocess.run(ctl + ["endpoints", "--backends", *args], capture_output=True, check=True)
                print("endpoints", args, (time.perf_counter() - t1) * 100, "ms each")
            t1 = time.perf_counter()
            for _ in range(10):
                subprocess.run(ctl + ["ping"], capture_output=True, check=True)
            print("ping", (time.perf_counter() - t1) * 100, "ms each")
        reloads0 = master_reloads(master_sock)
        rng = random.Random(7)
        lat = []
        for i in range(a.samples):
            tid, backend, addr, port = entries[rng.randrange(len(entries))] if i % 2 == 0 else last
            healthy = i % 2 == 1  # drain, then back
            t1 = time.perf_counter()
            sim_op(sim, [{"op": "update_task", "framework_id": FW, "task_id": tid, "healthy": healthy}])
            while True:
                state = servers(stats_sock, backend).get((addr, port))
                if state is not None and bool(state & 0x18) != healthy:
                    break
                if time.perf_counter() - t1 > 10:
                    raise SystemExit(f"{tid} never changed in HAProxy")
                time.sleep(0.001)  # poll, leaving the CPUs to the system under test
            lat.append((time.perf_counter() - t1) * 1000)
            last = (tid, backend, addr, port)
        reloads = master_reloads(master_sock) - reloads0
        # The agent's own view: endpoints pushed -> runtime commands done (its histogram).
        hist = {}
        for ln in urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode().splitlines():
            if ln.startswith("edgelb_agent_event_to_applied_seconds_bucket"):
                hist[float(ln.split('le="')[1].split('"')[0])] = float(ln.split()[-1])
        n = max(hist.values()) if hist else 0
        agent_p50 = next((le for le, c in sorted(hist.items()) if c >= 0.5 * n), None) if n else None
        agent_p99 = next((le for le, c in sorted(hist.items()) if c >= 0.99 * n), None) if n else None

        upd = []
        for i in range(a.updates):
            pool["haproxy"]["backends"][0]["miscStrs"] = [f"timeout server {30 + i}s"]
            with open(f"{work}/pool.json", "w") as f:
                json.dump(pool, f)
            before = set(workers(master_sock))
            subprocess.run(ctl + ["update", f"{work}/pool.json"], check=True, capture_output=True)
            t1 = time.perf_counter()
            while True:
                try:
                    w = workers(master_sock)
                    if w and w[0] not in before:
                        break
                except OSError:
                    pass
                if time.perf_counter() - t1 > 20:
                    raise SystemExit("the update did not go live")
                time.sleep(0.002)
            upd.append((time.perf_counter() - t1) * 1000)
            time.sleep(0.6)  # past min_reload_interval: each update is its own reload
        rss_kb = int([ln for ln in open(f"/proc/{agent.pid}/status") if ln.startswith("VmRSS")][0].split()[1])
        agent.terminate()  # it would claim the fan-out pools too
        agent.wait(timeout=60)
        fan = fanout(a, b, work, zk.port, sim, api, api_proc.pid, ctl, entries) if a.fanout_pools else {}
        cpu = cpu_model()
        res = {
            "cpu": cpu, "cpus": os.cpu_count(), "apps": a.apps, "tasks_per_app": a.tasks, "servers": total,
            "event_to_live_ms_p50": round(pct(lat, 50), 2), "event_to_live_ms_p99": round(pct(lat, 99), 2),
            "event_to_live_ms_max": round(max(lat), 2), "samples": len(lat),
            "reloads_during_membership_changes": reloads,
            "agent_internal_ms_p50_bucket": agent_p50 and agent_p50 * 1000, "agent_internal_ms_p99_bucket":
                agent_p99 and agent_p99 * 1000,
            "update_to_live_ms_p50": round(pct(upd, 50), 1), "update_to_live_ms_p99": round(pct(upd, 99), 1),
            "updates": len(upd), "agent_start_to_all_servers_s": round(start_s, 2), "agent_rss_mib": round(rss_kb / 1024, 1),
            "render_100x50_ms_p50": round(render["render_total_ms_p50"], 1),
            "render_100x50_mustache_ms_p50": round(render["mustache_ms_p50"], 1),
            "render_100x50_config_bytes": render["config_bytes"], "targets": {"event_to_live_ms_p99": 50,
                                                                             "reloads_per_membership_change": 0},
            "agent_bin": a.agent_bin, **fan,
        }
        h.write(res, f"# edgelb-agent ({res['cpu']}, {res['cpus']} CPUs)\n\n"
                    "| measure | result | target |\n|---|---|---|\n"
                    f"| Mesos event -> server live in HAProxy, {total} servers, {len(lat)} changes | p50 "
                    f"{res['event_to_live_ms_p50']} ms, p99 {res['event_to_live_ms_p99']} ms, max "
                    f"{res['event_to_live_ms_max']} ms | p99 <= 50 ms |\n"
                    f"| of which inside the agent (endpoints pushed -> runtime commands done; histogram bucket) | p50 <= "
                    f"{res['agent_internal_ms_p50_bucket']} ms, p99 <= {res['agent_internal_ms_p99_bucket']} ms | |\n"
                    f"| HAProxy reloads during those changes | {reloads} | 0 |\n"
                    f"| pool update stored -> new worker live ({len(upd)} updates) | p50 {res['update_to_live_ms_p50']} ms, "
                    f"p99 {res['update_to_live_ms_p99']} ms | |\n"
                    f"| agent start -> all {total} servers in HAProxy | {res['agent_start_to_all_servers_s']} s | |\n"
                    f"| agent memory (RSS) with that pool | {res['agent_rss_mib']} MiB | |\n"
                    f"| render 100 backends x 50 servers ({render['config_bytes']} bytes) | "
                    f"{res['render_100x50_ms_p50']} ms (mustache {res['render_100x50_mustache_ms_p50']} ms) | |\n"
                    + (f"| apiserver CPU per Mesos batch, {a.fanout_pools} pools on {a.fanout_agents} agents "
                       f"({fan['fanout_pools_per_agent']}), {a.fanout_batches} batches | "
                       f"{fan['apiserver_cpu_ms_per_batch']} ms | |\n"
                       f"| the agents' CPU per Mesos batch, same run | {fan['agents_cpu_ms_per_batch']} ms | |\n"
                       if fan else ""))
    finally:
        # HAProxy runs in its own session: stop the master the agent started, by its PID.
        try:
            pid = int(open(f"{agent_state}/pools/bench/run/master.pid").read())
            os.kill(pid, 9)
        except (OSError, ValueError):
            pass
        processes.kill_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
