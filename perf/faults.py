#!/usr/bin/env python3
"""perf/bench.sh faults: throughput over time while the whole appliance rides out a fault.

Runs fault cases of tests/system/faults.py (the whole appliance in namespaces: edgelb-dataplane
with its TAP, ZooKeeper, edgelb-mesos-sim, edgelb-apiserver, edgelb-agent + HAProxy) with their
bounded HTTP loads, a new connection per request at 150 requests/s on each path (L7 through
HAProxy, L4 through the fast-path DSR VIP), and keeps what the loads saw every 0.25 s. Per case
and path: requests ok and failed, the lowest 1 s rate from the fault's start to 2 s after its
end (the dip), the outage (the 0.25 s intervals in that window in which fewer than half the
offered requests completed), and the slowest request. A case's fault is its whole action (a
restart includes waiting for the table to come back), so the outage, not the action's length,
is what a client saw. The case itself asserts 0 failed requests;
a case that fails is reported as failed with its output's last lines, and the others still run.
Each load's clock starts when it begins sending; a fault's start and end are placed on it."""
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

DEFAULT_CASES = "dataplane_restart,haproxy_master_kill,zookeeper_outage,mesos_leader_failover,pool_updates_100"
BUCKET_S = 0.25


def path_summary(load, fault, offered):
    """What one path's load did around the fault (fault: [start s, end s]; offered: requests/s)."""
    tl = load["timeline"]
    n = int(1 / BUCKET_S)
    per_s = lambda i: sum(p[1] for p in tl[i:i + n])  # noqa: E731 - requests ok in the second from interval i
    in_fault = [i for i, p in enumerate(tl) if fault[0] <= p[0] <= fault[1] + 2]
    seconds = [i for i in in_fault if i + n <= len(tl)]
    outage = [i for i in in_fault if tl[i][1] < 0.5 * offered * BUCKET_S]
    return {"ok": load["ok"], "failed": load["failed"], "retried": load["retried"], "offered_per_s": offered,
            "fault_s": fault,
            "lowest_1s_rate_per_s": min((per_s(i) for i in seconds), default=None),
            "outage_s": len(outage) * BUCKET_S,
            "slowest_ms": max((p[3] for p in tl), default=None),
            "timeline": tl}


def run_case(case, build, work):
    out = os.path.join(work, case + ".json")
    p = subprocess.run([sys.executable, os.path.join(harness.ROOT, "tests/system/faults.py"), "--case", case,
                        "--build", build, "--workdir", work, "--timeline-out", out],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0 or not os.path.exists(out):
        return {"passed": False, "output_tail": (p.stdout + p.stderr).strip().splitlines()[-12:]}
    loads = json.load(open(out))["loads"]
    load = loads[-1]  # the fault's load (a case runs one)
    fault = load["l7"]["fault_s"]
    return {"passed": True, "seconds": load["seconds"], "rate_per_path": load["rate_per_path"],
            "fault_s": fault, "fault_took_s": round(fault[1] - fault[0], 2),
            "l7": path_summary(load["l7"], fault, load["rate_per_path"]),
            "l4": path_summary(load["l4"], load["l4"]["fault_s"], load["rate_per_path"])}


def fmt(v, f="%.0f"):
    return "-" if v is None else f % v


def main():
    h = harness.Scenario("faults", __doc__, seconds=None)
    h.arg("--cases", default=DEFAULT_CASES, help="comma-separated tests/system/faults.py cases")
    h.arg("--build", default=harness.BUILD)
    a = h.parse()
    cases = [c for c in a.cases.split(",") if c]
    # A short directory: HAProxy's unix socket paths under it must stay under 98 bytes.
    with tempfile.TemporaryDirectory(prefix="elbf-", dir="/tmp") as work:
        os.chmod(work, 0o755)
        results = {c: run_case(c, a.build, work) for c in cases}
    failed = sum(r[p]["failed"] for r in results.values() if r["passed"] for p in ("l7", "l4"))
    met = all(r["passed"] for r in results.values()) and failed == 0
    res = {"cases": results, "failed_requests": failed, "target": "every case passes with 0 failed requests",
           "target_met": met}
    f = io.StringIO()
    m = harness.machine()
    f.write("# faults (%s, %d CPUs)\n\n" % (m["cpu"], m["cpus"]))
    f.write("The whole appliance under a bounded HTTP load (a new connection per request, 150/s on each path: L7 "
            "through HAProxy, L4 through the fast-path DSR VIP) while one fault happens (tests/system/faults.py). "
            "Rates are requests completed ok per second; the dip is the lowest 1 s rate from the fault's start to "
            "2 s after its end; the outage is the time in that window (0.25 s intervals) in which fewer than half "
            "the offered requests completed. 'Fault took' is the case's whole action (a restart includes waiting "
            "for the table to come back). Plot: report-faults.png in the report.\n\n")
    f.write("| case | fault took | path | ok | failed | retried | offered | dip | outage | slowest |\n"
            "|---|---|---|---|---|---|---|---|---|---|\n")
    for c, r in results.items():
        if not r["passed"]:
            f.write("| %s | - | - | - | **case failed** | - | - | - | - | - |\n" % c)
            continue
        for p, name in (("l7", "L7"), ("l4", "L4")):
            s = r[p]
            f.write("| %s | %.2f s | %s | %d | %d | %d | %s/s | %s/s | %s s | %s ms |\n" % (
                c, r["fault_took_s"], name, s["ok"], s["failed"], s["retried"], fmt(s["offered_per_s"]),
                fmt(s["lowest_1s_rate_per_s"]), fmt(s["outage_s"], "%.2f"), fmt(s["slowest_ms"])))
    f.write("\nTarget (every case passes, 0 failed requests): **%s**.\n" % ("met" if met else "missed"))
    for c, r in results.items():
        if not r["passed"]:
            f.write("\n%s failed:\n\n```\n%s\n```\n" % (c, "\n".join(r["output_tail"])))
    h.write(res, f.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
