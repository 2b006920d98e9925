#!/usr/bin/env python3
"""perf/bench.sh apiserver: a real ZooKeeper (standalone, loopback) and edgelb-apiserver with
mutual TLS, driven by edgelb-apiserver-bench: create/update latency and throughput, ListPools
with 1000 pools. Writes JSON + a markdown table."""
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import harness  # noqa: E402
from support import apiserver, processes, zookeeper  # noqa: E402


def main():
    h = harness.Scenario("apiserver", __doc__, seconds=5, min_seconds=1, max_seconds=60)
    h.arg("--build", default="build")
    h.arg("--pools", type=int, default=1000)
    a = h.parse()
    work = tempfile.mkdtemp(prefix="edgelb-apiserver-bench-")
    try:
        certs = f"{work}/certs"
        subprocess.run([f"{a.build}/controlplane/edgelbctl", "certs", "init", "--dir", certs], check=True,
                       capture_output=True)
        with open(f"{work}/secret.key", "wb") as f:
            f.write(os.urandom(32))
        os.chmod(f"{work}/secret.key", 0o600)
        zk = zookeeper.ZooKeeper(work)
        zk.start()
        _, port = apiserver.start_apiserver(f"{a.build}/controlplane/edgelb-apiserver", work, zk, certs)
        r = subprocess.run([f"{a.build}/perf/edgelb-apiserver-bench", "--server", f"127.0.0.1:{port}", "--certs-dir",
                            certs, "--seconds", str(a.seconds), "--list-pools", str(a.pools)],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            sys.exit("apiserver bench failed: " + r.stderr)
        res = json.loads(r.stdout.strip().splitlines()[-1])
    finally:
        processes.kill_all()
        shutil.rmtree(work, ignore_errors=True)
    res["setup"] = {"zookeeper": "standalone 3.8 (Debian), loopback, tickTime 250 ms, fsync on",
                    "transport": "gRPC over mutual TLS on loopback", "cpus": os.cpu_count(),
                    "machine": platform.machine()}
    rows = [("create, sequential", res["create_sequential"], "-"),
            ("update (compare-and-set), sequential", res["update_sequential"], "-"),
            (f"update, {res['update_concurrent']['clients']} clients", res["update_concurrent"],
             f"{res['update_concurrent']['per_second']:.0f}/s"),
            (f"create, {res['create_concurrent']['clients']} clients", res["create_concurrent"],
             f"{res['create_concurrent']['per_second']:.0f}/s"),
            (f"ListPools with {res['list']['pools']} pools", res["list"], "-")]
    f = io.StringIO()  # the markdown report
    f.write("# apiserver\n\n`perf/bench.sh apiserver`: edgelb-apiserver (mutual TLS) on a real ZooKeeper, "
            f"{res['config_bytes']}-byte pool configs, {os.cpu_count()} CPUs shared by ZooKeeper, the apiserver "
            "and the client.\n\n| operation | samples | p50 ms | p99 ms | max ms | throughput |\n|---|---|---|---|---|---|\n")
    for name, s, tput in rows:
        f.write(f"| {name} | {s['samples']} | {s['p50_ms']:.2f} | {s['p99_ms']:.2f} | {s['max_ms']:.2f} | {tput} |\n")
    f.write(f"\nListPools reply: {res['list']['reply_bytes']} bytes.\n")
    h.write(res, f.getvalue())


if __name__ == "__main__":
    main()
