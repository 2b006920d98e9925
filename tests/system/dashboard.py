#!/usr/bin/env python3
"""The Grafana dashboard and the Prometheus rules against the metrics the binaries really export.

The whole appliance (tests/support/whole_appliance.py) serves deploy/quickstart/pool.json with
load through both paths and one pool update (a reload); then edgelb-dataplane's and edgelb-agent's
/metrics are scraped. Every metric a dashboard panel or an alerting rule names must be in a scrape,
and every label a query groups by or matches on must be on one of the metrics it names (instance
and job are Prometheus's own). Fails naming the panel (or rule) and what is missing.
usage: dashboard.py --build DIR [--workdir DIR]"""
import argparse
import json
import os
import re
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from faults import POOL, run_case  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
DASHBOARD = os.path.join(ROOT, "deploy/grafana/edgelb.json")
RULES = os.path.join(ROOT, "deploy/prometheus/edgelb-rules.yml")
PROMETHEUS_LABELS = {"instance", "job", "le", "__name__"}
FUNCTIONS = {"sum", "rate", "increase", "max", "min", "count", "by", "histogram_quantile", "label_values", "up",
             "without", "on", "ignoring", "avg"}


def parse_exposition(text):
    """{metric name: set of label names} of the samples in a Prometheus text scrape."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s", line)
        if m:
            labels = set(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', m.group(3) or ""))
            out.setdefault(m.group(1), set()).update(labels)
    return out


def problems(where, expr, exported):
    """What an expression names that the scrapes do not have."""
    expr = re.sub(r'"[^"]*"', '""', expr)  # label values and regexes are not names
    names = {n for n in re.findall(r"\b(edgelb_[a-z0-9_]+)\b", expr)}
    out = [f"{where}: metric {n} is not exported" for n in sorted(names) if n not in exported]
    have = set().union(*(exported.get(n, set()) for n in names)) | PROMETHEUS_LABELS
    used = set()
    for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
        used |= {x.strip() for x in group.split(",") if x.strip()}
    used |= set(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*""', expr))
    out += [f"{where}: label {l} is on none of {sorted(names)}" for l in sorted(used - have)]
    return out


def check(exported):
    errors = []
    dash = json.load(open(DASHBOARD))
    targets = 0
    for p in dash["panels"]:
        for t in p.get("targets", []):
            targets += 1
            errors += problems(f"panel \"{p['title']}\" ({t['refId']})", t["expr"], exported)
    rules = yaml.safe_load(open(RULES))
    nrules = 0
    for g in rules["groups"]:
        for r in g["rules"]:
            nrules += 1
            errors += problems(f"rule {r.get('alert') or r.get('record')}", r["expr"], exported)
    return errors, targets, nrules


def scrape_agent(w):
    listen = re.search(r'metrics: \{listen: "([^"]+)"\}', open(f"{w.work}/node-1.yaml").read()).group(1)
    r = subprocess.run(w.st.in_ns("lb", "curl", "-sSf", f"http://{listen}/metrics"), capture_output=True, text=True,
                       timeout=15)
    assert r.returncode == 0, r.stderr
    return r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--workdir", default="/tmp/edgelb-system")
    args = ap.parse_args()

    def body(c):
        w, work = c.w, c.w.work
        pool = json.load(open(POOL))
        pool["haproxy"]["backends"][0]["miscStrs"] = ["http-response set-header X-Dashboard 1"]
        with open(f"{work}/pool-update.json", "w") as f:
            json.dump(pool, f)
        c.under_load(4, lambda: c.st.ctl("update", f"{work}/pool-update.json"))
        c.registered(version=2)
        dp = parse_exposition(w.a.metrics())
        ag = parse_exposition(scrape_agent(w))
        print(f"dashboard: scraped {len(dp)} dataplane and {len(ag)} agent metric names")
        errors, targets, nrules = check({**dp, **ag})
        for e in errors:
            print("  " + e)
        assert not errors, f"{len(errors)} dashboard/rule queries name what is not exported"
        print(f"dashboard: {targets} panel queries and {nrules} alerting rules name only exported metrics and labels")
    return run_case("dashboard", args.build, args.workdir, body)


if __name__ == "__main__":
    sys.exit(main())
