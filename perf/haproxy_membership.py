#!/usr/bin/env python3
"""perf/bench.sh haproxy-membership: the two ways edgelb changes HAProxy's servers without a
reload, measured side by side on the same HAProxy binary in one run (loopback only, no
traffic: the servers are 198.18.0.0/15 addresses nothing connects to, health checks off).

  - slots: every backend has max(8, 2 x servers) named servers s0_<k>; a task takes a free one
    (`set server B/S addr A port P; health up; state ready`) and gives it back (`state drain`,
    later `state maint`). What edgelb does for sticky and static-algorithm backends.
  - dynamic: every task is its own server, named by its task id (`add server B/<task> A:P;
    enable health; health up; state ready`, then `state drain`, `state maint; del server`).
    What edgelb does for every other backend.

For each: the time of one runtime change as the agent sends it (one batch per change, p50 and
p99 over --changes adds and as many removals), the worker's memory (VmRSS) with --backends
backends of --servers tasks each, the servers HAProxy holds and those in maintenance (show
servers state), and the reloads growing one backend from 1 to 100 tasks costs, worked out from
the slot policy rather than measured (slots: a group that runs out is re-planned at twice its
servers and reloaded; dynamic: none). Writes JSON + a markdown table."""
import io
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from support import processes  # noqa: E402
import harness  # noqa: E402
from support.haproxy_cli import cli  # noqa: E402
from support.measure import cpu_model, pct  # noqa: E402


def address(i):
    return f"198.18.{100 + i // 250}.{i % 250 + 1}"


def slot_count(servers):
    return max(8, 2 * servers)  # server_slots.h


def config(work, mode, backends, servers):
    lines = ["global", f"  stats socket {work}/{mode}.sock mode 600 level admin", "  maxconn 1000",
             "defaults", "  mode http", "  timeout connect 1s", "  timeout client 5s", "  timeout server 5s",
             "  default-server init-addr none"]
    for b in range(backends):
        lines.append(f"backend b{b}")
        if mode == "slots":
            for k in range(slot_count(servers)):
                live = k < servers
                addr = f"{address(b * servers + k)}:8080" if live else "0.0.0.0:0"
                lines.append(f"  server s0_{k + 1} {addr}{'' if live else ' disabled'} check")
        else:
            for k in range(servers):
                lines.append(f"  server app{b}.task-{k} {address(b * servers + k)}:8080 check")
    path = f"{work}/{mode}.cfg"
    open(path, "w").write("\n".join(lines) + "\n")
    return path


def start(work, mode, backends, servers):
    cfg = config(work, mode, backends, servers)
    p = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdout=open(f"{work}/{mode}.log", "w"),
                         stderr=subprocess.STDOUT)
    processes.procs.append(p)
    deadline = time.time() + 20
    while not os.path.exists(f"{work}/{mode}.sock"):
        if p.poll() is not None or time.time() > deadline:
            raise SystemExit(f"haproxy ({mode}) did not start: " + open(f"{work}/{mode}.log").read()[-2000:])
        time.sleep(0.02)
    time.sleep(0.3)
    return p


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def timed(sock, line):
    t = time.perf_counter()
    out = cli(sock, line)
    elapsed = time.perf_counter() - t
    benign = ("New server registered.", "Server deleted.")  # and runtime_api.cc's benign(): address changes
    bad = [x for x in out.splitlines() if x.strip() and x.strip() not in benign and "changed from" not in x]
    if bad:
        raise SystemExit(f"HAProxy refused `{line}`: {bad}")
    return elapsed * 1e6


def servers_in_haproxy(sock):
    return sum(1 for row in cli(sock, "show servers state").splitlines()
               if len(row.split()) > 6 and not row.startswith("#"))


def in_maintenance(sock):
    n = 0
    for row in cli(sock, "show servers state").splitlines():
        f = row.split()
        if len(f) > 6 and not row.startswith("#") and int(f[6]) & 0x23:
            n += 1
    return n


def reloads_to_grow(to):
    """Re-plans (reloads) of a slot group growing from 1 to `to` servers, one at a time."""
    slots, reloads = slot_count(1), 0
    for n in range(2, to + 1):
        if n > slots:
            slots, reloads = slot_count(n), reloads + 1
    return reloads


def main():
    h = harness.Scenario("haproxy-membership", __doc__, seconds=None)
    h.arg("--backends", type=int, default=100)
    h.arg("--servers", type=int, default=10)
    h.arg("--changes", type=int, default=500)
    args = h.parse()
    work = tempfile.mkdtemp(prefix="edgelb-membership-")
    version = subprocess.run(["haproxy", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    res = {"scenario": "haproxy-membership", "cpu": cpu_model(), "haproxy": version, "backends": args.backends,
           "servers_per_backend": args.servers, "changes": args.changes, "modes": {}}
    try:
        for mode in ("slots", "dynamic"):
            p = start(work, mode, args.backends, args.servers)
            sock = f"{work}/{mode}.sock"
            r = {"worker_rss_kib": rss_kib(p.pid), "servers_in_haproxy": servers_in_haproxy(sock),
                 "in_maintenance": in_maintenance(sock)}
            # Changes spread over the backends; slots reuse a free slot, dynamic adds a server.
            add, remove = [], []
            for i in range(args.changes):
                b, k = i % args.backends, args.servers + i // args.backends
                addr = address(args.backends * args.servers + i)
                if mode == "slots":
                    s = f"b{b}/s0_{k + 1}"
                    if k >= slot_count(args.servers):
                        raise SystemExit("--changes exceeds the free slots")
                    add.append(timed(sock, f"set server {s} addr {addr} port 8080; set server {s} health up; "
                                           f"set server {s} state ready"))
                else:
                    s = f"b{b}/app{b}.task-{k}"
                    add.append(timed(sock, f"add server {s} {addr}:8080 check; enable health {s}; "
                                           f"set server {s} health up; set server {s} state ready"))
            r["worker_rss_kib_after_adds"] = rss_kib(p.pid)
            for i in range(args.changes):
                b, k = i % args.backends, args.servers + i // args.backends
                s = f"b{b}/s0_{k + 1}" if mode == "slots" else f"b{b}/app{b}.task-{k}"
                remove.append(timed(sock, f"set server {s} state drain"))
                if mode == "slots":
                    remove[-1] += timed(sock, f"set server {s} state maint")
                else:
                    remove[-1] += timed(sock, f"set server {s} state maint; del server {s}")
            r["in_maintenance_after_removals"] = in_maintenance(sock)
            r["add_us"] = {"p50": round(pct(add, 50)), "p99": round(pct(add, 99))}
            r["remove_us"] = {"p50": round(pct(remove, 50)), "p99": round(pct(remove, 99))}
            # Not measured: what the slot policy implies (a dynamic group never runs out).
            r["reloads_growing_1_to_100_by_policy"] = reloads_to_grow(100) if mode == "slots" else 0
            res["modes"][mode] = r
            p.terminate()
            p.wait(timeout=10)
    finally:
        processes.kill_all()
        subprocess.run(["rm", "-rf", work])
    s, d = res["modes"]["slots"], res["modes"]["dynamic"]
    res["dynamic_vs_slots"] = {"add_p50": round(d["add_us"]["p50"] / s["add_us"]["p50"], 2),
                               "remove_p50": round(d["remove_us"]["p50"] / s["remove_us"]["p50"], 2),
                               "worker_rss": round(d["worker_rss_kib"] / s["worker_rss_kib"], 2)}
    f = io.StringIO()  # the markdown report
    f.write(f"# HAProxy membership: slots vs dynamic servers\n\n{res['haproxy']}; {res['cpu']}; "
            f"{args.backends} backends x {args.servers} tasks; {args.changes} adds and removals each "
            f"(one runtime batch per change, as the agent sends it).\n\n")
    f.write("| | slots | dynamic | dynamic / slots |\n|---|---|---|---|\n")
    f.write(f"| add a task, p50 / p99 (us) | {s['add_us']['p50']} / {s['add_us']['p99']} | "
            f"{d['add_us']['p50']} / {d['add_us']['p99']} | {res['dynamic_vs_slots']['add_p50']} |\n")
    f.write(f"| remove a task (drain, then maint [+ del]), p50 / p99 (us) | {s['remove_us']['p50']} / "
            f"{s['remove_us']['p99']} | {d['remove_us']['p50']} / {d['remove_us']['p99']} | "
            f"{res['dynamic_vs_slots']['remove_p50']} |\n")
    f.write(f"| servers HAProxy holds | {s['servers_in_haproxy']} | {d['servers_in_haproxy']} | |\n")
    f.write(f"| worker VmRSS at start (KiB) | {s['worker_rss_kib']} | {d['worker_rss_kib']} | "
            f"{res['dynamic_vs_slots']['worker_rss']} |\n")
    f.write(f"| servers in maintenance at start / after the removals | {s['in_maintenance']} / "
            f"{s['in_maintenance_after_removals']} | {d['in_maintenance']} / "
            f"{d['in_maintenance_after_removals']} | |\n")
    f.write(f"| reloads growing a backend from 1 to 100 tasks (by the slot policy, not measured) | "
            f"{s['reloads_growing_1_to_100_by_policy']} | {d['reloads_growing_1_to_100_by_policy']} | |\n")
    f.write("\nServer names: slots `s0_<k>` (the task is not visible); dynamic: the task id.\n")
    h.write(res, f.getvalue())


if __name__ == "__main__":
    main()
