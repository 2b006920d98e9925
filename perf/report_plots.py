"""The qualification report's plots (matplotlib, PNG beside the report), drawn from the results
of every repetition of a run: the median as a line or bar, min-max as error bars. A plot whose
scenarios did not run is not drawn. draw() returns [(file name, title)]."""
import os
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _med_err(values):
    values = [v for v in values if v is not None]
    if not values:
        return 0.0, (0.0, 0.0)
    m = statistics.median(values)
    return m, (m - min(values), max(values) - m)


def _label(ax, xlabel, ylabel, title, legend_size=None):
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=legend_size)


def _save(fig, out_dir, name, title, plots):
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, name), dpi=90)
    plt.close(fig)
    plots.append((name, title))


def cost_vs_flows(reps, out_dir, plots):
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for key, label in (("pipeline", "DSR"), ("pipeline_gue", "GUE encap")):
        flows = sorted({int(f) for r in reps for f in r.get(key, {})})
        if not flows:
            continue
        med, err = zip(*[_med_err([r[key].get(str(f), {}).get("cycles_per_packet") for r in reps]) for f in flows])
        ax.errorbar(flows, med, yerr=list(zip(*err)), marker="o", capsize=3, label=label)
    ax.set_xscale("log")
    _label(ax, "live flows", "cycles per packet (median, min-max)", "Pipeline cost per packet vs live flows (micro)")
    _save(fig, out_dir, "report-cost-vs-flows.png", "cost per packet vs live flows", plots)


def peers(reps, out_dir, plots):
    names = [n for n, p in reps[0]["peers"].items() if p.get("available")]
    if not names:
        return
    udp = [n for n in names if all("udp" in r["peers"][n]["runs"] for r in reps if r["peers"].get(n, {}).get("available"))]
    fig, axes = plt.subplots(1, 3 if udp else 2, figsize=(17 if udp else 12, 4.2))
    a1, a2 = axes[0], axes[1]
    x = range(len(names))
    for i, (mode, label) in enumerate((("keepalive", "keep-alive req/s"), ("short", "new connections/s"))):
        med, err = zip(*[_med_err([r["peers"][n]["runs"][mode]["requests_per_s"] for r in reps
                                   if r["peers"].get(n, {}).get("available")]) for n in names])
        a1.bar([j + i * 0.4 for j in x], med, 0.4, yerr=list(zip(*err)), capsize=3, label=label)
    a1.set_xticks([j + 0.2 for j in x])
    a1.set_xticklabels(names, rotation=30, ha="right")
    a1.set_title("Requests at each one's maximum (wrk, 32 connections)")
    a1.legend()
    med, err = zip(*[_med_err([r["peers"][n]["runs"]["short"]["requests_per_lb_cpu_s"] for r in reps
                               if r["peers"].get(n, {}).get("available")]) for n in names])
    a2.bar(x, med, 0.5, yerr=list(zip(*err)), capsize=3, label="per LB CPU-second (CPU 1 busy)")
    busy = [_med_err([r["peers"][n]["runs"]["short"].get("requests_per_busy_cpu_s") for r in reps
                      if r["peers"].get(n, {}).get("available")])[0] for n in names]
    if any(busy):
        a2.scatter(x, busy, color="black", marker="D", zorder=3, label="edgelb: per worker busy CPU-second")
    a2.set_yscale("log")
    a2.set_xticks(list(x))
    a2.set_xticklabels(names, rotation=30, ha="right")
    a2.set_title("New connections per LB CPU-second")
    a2.legend(fontsize=8)
    if udp:
        a3 = axes[2]
        med, err = zip(*[_med_err([r["peers"][n]["runs"]["udp"]["delivered_pps"] / 1e3 for r in reps
                                   if r["peers"].get(n, {}).get("available")]) for n in udp])
        a3.bar(range(len(udp)), med, 0.5, yerr=list(zip(*err)), capsize=3, label="delivered to the backends")
        a3.set_xticks(list(range(len(udp))))
        a3.set_xticklabels(udp, rotation=30, ha="right")
        a3.set_ylabel("thousand packets/s")
        a3.set_title("UDP, 64 B, edgelb-pktgen over net_af_packet")
        a3.legend(fontsize=8)
    _save(fig, out_dir, "report-peers.png", "edgelb vs the kernel, HAProxy and nginx (peers)", plots)


def fast_path(l4, ndr, out_dir, plots):
    labels, e_vals, t_vals = [], [], []
    if l4:
        labels.append("64 B, %s flows\n(l4-memif, full rate)" % l4[0].get("flows", "?"))
        e_vals.append(_med_err([r["edgelb"]["rx_mpps"] for r in l4]))
        t_vals.append(_med_err([r["testpmd_macswap"]["rx_mpps"] for r in l4]))
    for case in (ndr[0]["cases"] if ndr else []):
        for kind in ("ndr", "pdr"):
            def vals(dut):
                return [c["duts"][dut][kind]["median"] / 1e6 for r in ndr for c in r["cases"]
                        if c["size"] == case["size"] and c["flows"] == case["flows"]]
            size = case["size"] + " B" if str(case["size"]).isdigit() else case["size"]
            labels.append("%s, %s, %d flows" % (kind.upper(), size, case["flows"]))
            e_vals.append(_med_err(vals("edgelb")))
            t_vals.append(_med_err(vals("testpmd")))
    if not labels:
        return
    fig, ax = plt.subplots(figsize=(max(6.4, 1.2 * len(labels)), 4.2))
    x = range(len(labels))
    for i, (vals, name) in enumerate(((e_vals, "edgelb-dataplane"), (t_vals, "dpdk-testpmd macswap"))):
        ax.bar([j + i * 0.4 for j in x], [v[0] for v in vals], 0.4, yerr=list(zip(*[v[1] for v in vals])),
               capsize=3, label=name)
    ax.set_xticks([j + 0.2 for j in x])
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("Mpps")
    ax.set_title("edgelb vs testpmd on one memif link")
    ax.legend()
    _save(fig, out_dir, "report-fast-path.png", "edgelb vs testpmd (l4-memif, ndr)", plots)


def latency(results, out_dir, plots):
    """Each latency as its percentiles (the scenarios keep p50, p99 and max, not every sample)."""
    series = []

    def add(name, reps, get):
        """get(result) -> (p50, p99, max or None)."""
        pts = [get(r) for r in reps]
        pts = [p for p in pts if p and p[0] is not None and p[1] is not None]
        if pts:
            mx = [p[2] for p in pts if p[2] is not None]
            series.append((name, [statistics.median(p[0] for p in pts), statistics.median(p[1] for p in pts),
                                  statistics.median(mx) if mx else None]))
    add("update -> live (agent)", results.get("agent", []),
        lambda r: (r.get("update_to_live_ms_p50"), r.get("update_to_live_ms_p99"), None))
    add("Mesos event -> HAProxy (agent)", results.get("agent", []),
        lambda r: (r.get("event_to_live_ms_p50"), r.get("event_to_live_ms_p99"), r.get("event_to_live_ms_max")))
    add("Mesos event -> dataplane + HAProxy (appliance)", results.get("appliance", []),
        lambda r: tuple(r.get("event_to_both_ms", {}).get(k) for k in ("p50", "p99", "max")))
    add("Mesos event -> Watch (mesos)", results.get("mesos", []),
        lambda r: tuple(r.get("watch_latency", {}).get(k) for k in ("p50_ms", "p99_ms", "max_ms")))
    add("apiserver create", results.get("apiserver", []),
        lambda r: tuple(r.get("create_sequential", {}).get(k) for k in ("p50_ms", "p99_ms", "max_ms")))
    add("apiserver update", results.get("apiserver", []),
        lambda r: tuple(r.get("update_sequential", {}).get(k) for k in ("p50_ms", "p99_ms", "max_ms")))
    if not series:
        return
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for name, (p50, p99, mx) in series:
        xs, ys = [0, p50, p99] + ([mx] if mx is not None else []), [0, 50, 99] + ([100] if mx is not None else [])
        ax.step(xs, ys, where="post", marker="o", label=name)
    ax.set_xscale("symlog", linthresh=1)
    _label(ax, "ms", "percentile", "Latency percentiles (p50, p99, max; medians of the repetitions)", 7)
    _save(fig, out_dir, "report-latency.png", "latency: update -> live, Mesos event -> live, apiserver calls", plots)


def timelines(results, out_dir, plots):
    """Throughput over time: the generator's received Mpps each second (first repetition)."""
    lines = []
    for r in results.get("syn-flood", [])[:1]:
        for run in ("guard", "no_guard"):
            if r.get(run, {}).get("timeline"):
                lines.append(("syn-flood, " + run.replace("_", " "), r[run]["timeline"]))
    for r in results.get("updates-under-load", [])[:1]:
        for run in ["baseline"] + ["open_loop", "closed_loop", "closed_loop_batched"]:
            v = r.get(run)
            v = v[0] if isinstance(v, list) and v else v
            if isinstance(v, dict) and v.get("timeline"):
                lines.append(("updates-under-load, " + run.replace("_", " "), v["timeline"]))
    if not lines:
        return
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for name, tl in lines:
        ax.plot([p[0] for p in tl], [p[2] for p in tl], marker=".", label=name)
    _label(ax, "second of the run", "returned Mpps", "Throughput over time", 7)
    _save(fig, out_dir, "report-throughput.png", "throughput over time (syn-flood, updates-under-load)", plots)


def faults(reps, out_dir, plots):
    """Each fault case's requests/s over time on both paths (first repetition), fault shaded."""
    cases = [(n, c) for n, c in reps[0].get("cases", {}).items() if c.get("passed")]
    if not cases:
        return
    fig, axes = plt.subplots(len(cases), 1, figsize=(7.5, 2.1 * len(cases)), sharex=True, squeeze=False)
    for ax, (name, c) in zip(axes[:, 0], cases):
        for path, label in (("l7", "L7 (HAProxy)"), ("l4", "L4 (fast path)")):
            tl = c[path]["timeline"]
            ax.plot([p[0] for p in tl], [p[1] * 4 for p in tl], marker=".", label=label + " ok/s")
            bad = [p for p in tl if p[2]]
            if bad:
                ax.scatter([p[0] for p in bad], [p[2] * 4 for p in bad], color="red", marker="x", zorder=3,
                           label=label + " failed/s")
        f = c["l7"].get("fault_s", c["fault_s"])
        ax.axvspan(f[0], max(f[1], f[0] + 0.1), color="orange", alpha=0.25,
                   label="fault (the case's action)")
        ax.set_title(name.replace("_", " "), fontsize=9)
        ax.set_ylabel("requests/s")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
    axes[0, 0].legend(fontsize=7, ncol=3)
    axes[-1, 0].set_xlabel("seconds from the load's start (0.25 s intervals)")
    _save(fig, out_dir, "report-faults.png", "throughput over time through faults (the whole appliance)", plots)


def draw(results, out_dir):
    plots = []
    for f in os.listdir(out_dir):  # no stale plot from an earlier report
        if f.startswith("report-") and f.endswith(".png"):
            os.remove(os.path.join(out_dir, f))
    if results.get("micro"):
        cost_vs_flows(results["micro"], out_dir, plots)
    if results.get("l4-memif") or results.get("ndr"):
        fast_path(results.get("l4-memif", []), results.get("ndr", []), out_dir, plots)
    if results.get("peers"):
        peers(results["peers"], out_dir, plots)
    latency(results, out_dir, plots)
    timelines(results, out_dir, plots)
    if results.get("faults"):
        faults(results["faults"], out_dir, plots)
    return plots
