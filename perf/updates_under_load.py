#!/usr/bin/env python3
"""perf/bench.sh updates-under-load: control updates streamed through the control socket
while edgelb-dataplane forwards over memif.

edgelb-pktgen (memif server, lcore 0) sends --rate-pps 64-byte TCP/IPv4 frames over --flows
flows to a DSR VIP; the dataplane (worker lcore 1) returns them. Run 1 (baseline): no updates.
Run 2: edgelb-control-bench issues SetBackend weight flips at --updates-per-s over 100 services
(8 backends each) for the whole run. Reported: apply-to-live latency p50/p99 (the RPC returns
once the new table is live on every worker), the worker's longest loop iteration (a stall) in
both runs, RCU grace periods, and packet loss (target: 0). Processes are stopped by PID; every
run is bounded."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from support.dataplane_run import BUILD, hugepages, pktgen, run_dataplane  # noqa: E402


def run(work, tag, seconds, flows, rate, updates, huge):
    sock = os.path.join(work, tag + ".sock")
    ctl = os.path.join(work, tag + "-control.sock")
    svc = os.path.join(work, "services.yaml")
    with open(svc, "w") as f:
        json.dump({"version": 1, "services": [{"name": "svc0", "vip": "198.18.1.10", "port": 80, "protocol": "tcp",
                   "maglev_table_size": 1021, "backends": [{"address": "198.18.2.%d" % i,
                                                            "mac": "02:00:00:00:02:%02x" % i} for i in range(1, 9)]}]}, f)
    cfg = os.path.join(work, tag + "-dataplane.yaml")
    with open(cfg, "w") as f:
        json.dump({"eal": {"file_prefix": "bench-uul-" + tag, "memory_mb": 1024, "hugepages": "auto" if huge else "off"},
                   "workers": [1], "ports": [{"device": "net_memif0,role=client,socket=" + sock, "mac": "02:00:00:00:00:01"}],
                   "conntrack": {"capacity": 65536}, "control": {"socket": ctl}}, f)
    pg = pktgen(work, sock, seconds, flows, tag, huge, rate)

    def stream_updates():
        if not updates:
            return None
        deadline = time.time() + 10
        while not os.path.exists(ctl) and time.time() < deadline:
            time.sleep(0.05)
        # The client stays off the worker CPU (1), like the dataplane's own control threads.
        r = subprocess.run(["taskset", "-c", "0", os.path.join(BUILD, "perf/edgelb-control-bench"), "--socket", ctl,
                            "--rate", str(updates), "--seconds", str(max(1, seconds - 2))],
                           capture_output=True, text=True, timeout=seconds + 60)
        if r.returncode != 0:
            raise SystemExit("control bench failed: %s %s" % (r.stdout, r.stderr))
        return json.loads(r.stdout.strip().splitlines()[-1])

    res, st, bench = run_dataplane(work, tag, pg, cfg, svc, seconds, stream_updates)
    w = st["workers"][0]
    res["max_loop_us"] = w["max_loop_cycles"] / st["tsc_hz"] * 1e6
    res["rcu"] = st["rcu"]
    res["table_version"] = st["table_version"]
    res["drops"] = {k: v for k, v in st["totals"]["drops"].items() if v}
    res["updates"] = bench
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--flows", type=int, default=10000)
    ap.add_argument("--rate-pps", type=int, default=200000)
    ap.add_argument("--updates-per-s", type=int, default=1000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--md", required=True)
    a = ap.parse_args()
    if not 3 <= a.seconds <= 60:
        raise SystemExit("--seconds must be 3..60")
    huge = hugepages()
    with tempfile.TemporaryDirectory(prefix="edgelb-bench-") as work:
        base = run(work, "baseline", a.seconds, a.flows, a.rate_pps, 0, huge)
        upd = run(work, "updates", a.seconds, a.flows, a.rate_pps, a.updates_per_s, huge)
    u = upd["updates"]
    res = {"scenario": "updates-under-load", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "cpus": os.cpu_count(), "hugepages": huge, "seconds": a.seconds, "flows": a.flows, "offered_pps": a.rate_pps,
           "baseline": base, "with_updates": upd,
           "apply_to_live_us": u["apply_to_live_us"], "updates_target_per_s": a.updates_per_s,
           "updates_achieved_per_s": u["achieved_rate"], "loss_with_updates": upd["loss"],
           "target_zero_loss_met": upd["sent"] > 0 and upd["loss"] == 0.0,
           "target_rate_met": u["achieved_rate"] >= 0.95 * a.updates_per_s}
    json.dump(res, open(a.out, "w"), indent=2)
    with open(a.md, "w") as f:
        f.write("# updates-under-load (%s, %d CPUs, %s)\n\n" % (res["date"], res["cpus"], "hugepages" if huge else "no hugepages"))
        f.write("edgelb-pktgen -> memif -> edgelb-dataplane (1 worker) -> memif, %d pps of 64-byte TCP over %d flows, "
                "%d s per run. Updates: SetBackend weight flips over 100 services x 8 backends (Maglev 1021) through "
                "the control socket, open-loop at %d/s from 4 client threads.\n\n" % (a.rate_pps, a.flows, a.seconds,
                                                                                       a.updates_per_s))
        f.write("| run | updates/s | apply-to-live p50 | p99 | max | worker max loop | RCU max grace | loss |\n"
                "|---|---|---|---|---|---|---|---|\n")
        f.write("| baseline | 0 | - | - | - | %.1f us | %.1f us | %.4f%% |\n" % (
            base["max_loop_us"], base["rcu"]["max_grace_period_ns"] / 1e3, 100 * base["loss"]))
        lat = u["apply_to_live_us"]
        f.write("| with updates | %.0f | %.0f us | %.0f us | %.0f us | %.1f us | %.1f us | %.4f%% |\n" % (
            u["achieved_rate"], lat["p50"], lat["p99"], lat["max"], upd["max_loop_us"],
            upd["rcu"]["max_grace_period_ns"] / 1e3, 100 * upd["loss"]))
        f.write("\nZero loss: **%s**. Update rate reached: **%s** (%d published tables).\n" % (
            "met" if res["target_zero_loss_met"] else "MISSED", "met" if res["target_rate_met"] else "MISSED",
            upd["rcu"]["publishes"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
