"""perf/report.py without running any benchmark: figures taken from result JSON shaped as the
scenarios write it, min/median/max and the noise band over repetitions, targets met or missed,
and the regression check against a previous run (the exit code of --fail-on-regression)."""
import json
import os
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "perf"))
import faults  # noqa: E402
import report  # noqa: E402
from report_figures import FIGURES  # noqa: E402


def l4(mpps, ratio, extra):
    return {"scenario": "l4-memif", "edgelb": {"rx_mpps": mpps}, "ratio_edgelb_over_testpmd": ratio,
            "extra_cycles_per_packet": extra}


def peers(conn, failed_free=True):
    run = {"requests_per_s": conn, "latency_ms": {"p99": 4.0}, "requests_per_lb_cpu_s": conn}
    return {"scenario": "peers", "peers": {"edgelb-dsr": {"available": True, "runs": {"short": run, "fixed": run}},
                                           "ipvs": {"available": False, "why": "no ip_vs"}},
            "ratios": {"edgelb-dsr": {"short": {"requests_per_lb_cpu_s": 0.5}}}}


def appliance(failed):
    return {"event_to_both_ms": {"p99": 20}, "loss": {"l4_failed": failed, "l7_failed": 0}}


class Figures(unittest.TestCase):
    def test_every_figure_names_a_known_scenario_and_direction(self):
        keys = [f["key"] for f in FIGURES]
        self.assertEqual(len(keys), len(set(keys)))
        for f in FIGURES:
            self.assertIn(f["scenario"], report.SCENARIOS)
            self.assertIn(f["better"], ("higher", "lower"))

    def test_summary_over_repetitions(self):
        s = report.summarize({"l4-memif": [l4(4.0, 0.5, 300), l4(3.0, 0.9, 200), l4(5.0, 0.6, 250)]})
        m = s["l4.edgelb_mpps"]
        self.assertEqual((m["min"], m["median"], m["max"]), (3.0, 4.0, 5.0))
        self.assertAlmostEqual(m["band"], 0.5)
        self.assertEqual(s["l4.ratio"]["target"], ">= 0.85")
        self.assertFalse(s["l4.ratio"]["met"])        # median 0.6
        self.assertTrue(s["l4.extra_cycles"]["met"] is False)  # 250 > 100

    def test_a_figure_a_result_lacks_is_left_out(self):
        s = report.summarize({"peers": [peers(6000)]})
        self.assertIn("peers.edgelb_conn", s)
        self.assertNotIn("peers.nft_conn", s)  # nft did not run
        self.assertNotIn("l4.edgelb_mpps", s)


def fault_load(outage, failed=0):
    """40 intervals of 0.25 s at 40 requests/s each (10 per interval) but none in `outage`
    (interval indexes), where `failed` requests failed in the first."""
    tl = [[round(i * 0.25, 2), 0 if i in outage else 10, 0, 12.0] for i in range(40)]
    if outage:
        tl[outage[0]][2], tl[outage[-1] + 1][3] = failed, 900.0
    return {"ok": sum(p[1] for p in tl), "failed": failed, "retried": 0, "timeline": tl}


class Faults(unittest.TestCase):
    def test_dip_outage_and_slowest(self):
        s = faults.path_summary(fault_load(range(12, 16)), [3.0, 3.5], 40)  # nothing done from 3.0 s to 4.0 s
        self.assertEqual(s["lowest_1s_rate_per_s"], 0)
        self.assertEqual(s["outage_s"], 1.0)
        self.assertEqual(s["slowest_ms"], 900.0)
        self.assertEqual(s["failed"], 0)

    def test_no_dip_when_nothing_happened(self):
        s = faults.path_summary(fault_load(()), [3.0, 3.2], 40)
        self.assertEqual((s["lowest_1s_rate_per_s"], s["outage_s"]), (40, 0.0))

    def test_figures_failed_requests_worst_dip_and_longest_outage(self):
        ok = {"passed": True, "l7": faults.path_summary(fault_load(range(12, 14)), [3.0, 3.2], 40),
              "l4": faults.path_summary(fault_load(()), [3.0, 3.2], 40)}
        bad = {"passed": True, "l7": faults.path_summary(fault_load(range(12, 14), failed=3), [3.0, 3.2], 40),
               "l4": ok["l4"]}
        s = report.summarize({"faults": [{"cases": {"a": ok, "b": bad}}] * 3})
        self.assertEqual(s["faults.failed"]["median"], 3)
        self.assertFalse(s["faults.failed"]["met"])
        self.assertAlmostEqual(s["faults.worst_dip"]["median"], 0.5)  # 20 of 40 in the worst second
        self.assertAlmostEqual(s["faults.longest_outage"]["median"], 0.5)
        broken = report.summarize({"faults": [{"cases": {"a": ok, "c": {"passed": False}}}] * 3})
        self.assertNotIn("faults.failed", broken)  # a case that failed has no count to give


class Regressions(unittest.TestCase):
    def test_worse_than_the_noise_band_is_flagged_either_direction(self):
        before = report.summarize({"l4-memif": [l4(4.0, 0.5, 300), l4(4.1, 0.5, 300), l4(3.9, 0.5, 300)]})
        now = report.summarize({"l4-memif": [l4(3.0, 0.5, 400), l4(3.1, 0.5, 400), l4(2.9, 0.5, 400)]})
        flagged = report.compare(now, before, 0.02)
        self.assertEqual(sorted(flagged), ["l4.edgelb_mpps", "l4.extra_cycles"])  # less Mpps, more cycles
        self.assertAlmostEqual(now["l4.edgelb_mpps"]["previous"]["change"], -0.25)
        self.assertFalse(now["l4.ratio"]["regressed"])

    def test_within_the_band_is_not_flagged(self):
        before = report.summarize({"l4-memif": [l4(4.0, 0.5, 300), l4(5.0, 0.5, 300), l4(3.0, 0.5, 300)]})
        now = report.summarize({"l4-memif": [l4(3.5, 0.5, 300), l4(3.6, 0.5, 300), l4(3.4, 0.5, 300)]})
        self.assertEqual(report.compare(now, before, 0.02), [])  # -12.5 % inside a 50 % band
        self.assertFalse(now["l4.edgelb_mpps"]["regressed"])

    def test_better_is_not_a_regression(self):
        before = report.summarize({"l4-memif": [l4(3.0, 0.5, 300)] * 3})
        now = report.summarize({"l4-memif": [l4(4.0, 0.5, 300)] * 3})
        self.assertEqual(report.compare(now, before, 0.02), [])
        self.assertTrue(now["l4.edgelb_mpps"]["improved"])

    def test_from_zero_failures_any_failure_is_a_regression(self):
        before = report.summarize({"appliance": [appliance(0)] * 3})
        now = report.summarize({"appliance": [appliance(2)] * 3})
        self.assertEqual(report.compare(now, before, 0.02), ["app.failed"])
        self.assertIn("was 0", report.change_text(now["app.failed"]))

    def test_report_files_and_exit_code_from_kept_runs(self):
        with tempfile.TemporaryDirectory() as d:
            report.RESULTS, report.RUNS = d, os.path.join(d, "runs")
            for stamp, mpps in (("20260101T000000Z", 4.0), ("20260102T000000Z", 2.0)):
                run = os.path.join(report.RUNS, stamp)
                os.makedirs(run)
                for rep in (1, 2, 3):
                    with open(os.path.join(run, "l4-memif-%d.json" % rep), "w") as f:
                        json.dump(l4(mpps, 0.5, 300), f)
            # the first run's summary as a report of it would have left it
            with open(os.path.join(report.RUNS, "20260101T000000Z", "summary.json"), "w") as f:
                json.dump(report.summarize(report.load_run(os.path.join(report.RUNS, "20260101T000000Z"))), f)
            sys.modules["report_plots"] = type(sys)("report_plots")  # no matplotlib needed here
            sys.modules["report_plots"].draw = lambda results, out: []
            argv = sys.argv
            try:
                sys.argv = ["report.py", "--from-run", os.path.join(report.RUNS, "20260102T000000Z"),
                            "--fail-on-regression"]
                self.assertEqual(report.main(), 1)
                sys.argv = sys.argv[:3]
                self.assertEqual(report.main(), 0)  # without --fail-on-regression
            finally:
                sys.argv = argv
                del sys.modules["report_plots"]
            with open(os.path.join(d, "report.md")) as f:
                md = f.read()
            self.assertIn("Compared with: 20260101T000000Z", md)
            self.assertIn("**REGRESSED** -50.0%", md)
            with open(os.path.join(d, "report.html")) as f:
                html = f.read()
            self.assertIn("class='regressed'", html)


if __name__ == "__main__":
    unittest.main()
