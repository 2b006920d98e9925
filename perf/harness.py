"""What every perf/ scenario script shares: its command line (--seconds, --out, --md and its own
options), the machine it ran on, CPU accounting (per CPU from /proc/stat, per process from
/proc/PID/stat), hugepages (tests/support/dataplane_run.py's), and writing its result (JSON + a
short markdown report) the way perf/bench.sh and perf/report.py read them.

    h = Scenario("peers", __doc__, seconds=10)
    h.arg("--rate", type=int, default=2000)
    a = h.parse()
    ...
    h.write(result, markdown)      # adds "scenario", "date" and "machine" to result
"""
import argparse
import json
import os
import platform
import sys
import time

PERF = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(PERF)
BUILD = os.path.join(ROOT, "build")
sys.path.insert(0, os.path.join(ROOT, "tests"))

from support.dataplane_run import hugepages  # noqa: E402,F401  (re-exported for the scenarios)
from support.measure import cpu_model, pct  # noqa: E402,F401

USER_HZ = os.sysconf("SC_CLK_TCK")


class Scenario:
    """One scenario's command line and its output files."""

    def __init__(self, name, doc, seconds=10, min_seconds=2, max_seconds=120, seconds_type=int):
        """seconds=None: the scenario has no --seconds (it counts samples instead)."""
        self.name = name
        self.seconds = seconds
        self.min_seconds, self.max_seconds = min_seconds, max_seconds
        self.ap = argparse.ArgumentParser(prog="perf/bench.sh " + name, description=(doc or "").split("\n")[0])
        if seconds is not None:
            self.ap.add_argument("--seconds", type=seconds_type, default=seconds, help="length of each measured run")
        self.ap.add_argument("--out", required=True, help="the result as JSON")
        self.ap.add_argument("--md", required=True, help="the result as a short markdown report")
        self.args = None

    def arg(self, *a, **kw):
        self.ap.add_argument(*a, **kw)

    def parse(self, argv=None):
        self.args = self.ap.parse_args(argv)
        if self.seconds is not None and not self.min_seconds <= self.args.seconds <= self.max_seconds:
            raise SystemExit("--seconds must be %g..%g" % (self.min_seconds, self.max_seconds))
        return self.args

    def write(self, result, markdown):
        """Writes --out (result plus scenario, date, machine) and --md; returns the result."""
        full = {"scenario": self.name, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "machine": machine()}
        full.update(result)
        with open(self.args.out, "w") as f:
            json.dump(full, f, indent=2)
        with open(self.args.md, "w") as f:
            f.write(markdown.rstrip() + "\n")
        return full


def machine():
    """What results are labelled with: the CPU, how many, the kernel, hugepages."""
    return {"cpu": cpu_model(), "cpus": os.cpu_count(), "kernel": platform.release(),
            "hugepages_2m_free": _hugepages_free()}


def _hugepages_free():
    try:
        with open("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") as f:
            return int(f.read())
    except OSError:
        return 0


def cpu_times():
    """{cpu index: (busy seconds, all seconds)} from /proc/stat; busy is everything but idle
    and iowait (user, nice, system, irq, softirq, steal)."""
    out = {}
    with open("/proc/stat") as f:
        lines = f.readlines()
    for line in lines:
        if line.startswith("cpu") and line[3].isdigit():
            f = line.split()
            v = [int(x) for x in f[1:9]]
            idle = v[3] + v[4]
            out[int(f[0][3:])] = ((sum(v) - idle) / USER_HZ, sum(v) / USER_HZ)
    return out


class CpuMeter:
    """Busy CPU-seconds of some CPUs between start() and stop()."""

    def __init__(self, cpus):
        self.cpus = list(cpus)

    def start(self):
        self.t0, self.a = time.monotonic(), cpu_times()
        return self

    def stop(self):
        b = cpu_times()
        self.seconds = time.monotonic() - self.t0
        self.busy = {c: b[c][0] - self.a[c][0] for c in self.cpus}
        return sum(self.busy.values())


def process_cpu_seconds(pids):
    """user + system CPU-seconds the processes (and their threads) used so far."""
    total = 0.0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as st:
                f = st.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(f[11]) + int(f[12])) / USER_HZ
    return total
