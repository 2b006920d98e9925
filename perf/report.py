#!/usr/bin/env python3
"""perf/bench.sh report: qualify a box in one command. Runs the scenarios (all, a named subset
or --quick) --repetitions times each through perf/bench.sh, keeps every result under
perf/results/runs/<stamp>/, and writes perf/results/report.md and report.html with plots (PNG
beside them): the headline figures with their targets (met/missed), min/median/max over the
repetitions, and each figure against the previous report's run. A figure that moved the wrong
way by more than its noise band - the larger of this run's and the previous run's spread
(max - min) / median over the repetitions, at least --min-band - is flagged as a regression;
--fail-on-regression makes that the exit code (1), for before/after an upgrade.

    perf/bench.sh report [--quick] [--only peers,ndr] [--repetitions 3] [--fail-on-regression]
    perf/report.py --from-run perf/results/runs/<stamp>   (rewrite the report from kept results)
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from report_figures import FIGURES, SCENARIOS, extract  # noqa: E402

RESULTS = os.path.join(harness.PERF, "results")
RUNS = os.path.join(RESULTS, "runs")
# --quick: short runs of the scenarios that say most about a box's fast path and its peers.
QUICK = {"micro": {},
         "l4-memif": {"BENCH_SECONDS": "3", "BENCH_FLOWS": "100000"},
         "exception-path": {"BENCH_SECONDS": "3"},
         "peers": {"BENCH_SECONDS": "3"},
         "ndr": {"BENCH_SECONDS": "3", "BENCH_NDR_ARGS": "--quick --sizes 64 --flows 1000"},
         "faults": {"BENCH_FAULT_CASES": "dataplane_restart,haproxy_master_kill"}}
# A whole report: the report's own repetitions are NDR's (not 3 searches in each of 3 runs).
FULL = {"ndr": {"BENCH_NDR_ARGS": "--repetitions 1"}}


def run_scenarios(names, repetitions, quick, run_dir, log):
    """Runs each scenario `repetitions` times; returns {scenario: [result JSON, ...]}."""
    out = {}
    for name in names:
        env = dict(os.environ, **(QUICK if quick else FULL).get(name, {}))
        for rep in range(1, repetitions + 1):
            log("report: %s, repetition %d of %d" % (name, rep, repetitions))
            t0 = time.monotonic()
            r = subprocess.run(["bash", os.path.join(harness.PERF, "bench.sh"), name], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            with open(os.path.join(run_dir, "%s-%d.log" % (name, rep)), "w") as f:
                f.write(r.stdout)
            if r.returncode != 0:
                log("report: %s failed (exit %d); its log: %s" % (name, r.returncode,
                                                                   os.path.join(run_dir, "%s-%d.log" % (name, rep))))
                break
            shutil.copy(os.path.join(RESULTS, name + ".json"), os.path.join(run_dir, "%s-%d.json" % (name, rep)))
            log("report: %s done in %.0f s" % (name, time.monotonic() - t0))
    return load_run(run_dir)


def read_json(path):
    with open(path) as f:
        return json.load(f)


def load_run(run_dir):
    out = {}
    for f in sorted(os.listdir(run_dir)):
        if f.endswith(".json") and "-" in f and f != "summary.json":
            name, rep = f[:-5].rsplit("-", 1)
            if rep.isdigit():
                out.setdefault(name, []).append(read_json(os.path.join(run_dir, f)))
    return out


def summarize(results):
    """{figure key: {label, unit, better, target, met, values, min, median, max, band}}."""
    out = {}
    for fig in FIGURES:
        reps = results.get(fig["scenario"], [])
        values = [v for v in (extract(fig, r) for r in reps) if v is not None]
        if not values:
            continue
        med = statistics.median(values)
        s = {k: fig[k] for k in ("scenario", "label", "unit", "better")}
        s.update({"values": values, "min": min(values), "median": med, "max": max(values),
                  "band": (max(values) - min(values)) / abs(med) if med else 0.0})
        if fig.get("target") is not None:
            op, want = fig["target"]
            s["target"] = "%s %g" % (op, want)
            s["met"] = med >= want if op == ">=" else med <= want if op == "<=" else med == want
        out[fig["key"]] = s
    return out


def compare(now, before, min_band):
    """Adds to each figure of `now` its change against `before` and whether it regressed."""
    flagged = []
    for key, s in now.items():
        b = before.get(key)
        if not b:
            continue
        if not b["median"]:  # from zero (no loss, no failed request): any step the wrong way counts
            worse = s["median"] > 0 if s["better"] == "lower" else s["median"] < 0
            s["previous"] = {"median": b["median"], "change": None, "band": min_band}
            s["regressed"], s["improved"] = worse, False
            if worse:
                flagged.append(key)
            continue
        change = (s["median"] - b["median"]) / abs(b["median"])
        band = max(s["band"], b["band"], min_band)
        worse = -change if s["better"] == "higher" else change
        s["previous"] = {"median": b["median"], "change": change, "band": band}
        s["regressed"] = worse > band
        s["improved"] = -worse > band
        if s["regressed"]:
            flagged.append(key)
    return flagged


def previous_run(run_dir):
    """The newest other run directory with a summary, or None."""
    if not os.path.isdir(RUNS):
        return None
    runs = sorted(d for d in os.listdir(RUNS) if os.path.isfile(os.path.join(RUNS, d, "summary.json")) and
                  os.path.join(RUNS, d) != run_dir)
    return os.path.join(RUNS, runs[-1]) if runs else None


def fmt(v, unit):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return ("%.0f %s" % (v, unit)).strip()
    return ("%.3g %s" % (v, unit)).strip()


def setup_lines(results, repetitions):
    m = next((r[0]["machine"] for r in results.values() if r and isinstance(r[0].get("machine"), dict)),
             harness.machine())
    lines = ["Machine: %s, %d CPUs, kernel %s, %d free 2 MiB hugepages." % (
        m["cpu"], m["cpus"], m.get("kernel", "?"), m.get("hugepages_2m_free", 0)),
        "Repetitions: %d per scenario; figures are medians with min-max; the noise band is (max - min) / median." %
        repetitions]
    for name in SCENARIOS:
        if name in results:
            lines.append("%s: %s" % (name, SCENARIOS[name]))
    return lines


def write_markdown(path, summary, setup, prev, flagged, plots, stamp):
    out = ["# edgelb qualification report (%s)" % stamp, ""] + ["- " + l for l in setup] + [""]
    out.append("Compared with: %s." % (os.path.basename(prev) if prev else "nothing (the first run)"))
    if flagged:
        out.append("**Regressions: %s.**" % ", ".join(summary[k]["label"] for k in flagged))
    out += ["", "| figure | median (min - max) | target | | vs previous |", "|---|---|---|---|---|"]
    for key, s in summary.items():
        out.append("| %s | %s (%s - %s) | %s | %s | %s |" % (
            s["label"], fmt(s["median"], s["unit"]), fmt(s["min"], ""), fmt(s["max"], ""), s.get("target", ""),
            "" if "met" not in s else ("met" if s["met"] else "missed"), change_text(s)))
    out += [""] + ["![%s](%s)" % (t, f) for f, t in plots]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def change_text(s):
    p = s.get("previous")
    if not p:
        return ""
    if p["change"] is None:
        text = "was %s" % fmt(p["median"], s["unit"])
    else:
        text = "%+.1f%% (band %.1f%%)" % (100 * p["change"], 100 * p["band"])
    if s.get("regressed"):
        return "**REGRESSED** " + text
    return ("improved " if s.get("improved") else "") + text


def write_html(path, summary, setup, prev, flagged, plots, stamp):
    esc = lambda t: str(t).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    rows = []
    for key, s in summary.items():
        cls = "regressed" if s.get("regressed") else ("missed" if s.get("met") is False else "")
        rows.append("<tr class='%s'><td>%s</td><td>%s</td><td>%s - %s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
            cls, esc(s["label"]), esc(fmt(s["median"], s["unit"])), esc(fmt(s["min"], "")), esc(fmt(s["max"], "")),
            esc(s.get("target", "")), "" if "met" not in s else ("met" if s["met"] else "missed"),
            esc(change_text(s).replace("**", ""))))
    figs = "\n".join("<figure><img src='%s' alt='%s'><figcaption>%s</figcaption></figure>" % (f, esc(t), esc(t))
                     for f, t in plots)
    html = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>edgelb qualification report %(stamp)s</title>
<style>
body { font-family: sans-serif; margin: 2em; max-width: 75em; }
table { border-collapse: collapse; } td, th { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }
tr.missed td:nth-child(5) { color: #a00; } tr.regressed { background: #fdd; }
figure { display: inline-block; margin: 1em; } img { max-width: 36em; border: 1px solid #ddd; }
</style></head><body>
<h1>edgelb qualification report</h1>
<p>%(stamp)s. Compared with: %(prev)s.</p>
%(flag)s
<ul>%(setup)s</ul>
<table><tr><th>figure</th><th>median</th><th>min - max</th><th>target</th><th></th><th>vs previous</th></tr>
%(rows)s
</table>
%(figs)s
<script>
// Read by perf/check_report.py (headless Chromium): every plot decoded, or which did not.
window.addEventListener("load", function () {
  var bad = [], imgs = document.images;
  for (var i = 0; i < imgs.length; i++)
    if (!imgs[i].complete || imgs[i].naturalWidth === 0) bad.push(imgs[i].getAttribute("src"));
  document.body.setAttribute("data-plots", imgs.length);
  document.body.setAttribute("data-broken", bad.join(" "));
});
</script>
</body></html>
""" % {"stamp": esc(stamp), "prev": esc(os.path.basename(prev) if prev else "nothing (the first run)"),
       "flag": "<p><b>Regressions: %s.</b></p>" % esc(", ".join(summary[k]["label"] for k in flagged)) if flagged
       else "", "setup": "".join("<li>%s</li>" % esc(l) for l in setup), "rows": "\n".join(rows), "figs": figs}
    with open(path, "w") as f:
        f.write(html)


def main():
    ap = argparse.ArgumentParser(prog="perf/bench.sh report", description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help="comma-separated scenarios (default: all): " + ", ".join(SCENARIOS))
    ap.add_argument("--quick", action="store_true", help="a few minutes: " + ", ".join(QUICK) + ", short runs")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--fail-on-regression", action="store_true")
    ap.add_argument("--min-band", type=float, default=0.02, help="the smallest noise band (a share of the median)")
    ap.add_argument("--from-run", help="rewrite the report from a kept run directory; run nothing")
    a = ap.parse_args()
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    if a.from_run:
        run_dir = os.path.abspath(a.from_run)
        results = load_run(run_dir)
        reps = max((len(v) for v in results.values()), default=0)
    else:
        names = [n for n in a.only.split(",") if n] if a.only else list(QUICK if a.quick else SCENARIOS)
        for n in names:
            if n not in SCENARIOS:
                raise SystemExit("unknown scenario %r (%s)" % (n, ", ".join(SCENARIOS)))
        if a.repetitions < 1:
            raise SystemExit("--repetitions must be at least 1 (3 for a noise band)")
        run_dir = os.path.join(RUNS, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
        os.makedirs(run_dir)
        results = run_scenarios(names, a.repetitions, a.quick, run_dir, log)
        reps = a.repetitions
    summary = summarize(results)
    prev = previous_run(run_dir)
    flagged = compare(summary, read_json(os.path.join(prev, "summary.json")), a.min_band) if prev else []
    with open(os.path.join(run_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    stamp = os.path.basename(run_dir)
    import report_plots  # matplotlib (perf/debian-packages.txt): only where plots are drawn
    plots = report_plots.draw(results, RESULTS)
    setup = setup_lines(results, reps)
    write_markdown(os.path.join(RESULTS, "report.md"), summary, setup, prev, flagged, plots, stamp)
    write_html(os.path.join(RESULTS, "report.html"), summary, setup, prev, flagged, plots, stamp)
    log("report: %s and %s (%d figures, %d plots, %d regressions%s)" % (
        os.path.join(RESULTS, "report.md"), os.path.join(RESULTS, "report.html"), len(summary), len(plots),
        len(flagged), ": " + ", ".join(flagged) if flagged else ""))
    print(json.dumps({"run": run_dir, "figures": len(summary), "regressions": flagged}))
    return 1 if flagged and a.fail_on_regression else 0


if __name__ == "__main__":
    sys.exit(main())
