#!/usr/bin/env python3
"""perf/bench.sh ndr: the highest offered rate with zero loss (NDR) and with at most 0.1 % loss
(PDR), RFC 2544 style, for edgelb-dataplane and for dpdk-testpmd (macswap) on the same memif
link, at 64 B, 512 B and IMIX frames, with 1K and 1M flows.

Both DUTs get memif rings of 16384 packets, as deep as a NIC's: with the default 1024 the
generator, sharing a CPU on a small VM, sometimes polls its receive ring late enough that the
returns back up into the DUT (`tx_full`), a loss that is the generator's, not the DUT's.

Each trial is a fresh generator (edgelb-pktgen, lcore 0, memif server, paced with --rate-pps)
and a fresh device under test (worker lcore 1), both bounded in time; loss is what the
generator sent and did not get back. A search starts with one trial at the generator's full
rate (the upper bound, and the answer when even that loses nothing: memif is flow-controlled,
so that rate is the DUT's own limit when it is below testpmd's), then halves the interval
until it is within --precision of the rate, with --search-seconds trials; the rate found is then
held for --seconds (10 by default) and stepped down 2 % at a time until it holds, at most
--max-steps-down times: a loss that does not fall with the rate is no rate limit, and the search
says "not held" (each trial's log line gives the DUT's drop counters).
Every search is repeated --repetitions times; the report gives min/median/max, the trials each
search took, and the ratio edgelb / testpmd of the medians."""
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from support.dataplane_run import (dsr_bench_services, memif_dataplane_config, pktgen,  # noqa: E402
                                   run_dataplane, testpmd_macswap)

VIP = "198.18.1.10"


def trial_edgelb(work, tag, seconds, flows, size, rate, huge):
    sock = os.path.join(work, tag + ".sock")
    svc = dsr_bench_services(work, tag, VIP)
    cfg = memif_dataplane_config(work, tag, sock, huge, "bench-ndr-dp", {"capacity": int(flows / 0.9) + 64}, rsize=14)
    pg = pktgen(work, sock, int(seconds), flows, tag, huge, int(rate), extra=("--size", str(size), "--warmup-ms", "1000"))
    res, st, _ = run_dataplane(work, tag, pg, cfg, svc, int(seconds))
    res["dut_cycles_per_packet"] = st["totals"]["cycles_per_packet"]
    res["dut_drops"] = {k: v for k, v in st["totals"]["drops"].items() if v}
    res["dut_port"] = {k: st["ports"][0][k] for k in ("imissed", "ierrors", "oerrors", "rx_nombuf")}
    return res


def trial_testpmd(work, tag, seconds, flows, size, rate, huge):
    sock = os.path.join(work, tag + ".sock")
    pg = pktgen(work, sock, int(seconds), flows, tag, huge, int(rate), extra=("--size", str(size), "--warmup-ms", "1000"))
    return testpmd_macswap(work, tag, sock, pg, int(seconds), huge, "bench-ndr-tp", rsize=14)


DUTS = {"edgelb": trial_edgelb, "testpmd": trial_testpmd}


def search(trial, threshold, a, log):
    """(the rate found in pps, trials taken, the final trial's result)."""
    n = 0

    def run(rate, seconds):
        nonlocal n
        n += 1
        r = trial(seconds, rate)
        # memif is flow-controlled: a DUT that cannot keep up makes the generator send less
        # instead of dropping. A paced trial that could not send its rate failed as a loss would.
        r["pushed_back"] = bool(rate) and r["sent"] / r["seconds"] < 0.98 * rate
        if r["pushed_back"]:
            r["loss"] = max(r["loss"], 1.0 - r["sent"] / r["seconds"] / rate)
        why = ""
        if r["pushed_back"]:
            why = "  (sent only %.0f pps: the DUT pushed back)" % (r["sent"] / r["seconds"])
        elif r["loss"] and (r.get("dut_drops") or any(r.get("dut_port", {}).values())):
            why = "  (DUT drops %s, port %s)" % (r.get("dut_drops"), r.get("dut_port"))
        log("    %s pps for %gs: loss %.5f%%%s" % ("max" if not rate else "%.0f" % rate, seconds, 100 * r["loss"], why))
        return r

    top = run(0, a.search_seconds)
    full = top["sent"] / top["seconds"]
    if top["loss"] <= threshold:  # all the link let through arrived: confirm it for the long trial
        r = run(0, a.final_seconds)
        if r["loss"] <= threshold:
            return r["sent"] / r["seconds"], n, dict(r, full_rate=True)
    lo, hi = 0.0, full
    while hi - lo > a.precision * hi and n < a.max_trials:
        mid = (lo + hi) / 2
        if run(mid, a.search_seconds)["loss"] <= threshold:
            lo = mid
        else:
            hi = mid
    rate = lo
    for _ in range(a.max_steps_down + 1):
        r = run(rate, a.final_seconds)
        if r["loss"] <= threshold:
            return rate, n, r
        rate *= 0.98
    return 0.0, n, None  # not held: the loss does not fall with the rate (see the trials' drops)


def main():
    h = harness.Scenario("ndr", __doc__, seconds=10, min_seconds=1, seconds_type=float)
    h.arg("--sizes", default="64,512,imix", help="frame sizes (bytes without FCS, or imix)")
    h.arg("--flows", default="1000,1000000", help="flow counts")
    h.arg("--repetitions", type=int, default=3)
    h.arg("--search-seconds", type=float, default=2, help="length of a search trial")
    h.arg("--precision", type=float, default=0.02, help="stop when the interval is within this share of the rate")
    h.arg("--max-trials", type=int, default=14, help="search trials at most (the final trials come on top)")
    h.arg("--max-steps-down", type=int, default=5, help="2 %% steps down from the rate found until one holds")
    h.arg("--quick", action="store_true", help="1 repetition, 64 B and IMIX, 1 s search and 3 s final trials")
    a = h.parse()
    a.final_seconds = a.seconds
    if a.quick:
        a.sizes, a.repetitions, a.search_seconds, a.final_seconds, a.precision = "64,imix", 1, 1, 3, 0.05
    sizes = a.sizes.split(",")
    flows = [int(f) for f in a.flows.split(",")]
    huge = harness.hugepages()
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    cases = []
    with tempfile.TemporaryDirectory(prefix="edgelb-ndr-") as work:
        for size in sizes:
            for nflows in flows:
                case = {"size": size, "flows": nflows, "duts": {}}
                for dut, fn in DUTS.items():
                    d = case["duts"][dut] = {"ndr_pps": [], "pdr_pps": [], "trials": {"ndr": [], "pdr": []},
                                             "full_rate": {"ndr": False, "pdr": False}}
                    for rep in range(a.repetitions):
                        for kind, threshold in (("ndr", 0.0), ("pdr", 0.001)):
                            log("%s %s B %d flows, repetition %d: %s" % (dut, size, nflows, rep + 1, kind.upper()))
                            tag = "%s-%s-%d-%s-%d" % (dut, size, nflows, kind, rep)
                            rate, n, last = search(lambda s, r: fn(work, tag, s, nflows, size, r, huge), threshold, a,
                                                   log)
                            d[kind + "_pps"].append(rate)
                            d["trials"][kind].append(n)
                            if last and last.get("full_rate"):
                                d["full_rate"][kind] = True
                            if last:
                                d["avg_frame_bytes"] = last.get("avg_frame_bytes")
                    for kind in ("ndr", "pdr"):
                        v = d[kind + "_pps"]
                        d[kind] = {"min": min(v), "median": statistics.median(v), "max": max(v),
                                   "spread": (max(v) - min(v)) / statistics.median(v) if statistics.median(v) else None}
                e, t = case["duts"]["edgelb"], case["duts"]["testpmd"]
                case["ratio"] = {k: e[k]["median"] / t[k]["median"] if t[k]["median"] else None for k in ("ndr", "pdr")}
                cases.append(case)
    res = {"seconds": a.final_seconds, "search_seconds": a.search_seconds, "repetitions": a.repetitions,
           "precision": a.precision, "hugepages": huge, "cases": cases}
    m = harness.machine()
    md = ["# ndr (%s)" % time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "",
          "%s, %d CPUs. edgelb-pktgen (lcore 0) -> memif -> DUT (worker lcore 1) -> memif -> back; TCP/IPv4 to one "
          "DSR VIP (16 backends) for edgelb, macswap for testpmd. NDR: zero loss; PDR: <= 0.1 %% loss. Final trials "
          "%g s, search trials %g s, %d repetition(s); Mpps as min / median / max." % (
              m["cpu"], m["cpus"], a.final_seconds, a.search_seconds, a.repetitions), "",
          "| frames | flows | edgelb NDR | testpmd NDR | NDR ratio | edgelb PDR | testpmd PDR | PDR ratio | trials "
          "per search (edgelb / testpmd) |", "|---|---|---|---|---|---|---|---|---|"]

    def mpps(d, k):
        if not d[k]["median"]:
            return "not held"
        return "%.3f / %.3f / %.3f%s" % (d[k]["min"] / 1e6, d[k]["median"] / 1e6, d[k]["max"] / 1e6,
                                         " (full rate)" if d["full_rate"][k] else "")
    for c in cases:
        e, t = c["duts"]["edgelb"], c["duts"]["testpmd"]
        md.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s / %s |" % (
            c["size"], c["flows"], mpps(e, "ndr"), mpps(t, "ndr"),
            "%.2f" % c["ratio"]["ndr"] if c["ratio"]["ndr"] else "-", mpps(e, "pdr"), mpps(t, "pdr"),
            "%.2f" % c["ratio"]["pdr"] if c["ratio"]["pdr"] else "-",
            ",".join(map(str, e["trials"]["ndr"] + e["trials"]["pdr"])),
            ",".join(map(str, t["trials"]["ndr"] + t["trials"]["pdr"]))))
    md += ["", "(full rate): nothing was lost at the most the link let the generator send. memif is flow-controlled: "
           "a DUT that cannot keep up slows the generator rather than dropping, so this is the DUT's forwarding "
           "limit when it is below testpmd's figure (testpmd's is the generator's and the link's own limit), and a "
           "paced trial the DUT pushed below its rate counts as failed. Spread across repetitions is (max - min) / "
           "median in the JSON."]
    h.write(res, "\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
