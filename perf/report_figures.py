"""The headline figures of the qualification report (perf/report.py): which number of which
scenario's result JSON, its unit, which way is better, and its target where the project set one.
A figure a result does not carry (an older result, a peer that did not run) is left out."""

# Every scenario perf/bench.sh runs, in report order, with what it is.
SCENARIOS = {
    "micro": "in-process pipeline cost vs live flows, Maglev build, memory per flow",
    "l4-memif": "edgelb vs dpdk-testpmd macswap on one memif link, 64 B",
    "ndr": "zero-loss (NDR) and 0.1 %-loss (PDR) rates, edgelb vs testpmd, memif",
    "exception-path": "punts through the TAP and their cost to the fast path",
    "syn-flood": "established flows under a spoofed SYN flood, guard on",
    "updates-under-load": "control updates while forwarding: apply-to-live, loss",
    "peers": "edgelb vs nftables, IPVS, HAProxy tcp, nginx stream on one veth link",
    "apiserver": "pool create/update latency and throughput through edgelb-apiserver",
    "mesos": "mesos-listener decode rate and event -> Watch latency",
    "haproxy-membership": "HAProxy membership changes: slots vs dynamic servers",
    "agent": "Mesos event -> HAProxy server live, pool update -> live",
    "appliance": "the whole appliance: event -> live in dataplane and HAProxy, drops",
    "faults": "the whole appliance's throughput over time through faults (restarts, outages)",
}


def _path(*keys):
    def get(r):
        for k in keys:
            if not isinstance(r, dict) or k not in r:
                return None
            r = r[k]
        return r if isinstance(r, (int, float)) and not isinstance(r, bool) else None
    return get


def _peer(peer, mode, *keys):
    return _path("peers", peer, "runs", mode, *keys)


def _ndr_case(r, size, flows):
    return next((c for c in r.get("cases", []) if str(c.get("size")) == size and c.get("flows") == flows), None)


def _ndr(size, flows, dut, kind):
    """A DUT's median NDR or PDR of one case, in Mpps."""
    def get(r):
        c = _ndr_case(r, size, flows)
        return c["duts"][dut][kind]["median"] / 1e6 if c else None
    return get


def _ndr_ratio(size, flows, kind):
    """edgelb / testpmd of one case's medians."""
    def get(r):
        c = _ndr_case(r, size, flows)
        return c["ratio"][kind] if c else None
    return get


def _sum(*getters):
    def get(r):
        v = [g(r) for g in getters]
        return None if any(x is None for x in v) else sum(v)
    return get


def _fault_paths(r):
    return [c[p] for c in r.get("cases", {}).values() if c.get("passed") for p in ("l7", "l4")]


def _faults_failed(r):
    """Failed requests in all fault cases; None when a case itself failed (no count to give)."""
    cases = r.get("cases", {}).values()
    return None if not cases or not all(c.get("passed") for c in cases) else sum(p["failed"] for p in _fault_paths(r))


def _faults_worst_dip(r):
    """The lowest 1 s rate during a fault as a share of the offered rate, worst case and path."""
    v = [p["lowest_1s_rate_per_s"] / p["offered_per_s"] for p in _fault_paths(r)
         if p.get("offered_per_s") and p.get("lowest_1s_rate_per_s") is not None]
    return min(v) if v else None


def _faults_longest_outage(r):
    v = [p["outage_s"] for p in _fault_paths(r) if p.get("outage_s") is not None]
    return max(v) if v else None


def F(scenario, key, label, unit, better, get, target=None):
    return {"scenario": scenario, "key": key, "label": label, "unit": unit, "better": better, "get": get,
            "target": target}


FIGURES = [
    F("micro", "micro.pipeline_1k_cycles", "pipeline cycles/packet, 1K flows", "cycles", "lower",
      _path("pipeline", "1000", "cycles_per_packet"), ("<=", 80)),
    F("micro", "micro.pipeline_1m_cycles", "pipeline cycles/packet, 1M flows", "cycles", "lower",
      _path("pipeline", "1000000", "cycles_per_packet")),
    F("micro", "micro.cost_10m_over_1k", "pipeline cost 10M flows / 1K flows", "x", "lower",
      _path("targets", "cost_10M_over_1K", "value"), ("<=", 1.3)),
    F("micro", "micro.maglev_1000_ms", "Maglev build, 1000 backends", "ms", "lower",
      _path("maglev_build_ms", "1000"), ("<=", 0.5)),
    F("l4-memif", "l4.edgelb_mpps", "edgelb returned Mpps, 64 B", "Mpps", "higher", _path("edgelb", "rx_mpps")),
    F("l4-memif", "l4.ratio", "edgelb / testpmd, 64 B", "x", "higher", _path("ratio_edgelb_over_testpmd"),
      (">=", 0.85)),
    F("l4-memif", "l4.extra_cycles", "edgelb cycles/packet over testpmd's", "cycles", "lower",
      _path("extra_cycles_per_packet"), ("<=", 100)),
    F("ndr", "ndr.64.1k.edgelb", "edgelb NDR, 64 B, 1K flows", "Mpps", "higher", _ndr("64", 1000, "edgelb", "ndr")),
    F("ndr", "ndr.64.1k.ratio", "NDR edgelb / testpmd, 64 B, 1K flows", "x", "higher",
      _ndr_ratio("64", 1000, "ndr"), (">=", 0.85)),
    F("ndr", "ndr.64.1m.edgelb", "edgelb NDR, 64 B, 1M flows", "Mpps", "higher",
      _ndr("64", 1000000, "edgelb", "ndr")),
    F("ndr", "ndr.imix.1k.edgelb", "edgelb NDR, IMIX, 1K flows", "Mpps", "higher", _ndr("imix", 1000, "edgelb", "ndr")),
    F("ndr", "ndr.64.1k.pdr", "edgelb PDR, 64 B, 1K flows", "Mpps", "higher", _ndr("64", 1000, "edgelb", "pdr")),
    F("exception-path", "exc.punted_pps", "punted to the kernel, most per second", "pps", "higher",
      _path("punted_pps_max")),
    F("exception-path", "exc.fast_path_cost", "fast-path cost of punting 1 flow in 10", "share", "lower",
      _path("fast_path_cost_mixed")),
    F("syn-flood", "syn.lost", "established packets lost under a SYN flood (guard on)", "packets", "lower",
      _path("guard", "established_lost"), ("<=", 0)),
    F("syn-flood", "syn.moved", "established flows moved under a SYN flood (guard on)", "flows", "lower",
      _path("guard", "established_moved"), ("<=", 0)),
    F("updates-under-load", "upd.p99", "apply-to-live p99, 1000 updates/s", "us", "lower",
      _path("targets", "apply_to_live_p99_us", "value"), ("<=", 1000)),
    F("updates-under-load", "upd.closed", "closed-loop updates/s", "/s", "higher",
      _path("targets", "closed_loop_updates_per_s", "value"), (">=", 5000)),
    F("updates-under-load", "upd.loss", "worst loss while updating", "share", "lower", _path("worst_loss"), ("<=", 0)),
    F("peers", "peers.edgelb_conn", "edgelb DSR new connections/s (max)", "/s", "higher",
      _peer("edgelb-dsr", "short", "requests_per_s")),
    F("peers", "peers.edgelb_keepalive", "edgelb DSR keep-alive requests/s (max)", "/s", "higher",
      _peer("edgelb-dsr", "keepalive", "requests_per_s")),
    F("peers", "peers.cpu_ratio", "edgelb DSR requests per LB CPU-s / nft's", "x", "higher",
      _path("ratios", "edgelb-dsr", "short", "requests_per_lb_cpu_s"), (">=", 5)),
    F("peers", "peers.busy_ratio", "the same with edgelb's busy cycles as its CPU", "x", "higher",
      _path("ratios", "edgelb-dsr", "short", "requests_per_busy_cpu_s"), (">=", 5)),
    F("peers", "peers.edgelb_p99", "edgelb DSR p99 at the fixed load", "ms", "lower",
      _peer("edgelb-dsr", "fixed", "latency_ms", "p99")),
    F("peers", "peers.haproxy_p99", "HAProxy tcp p99 at the fixed load (reference)", "ms", "lower",
      _peer("haproxy-tcp", "fixed", "latency_ms", "p99")),
    F("peers", "peers.edgelb_udp_pps", "edgelb DSR UDP packets/s delivered (max)", "pps", "higher",
      _peer("edgelb-dsr", "udp", "delivered_pps")),
    F("peers", "peers.udp_cpu_ratio", "edgelb DSR UDP packets per LB CPU-s / nft's", "x", "higher",
      _path("ratios", "edgelb-dsr", "udp", "packets_per_lb_cpu_s")),
    F("peers", "peers.nft_conn", "nft new connections/s (reference)", "/s", "higher",
      _peer("nft", "short", "requests_per_s")),
    F("apiserver", "api.create_p99", "pool create p99", "ms", "lower", _path("create_sequential", "p99_ms")),
    F("apiserver", "api.update_rate", "pool updates/s, 8 clients", "/s", "higher", _path("update_concurrent", "per_second")),
    F("mesos", "mesos.decode", "Mesos events decoded/s", "/s", "higher", _path("decode", "decode_events_per_s")),
    F("mesos", "mesos.watch_p99", "Mesos event -> Watch p99, 10k tasks", "ms", "lower", _path("watch_latency", "p99_ms")),
    F("haproxy-membership", "hm.add_ratio", "dynamic / slots add time (p50)", "x", "lower",
      _path("dynamic_vs_slots", "add_p50")),
    F("agent", "agent.event_p99", "Mesos event -> HAProxy server live, p99", "ms", "lower",
      _path("event_to_live_ms_p99"), ("<=", 50)),
    F("agent", "agent.update_p99", "pool update -> HAProxy live, p99", "ms", "lower", _path("update_to_live_ms_p99")),
    F("appliance", "app.event_p99", "event -> live in dataplane and HAProxy, p99", "ms", "lower",
      _path("event_to_both_ms", "p99"), ("<=", 50)),
    F("appliance", "app.failed", "requests failed during 1000 task changes", "requests", "lower",
      _sum(_path("loss", "l4_failed"), _path("loss", "l7_failed")), ("<=", 0)),
    F("faults", "faults.failed", "requests failed through the fault cases", "requests", "lower", _faults_failed,
      ("<=", 0)),
    F("faults", "faults.worst_dip", "lowest 1 s rate in a fault / offered, worst case", "share", "higher",
      _faults_worst_dip),
    F("faults", "faults.longest_outage", "longest outage in a fault (< half the offered rate)", "s", "lower",
      _faults_longest_outage),
]


def extract(fig, result):
    try:
        return fig["get"](result)
    except (KeyError, TypeError, IndexError, ZeroDivisionError):
        return None
