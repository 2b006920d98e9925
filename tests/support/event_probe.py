"""Mesos event -> live, measured from inside the appliance's namespace (where the simulator's
control API, the dataplane's control socket and HAProxy's stats socket all are), so that no
process start sits between the event and the clock. Reads JSON on stdin: one request, or a list
of them (measured one after another), each
  {"sims": [PORT], "ops": [simulator ops],         the event: one POST to each simulator
   "dpctl": BIN, "socket": PATH, "service": NAME, "address": IP, "state": up|drain|down|absent,
   "haproxy": {"socket": PATH, "backend": NAME, "port": 80, "live": true}   (optional)}
and prints {"dataplane_ms": ..., "haproxy_ms": ... or null, "table_version": ...} (a list for a
list): from just before the POST until `edgelb-dpctl wait` saw the backend in that state (a
table every worker already runs: a publish returns after the RCU grace period) and until
HAProxy's `show servers state` had it taking requests (live) or not."""
import json
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from support.haproxy_cli import servers  # noqa: E402


def post(port, ops):
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/sim/v1/op", data=json.dumps(ops).encode(),
                                                  headers={"Content-Type": "application/json"}), timeout=10).read()


def measure(req):
    waiter = subprocess.Popen([req["dpctl"], "--socket", req["socket"], "wait", req["service"], req["address"],
                               "--state", req["state"], "--timeout-ms", "20000"], stdout=subprocess.PIPE, text=True)
    if waiter.stdout.readline().strip() != "polling":  # it has looked once: the state before
        sys.exit(f"dataplane: {req['service']} {req['address']} was {req['state']} before the event")
    t0 = time.monotonic()
    for port in req["sims"]:
        post(port, req["ops"])
    hp_ms = None
    hp = req.get("haproxy")
    if hp:
        deadline = t0 + 20
        while True:
            st = servers(hp["socket"], hp["backend"]).get((req["address"], hp.get("port", 80)))
            if (st is not None and not st & 0x3b) == hp["live"]:
                hp_ms = (time.monotonic() - t0) * 1000.0
                break
            if time.monotonic() > deadline:
                sys.exit(f"HAProxy: {req['address']} in {hp['backend']} never became live={hp['live']}")
            time.sleep(0.001)
    out, _ = waiter.communicate(timeout=30)
    if waiter.returncode != 0:
        sys.exit(f"dataplane: {req['service']} {req['address']} never became {req['state']}")
    seen = json.loads(out.strip().splitlines()[-1])
    return {"dataplane_ms": seen["seen_monotonic_ns"] / 1e6 - t0 * 1000.0, "haproxy_ms": hp_ms,
            "table_version": seen["table_version"]}


if __name__ == "__main__":
    req = json.load(sys.stdin)
    print(json.dumps([measure(r) for r in req] if isinstance(req, list) else measure(req)))
