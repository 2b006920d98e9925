#!/usr/bin/env python3
"""perf/bench.sh mesos: the mesos-listener's numbers. In process: events decoded per second
(RecordIO + JSON, and + model apply) over the recorded production stream, and model memory per
task. End to end: ZooKeeper + edgelb-mesos-sim with 10 000 running tasks + edgelb-apiserver's
listener; edgelb-mesos-bench flips task health through the simulator and times the change's
arrival on a Watch stream (p50/p99). Writes JSON + a markdown table."""
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import harness  # noqa: E402
from support import processes, zookeeper  # noqa: E402

FW = "f1e2d3c4-0000-4000-8000-000000000001-0001"


def bench(build, *a):
    r = subprocess.run([f"{build}/perf/edgelb-mesos-bench", *a], capture_output=True, text=True, timeout=int(os.environ.get("BENCH_TIMEOUT", "600")))
    if r.returncode != 0:
        raise SystemExit(f"edgelb-mesos-bench {' '.join(a)}: {r.stderr}")
    return json.loads(r.stdout)


def start(cmd, work, name):
    ready = f"{work}/{name}.port"
    p = subprocess.Popen(cmd + ["--ready-file", ready], stdout=open(f"{work}/{name}.log", "w"), stderr=subprocess.STDOUT)
    processes.procs.append(p)
    deadline = time.time() + 30
    while not (os.path.exists(ready) and open(ready).read().strip()):
        if p.poll() is not None or time.time() > deadline:
            raise SystemExit(f"{name} did not start: " + open(f"{work}/{name}.log").read()[-2000:])
        time.sleep(0.05)
    return int(open(ready).read())


def main():
    h = harness.Scenario("mesos", __doc__, seconds=None)
    h.arg("--build", default="build")
    h.arg("--stream", required=True)
    h.arg("--tasks", type=int, default=10000)
    h.arg("--samples", type=int, default=300)
    a = h.parse()
    work = tempfile.mkdtemp(prefix="edgelb-mesos-bench-")
    try:
        decode = bench(a.build, "--mode", "decode", "--stream", a.stream, "--seconds", "2")
        memory = [bench(a.build, "--mode", "memory", "--tasks", str(n)) for n in (1000, a.tasks, 10 * a.tasks)]
        zk = zookeeper.ZooKeeper(work)
        zk.start()
        sim = start([f"{a.build}/controlplane/edgelb-mesos-sim", "--port", "0", "--heartbeat", "15"], work, "sim")
        ops = [{"op": "add_framework", "id": FW, "name": "marathon"}]
        ops += [{"op": "add_agent", "id": f"agent-S{i}", "hostname": f"198.18.1.{i + 1}"} for i in range(20)]
        ops.append({"op": "scale", "framework_id": FW, "app_id": "/bench/web", "instances": a.tasks, "port": 31000})
        req = urllib.request.Request(f"http://127.0.0.1:{sim}/sim/v1/op", data=json.dumps(ops).encode(),
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=120).read()
        api = start([f"{a.build}/controlplane/edgelb-apiserver", "--zk", f"127.0.0.1:{zk.port}", "--insecure",
                     "--listen", "127.0.0.1:0", "--anonymous-role", "viewer", "--mesos", f"http://127.0.0.1:{sim}"],
                    work, "apiserver")
        t0 = time.time()
        while True:
            out = subprocess.run([f"{a.build}/controlplane/edgelbctl", "--insecure", "--server", f"127.0.0.1:{api}",
                                  "--json", "tasks"], capture_output=True, text=True)
            if out.returncode == 0 and len(json.loads(out.stdout).get("tasks", [])) == a.tasks:
                break
            if time.time() - t0 > 120:
                raise SystemExit("the listener did not reach the simulator's task count")
            time.sleep(0.2)
        snapshot_s = time.time() - t0
        lat = bench(a.build, "--mode", "latency", "--server", f"127.0.0.1:{api}", "--sim", f"http://127.0.0.1:{sim}",
                    "--framework", FW, "--samples", str(a.samples))
    finally:
        for p in reversed(processes.procs):
            if p.poll() is None:
                p.kill()
                p.wait()
        if os.environ.get("KEEP_WORK") is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("work dir", work)
    result = {
        "scenario": "mesos",
        "host": {"cpus": os.cpu_count(), "machine": platform.machine()},
        "decode": decode,
        "memory": memory,
        "watch_latency": lat,
        "subscribe_to_list_s": round(snapshot_s, 2),
        "method": "decode/memory in process (edgelb-mesos-bench); latency: sim control POST -> change on an "
                  "edgelb.v1.MesosListener Watch stream, all on loopback on one machine",
    }
    rows = [
        ("events decoded per second (RecordIO + JSON)", f"{decode['decode_events_per_s']:.0f}"),
        ("events decoded + applied to the model per second", f"{decode['decode_apply_events_per_s']:.0f}"),
        ("mean event size (recorded stream)", f"{decode['bytes_per_event']:.0f} B"),
    ]
    rows += [(f"model memory per task ({m['tasks']} tasks)", f"{m['bytes_per_task']:.0f} B") for m in memory]
    rows += [
        (f"sim event -> Watch client latency, p50 ({lat['tasks']} tasks)", f"{lat['p50_ms']:.2f} ms"),
        (f"sim event -> Watch client latency, p99 ({lat['tasks']} tasks)", f"{lat['p99_ms']:.2f} ms"),
        ("listener start -> List shows every task (polled every 0.2 s)", f"{snapshot_s:.2f} s"),
    ]
    f = io.StringIO()  # the markdown report
    f.write("# perf/bench.sh mesos\n\n| measure | value |\n|---|---|\n")
    for k, v in rows:
        f.write(f"| {k} | {v} |\n")
    f.write(f"\nHost: {os.cpu_count()} CPUs shared by ZooKeeper, the simulator, the apiserver and the client. "
            "Latency includes the simulator's control HTTP call (loopback).\n")
    h.write(result, f.getvalue())
    print(f.getvalue())


if __name__ == "__main__":
    main()
