#!/usr/bin/env python3
"""Opens perf/results/report.html in headless Chromium (Debian `chromium`) and checks that every
plot loaded and the page logged no console error; keeps a screenshot beside the report
(report-screenshot.png). Not part of CI: it needs Chromium, which `--install` adds.

    /usr/bin/python3 perf/check_report.py [--report perf/results/report.html] [--install]

The page marks itself when loaded (perf/report.py): <body data-plots="N" data-broken="...">;
the DOM Chromium dumps after load says which images did not decode. Console messages come from
Chromium's log (--enable-logging=stderr), where page messages are "CONSOLE(...)" lines."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

PERF = os.path.dirname(os.path.abspath(__file__))


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run(browser, profile, *args):
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
           "--allow-file-access-from-files", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--report", default=os.path.join(PERF, "results", "report.html"))
    ap.add_argument("--install", action="store_true", help="apt-get install chromium first when it is missing")
    a = ap.parse_args()
    browser = chromium()
    if not browser and a.install:
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), stdout=subprocess.DEVNULL)
        browser = chromium()
    if not browser:
        print("check_report: no Chromium (Debian package chromium; --install adds it)", file=sys.stderr)
        return 2
    report = os.path.abspath(a.report)
    if not os.path.exists(report):
        print("check_report: %s does not exist (perf/bench.sh report writes it)" % report, file=sys.stderr)
        return 2
    url = "file://" + report
    problems = []
    with tempfile.TemporaryDirectory(prefix="edgelb-chromium-") as profile:
        dom = run(browser, profile, "--dump-dom", url)
        m = re.search(r'<body[^>]*data-plots="(\d+)"[^>]*data-broken="([^"]*)"', dom.stdout)
        if not m:
            problems.append("the page did not finish its load check (no data-plots on <body>)")
        else:
            plots, broken = int(m.group(1)), m.group(2).split()
            if broken:
                problems.append("plots that did not load: " + ", ".join(broken))
            if plots == 0:
                problems.append("the page has no plots")
        console = [l for l in dom.stderr.splitlines() if "CONSOLE" in l and ("ERROR" in l or "Uncaught" in l)]
        console += [l for l in dom.stderr.splitlines() if re.search(r"Failed to load resource|net::ERR_", l)]
        if console:
            problems.append("console errors:\n  " + "\n  ".join(console))
        shot = os.path.join(os.path.dirname(report), "report-screenshot.png")
        r = run(browser, profile, "--screenshot=" + shot, "--window-size=1400,2400", "--hide-scrollbars", url)
        if not os.path.exists(shot):
            problems.append("no screenshot: " + r.stderr[-500:])
    if problems:
        print("check_report: %s\n%s" % (report, "\n".join(problems)))
        return 1
    print("check_report: %s: %d plots loaded, no console errors; screenshot %s" % (report, plots, shot))
    return 0


if __name__ == "__main__":
    sys.exit(main())
