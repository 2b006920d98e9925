#!/usr/bin/env python3
"""perf/bench.sh exception-path: how fast the dataplane punts to the kernel through its TAP,
and what punting costs the fast path.

edgelb-pktgen (memif server, lcore 0) sends 64-byte TCP/IPv4 at full rate; the dataplane (worker
lcore 1) runs inside a network namespace this script creates and removes (its TAP exception
interface lives there, so punted frames reach that namespace's kernel only). Three runs:
  fast-only     all frames to the L4 VIP 198.18.1.10:80
  mixed         9 of 10 flows to :80, 1 of 10 to :81 (not a service: punted as local_address),
                default punt limit (100 000 pps)
  mixed-nolimit the same with punt_rate_pps 0 (the TAP/kernel path at its own limit)
Reported per run: offered and returned Mpps, fast-path forwarded Mpps, punted frames/s that
reached the kernel, rate-limit and TAP drops, worker cycles/packet."""
import io
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import harness  # noqa: E402
from support.dataplane_run import hugepages, pktgen, run_dataplane  # noqa: E402

VIP = "198.18.1.10"


def run(work, ns, tag, seconds, flows, mixed, punt_rate, huge):
    # A filesystem socket: memif's default abstract socket would not cross into the namespace.
    sock = os.path.join(work, tag + ".sock") + ",socket-abstract=no"
    svc = os.path.join(work, "services.yaml")
    with open(svc, "w") as f:
        json.dump({"version": 1, "services": [{"name": "web", "vip": VIP, "port": 80, "protocol": "tcp",
                   "backends": [{"address": "198.18.2.%d" % i, "mac": "02:00:00:00:02:%02x" % i}
                                for i in range(1, 17)]}]}, f)
    cfg = os.path.join(work, tag + "-dataplane.yaml")
    with open(cfg, "w") as f:
        json.dump({"eal": {"file_prefix": "bench-exc-" + tag, "memory_mb": 1024, "hugepages": "auto" if huge else "off"},
                   "workers": [1], "conntrack": {"capacity": 1 << 20},
                   "ports": [{"device": "net_memif0,role=client,socket=" + sock, "mac": "02:00:00:00:00:01",
                              "exception": {"interface": "elb0", "addresses": ["198.18.0.2/24"]}}],
                   "exception_path": {"punt_rate_pps": punt_rate}}, f)
    vips = ["%s:80/tcp" % VIP] * 9 + ["%s:81/tcp" % VIP] if mixed else ["%s:80/tcp" % VIP]
    pg = pktgen(work, sock, seconds, flows, tag, huge, 0, vips)
    res, st, _ = run_dataplane(work, tag, pg, cfg, svc, seconds, prefix=("ip", "netns", "exec", ns))
    t, secs = st["totals"], res["seconds"]
    res.update({"forwarded_mpps": t["forwarded"] / secs / 1e6,
                "punted_classified": t["punted_total"],
                "to_kernel_pps": st["exception_path"]["to_kernel_packets"] / secs,
                "from_kernel_pps": st["exception_path"]["from_kernel_packets"] / secs,
                "punt_rate_limited": t["drops"]["punt_rate_limited"], "kernel_tx_full": t["drops"]["kernel_tx_full"],
                "cycles_per_packet": t["cycles_per_packet"], "punt_rate_pps": punt_rate, "mixed": mixed})
    return res


def main():
    h = harness.Scenario("exception-path", __doc__, seconds=6, min_seconds=2, max_seconds=60)
    h.arg("--flows", type=int, default=100000)
    a = h.parse()
    huge = hugepages()
    ns = "elbbench%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        with tempfile.TemporaryDirectory(prefix="edgelb-bench-") as work:
            runs = {"fast-only": run(work, ns, "fast", a.seconds, a.flows, False, 100000, huge),
                    "mixed": run(work, ns, "mixed", a.seconds, a.flows, True, 100000, huge),
                    "mixed-nolimit": run(work, ns, "nolimit", a.seconds, a.flows, True, 0, huge)}
    finally:
        subprocess.run(["ip", "netns", "del", ns])
    base = runs["fast-only"]["forwarded_mpps"]
    for r in runs.values():  # fast-path throughput per fast-path share of the offered load, vs fast-only
        share = 0.9 if r["mixed"] else 1.0
        r["fast_path_relative"] = (r["forwarded_mpps"] / share / base) if base else None
    res = {"scenario": "exception-path", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "cpus": os.cpu_count(), "hugepages": huge, "seconds": a.seconds, "flows": a.flows, "runs": runs,
           "punted_pps_max": max(r["to_kernel_pps"] for r in runs.values()),
           "fast_path_cost_mixed": 1 - runs["mixed"]["fast_path_relative"] if base else None}
    f = io.StringIO()  # the markdown report
    f.write("# exception-path (%s, %d CPUs, %s)\n\n" % (res["date"], res["cpus"], "hugepages" if huge else "no hugepages"))
    f.write("edgelb-pktgen -> memif -> edgelb-dataplane (1 worker, TAP exception port in its own namespace); "
            "64-byte TCP, %d flows, %d s per run; 'mixed' sends 1 flow in 10 to a non-service port of the VIP "
            "(punted).\n\n" % (a.flows, a.seconds))
    f.write("| run | punt limit | offered Mpps | fast path Mpps | fast path vs fast-only | punted to kernel /s | "
            "rate-limited | TAP full | kernel->wire /s | cycles/pkt |\n|---|---|---|---|---|---|---|---|---|---|\n")
    for name, r in runs.items():
        f.write("| %s | %s | %.3f | %.3f | %.2f | %.0f | %d | %d | %.0f | %.0f |\n" % (
            name, r["punt_rate_pps"] or "none", r["tx_mpps"], r["forwarded_mpps"], r["fast_path_relative"] or 0,
            r["to_kernel_pps"], r["punt_rate_limited"], r["kernel_tx_full"], r["from_kernel_pps"],
            r["cycles_per_packet"]))
    f.write("\n'fast path vs fast-only' divides the fast-path rate by its share of the offered load (0.9 when "
            "mixed) and by the fast-only rate: 1.00 means punting cost the fast path nothing.\n")
    h.write(res, f.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
