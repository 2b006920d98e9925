"""Small helpers for benchmark reports: percentiles and the machine's CPU name."""
import os
import platform


def pct(values, p):
    """The p-th percentile (nearest rank) of `values`."""
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (what results are labelled with)."""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or os.uname().machine
