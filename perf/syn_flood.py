#!/usr/bin/env python3
"""perf/bench.sh syn-flood: spoofed SYNs at the generator's full rate plus 10k established flows.

edgelb-pktgen (lcore 0, memif server) sends --flood-ratio of its frames as SYNs from sources
never seen before (198.19.0.0/16) and the rest as ACKs of --flows established flows; the
dataplane (1 worker, DSR, 16 backends) runs twice: with its SYN-flood guard (the default
conntrack.syn_flood_threshold) and with the guard off (threshold 0), on a conntrack table the
flood alone could fill many times over. Targets (issue 15): established flows lose nothing and
never move to another backend, and the table is not wiped (the flood does not evict them)."""
import io
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import harness  # noqa: E402
from support.dataplane_run import (dsr_bench_services, hugepages, memif_dataplane_config, pktgen,  # noqa: E402
                                   run_dataplane)
from support.measure import cpu_model  # noqa: E402

VIP = "198.18.1.10"


def run(work, tag, seconds, flows, flood_ratio, threshold, capacity, huge):
    sock = os.path.join(work, tag + ".sock")
    svc = dsr_bench_services(work, tag, VIP)
    cfg = memif_dataplane_config(work, tag, sock, huge, "bench-sf-" + tag,
                                 {"capacity": capacity, "syn_flood_threshold": threshold}, rsize=14)
    pg = pktgen(work, sock, seconds, flows, "sf-" + tag, huge, vips=(VIP + ":80/tcp",),
                extra=("--flood-ratio", str(flood_ratio)))
    res, st, _ = run_dataplane(work, tag, pg, cfg, svc, seconds)
    t, w = st["totals"], st["workers"][0]
    sf = res["syn_flood"]
    return {"syn_flood_threshold": threshold, "conntrack_capacity": capacity,
            "offered_mpps": res["tx_mpps"], "flood_sent": sf["flood_sent"], "flood_received": sf["flood_received"],
            "established_sent": sf["established_sent"], "established_received": sf["established_received"],
            "established_lost": sf["established_sent"] - sf["established_received"],
            "established_moved": sf["established_moved"], "rebalanced": t["rebalanced"],
            "flows_at_end": t["flows"], "evictions": w["conntrack"]["evictions"],
            "syn_not_tracked": w["conntrack"]["syn_not_tracked"],
            "drops": {k: v for k, v in t["drops"].items() if v}, "timeline": res.get("timeline", [])}


def main():
    h = harness.Scenario("syn-flood", __doc__, seconds=10, min_seconds=1, max_seconds=60)
    h.arg("--flows", type=int, default=10000)
    h.arg("--flood-ratio", type=float, default=0.9)
    h.arg("--capacity", type=int, default=262144)
    a = h.parse()
    huge = hugepages()
    with tempfile.TemporaryDirectory(prefix="edgelb-bench-") as work:
        guarded = run(work, "guard", a.seconds, a.flows, a.flood_ratio, 100000, a.capacity, huge)
        unguarded = run(work, "noguard", a.seconds, a.flows, a.flood_ratio, 0, a.capacity, huge)
    met = (guarded["established_lost"] == 0 and guarded["established_moved"] == 0 and guarded["rebalanced"] == 0
           and guarded["evictions"] == 0 and guarded["flows_at_end"] >= a.flows)
    res = {"scenario": "syn-flood", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "seconds": a.seconds,
           "established_flows": a.flows, "flood_ratio": a.flood_ratio, "cpu_model": cpu_model(),
           "cpus": os.cpu_count(), "hugepages": huge, "guard": guarded, "no_guard": unguarded,
           "target": "established: 0 lost, 0 moved, 0 rebalanced; no evictions and the established flows still tracked", "target_met": met}
    f = io.StringIO()  # the markdown report
    f.write("# syn-flood (%s, %s, %d CPUs)\n\n" % (res["date"], res["cpu_model"], res["cpus"]))
    f.write("edgelb-pktgen -> memif -> edgelb-dataplane (1 worker, DSR, 16 backends) -> back, %d s at the "
            "generator's full rate: %.0f%% spoofed SYNs from new sources, the rest ACKs of %d established flows; "
            "conntrack capacity %d; memif rings of 16384 packets (as deep as a NIC's: with 1024 the one-core "
            "generator, sending flat out, let its receive ring overflow now and then).\n\n" % (a.seconds, 100 * a.flood_ratio, a.flows, a.capacity))
    f.write("| run | offered Mpps | flood SYNs sent | established sent | lost | moved | rebalanced | "
            "SYNs not tracked | evictions | flows at end |\n|---|---|---|---|---|---|---|---|---|---|\n")
    for name, r in (("guard (100k SYN/s)", guarded), ("guard off", unguarded)):
        f.write("| %s | %.3f | %d | %d | %d | %d | %d | %d | %d | %d |\n" % (
            name, r["offered_mpps"], r["flood_sent"], r["established_sent"], r["established_lost"],
            r["established_moved"], r["rebalanced"], r["syn_not_tracked"], r["evictions"], r["flows_at_end"]))
    f.write("\nTarget (established: 0 lost, 0 moved, 0 rebalanced, with the guard): **%s**.\n" %
            ("met" if met else "missed"))
    for name, r in (("guard", guarded), ("guard off", unguarded)):
        if r["drops"]:
            f.write("\n%s: the dataplane's drops were %s. `tx_full` means the memif ring back to the "
                    "generator was full: the generator (one core, sending at full rate) did not take the "
                    "returns in time; established packets are 1 in %.0f of them.\n" %
                    (name, r["drops"], 1 / (1 - a.flood_ratio)))
    h.write(res, f.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
