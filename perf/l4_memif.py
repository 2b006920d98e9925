#!/usr/bin/env python3
"""perf/bench.sh l4-memif: edgelb-dataplane vs dpdk-testpmd macswap on the same memif link.

Both runs use the same generator (edgelb-pktgen on lcore 0, memif server), the same frames
(64-byte TCP/IPv4, --flows distinct flows toward one DSR VIP with 16 backends), and the same
lcores for the device under test (main lcore 0, forwarding lcore 1). Processes are started and
stopped by PID; every run is bounded in time."""
import io
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import harness  # noqa: E402
from support.dataplane_run import (dsr_bench_services, hugepages, memif_dataplane_config, pktgen,  # noqa: E402
                                   run_dataplane, testpmd_macswap)
from support.measure import cpu_model  # noqa: E402


def run_edgelb(work, seconds, flows, huge):
    sock = os.path.join(work, "edgelb.sock")
    svc = dsr_bench_services(work, "edgelb")
    cfg = memif_dataplane_config(work, "edgelb", sock, huge, "bench-dp", {"capacity": int(flows / 0.9) + 64})
    pg = pktgen(work, sock, seconds, flows, "edgelb", huge)
    res, st, _ = run_dataplane(work, "edgelb", pg, cfg, svc, seconds)
    t = st["totals"]
    res["dut"] = {"cycles_per_packet": t["cycles_per_packet"], "busy_ratio": t["busy_ratio"], "flows": t["flows"],
                  "tsc_hz": st.get("tsc_hz"),
                  "drops": {k: v for k, v in t["drops"].items() if v}, "forwarded": t["forwarded"]}
    return res


def run_testpmd(work, seconds, flows, huge):
    sock = os.path.join(work, "testpmd.sock")
    pg = pktgen(work, sock, seconds, flows, "testpmd", huge)
    return testpmd_macswap(work, "testpmd", sock, pg, seconds, huge, "bench-tp")


def main():
    h = harness.Scenario("l4-memif", __doc__, seconds=10, min_seconds=1, max_seconds=60)
    h.arg("--flows", type=int, default=1000000)
    a = h.parse()
    huge = hugepages()
    with tempfile.TemporaryDirectory(prefix="edgelb-bench-") as work:
        edgelb = run_edgelb(work, a.seconds, a.flows, huge)
        testpmd = run_testpmd(work, a.seconds, a.flows, huge)
    ratio = edgelb["rx_mpps"] / testpmd["rx_mpps"] if testpmd["rx_mpps"] else None
    # Extra cycles per packet over testpmd (issue 15): edgelb's worker measures its own busy
    # cycles per packet; testpmd's are its core's TSC cycles per returned packet (its forwarding
    # core polls all the time), an upper bound when the generator, not testpmd, is the limit.
    tsc_hz = edgelb["dut"]["tsc_hz"]
    testpmd_cpp = tsc_hz / (testpmd["rx_mpps"] * 1e6) if tsc_hz and testpmd["rx_mpps"] else None
    extra = edgelb["dut"]["cycles_per_packet"] - testpmd_cpp if testpmd_cpp else None
    res = {"scenario": "l4-memif", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "seconds": a.seconds,
           "flows": a.flows, "frame_bytes": 64, "hugepages": huge, "cpus": os.cpu_count(),
           "cpu_model": cpu_model(), "tsc_ghz": tsc_hz / 1e9 if tsc_hz else None,
           "edgelb": edgelb, "testpmd_macswap": testpmd, "ratio_edgelb_over_testpmd": ratio,
           "testpmd_cycles_per_packet": testpmd_cpp, "extra_cycles_per_packet": extra,
           "target_extra_cycles_per_packet": 100, "extra_cycles_target_met": extra is not None and extra <= 100,
           "target_ratio": 0.85, "target_met": ratio is not None and ratio >= 0.85}
    f = io.StringIO()  # the markdown report
    f.write("# l4-memif (%s, %d CPUs, %s)\n\n" % (res["date"], res["cpus"], "hugepages" if huge else "no hugepages"))
    f.write("Machine: %s, TSC %.2f GHz.\n\n" % (res["cpu_model"], res["tsc_ghz"] or 0))
    f.write("edgelb-pktgen (lcore 0) -> memif -> DUT (worker lcore 1) -> memif -> edgelb-pktgen; "
            "64-byte TCP/IPv4, %d flows, %d s each.\n\n" % (a.flows, a.seconds))
    f.write("| DUT | offered Mpps | returned Mpps | loss |\n|---|---|---|---|\n")
    for name, r in (("edgelb-dataplane (DSR, Maglev, conntrack)", edgelb), ("dpdk-testpmd macswap", testpmd)):
        f.write("| %s | %.3f | %.3f | %.4f%% |\n" % (name, r["tx_mpps"], r["rx_mpps"], 100 * r["loss"]))
    f.write("\nRatio edgelb / testpmd: **%.3f** (target 0.85). edgelb worker: %.0f cycles/packet, busy %.0f%%, "
            "%d live flows.\n" % (ratio or 0, edgelb["dut"]["cycles_per_packet"], 100 * edgelb["dut"]["busy_ratio"],
                                  edgelb["dut"]["flows"]))
    if extra is not None:
        f.write("\nExtra cycles per packet over testpmd: **%.0f** (%.0f - %.0f; target <= 100, %s). testpmd's "
                "figure is its core's TSC cycles per returned packet, an upper bound when the generator is the "
                "limit.\n" % (extra, edgelb["dut"]["cycles_per_packet"], testpmd_cpp,
                               "met" if extra <= 100 else "missed"))
    f.write("\nWhere the cycles go and why a target is missed: docs/dataplane.md, \"Performance\".\n")
    h.write(res, f.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
