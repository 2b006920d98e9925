"""deploy/prometheus and deploy/grafana with Debian's promtool: the alerting rules load and pass
their unit tests, the example Prometheus config loads, and every dashboard query is valid PromQL.
(That they name only exported metrics is tests/system/dashboard.py, against the running binaries.)
Run: python3 -m unittest tests/unit/deploy/observability_test.py (from the repository root)."""
import json
import os
import subprocess
import tempfile
import unittest

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
PROM = os.path.join(REPO, "deploy", "prometheus")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def promtool(*args, cwd=PROM):
    p = subprocess.run(["promtool", *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    return p.returncode, p.stdout + p.stderr


class Prometheus(unittest.TestCase):
    def test_rules_load(self):
        rc, out = promtool("check", "rules", "edgelb-rules.yml")
        self.assertEqual(rc, 0, out)
        self.assertIn("SUCCESS: 12 rules found", out)

    def test_rules_fire_when_and_only_when_they_should(self):
        rc, out = promtool("test", "rules", "edgelb-rules.test.yml")
        self.assertEqual(rc, 0, out)

    def test_example_config_loads_with_the_rules(self):
        with tempfile.TemporaryDirectory() as d:
            text = read(os.path.join(PROM, "prometheus.yml")).replace(
                "/usr/share/edgelb/prometheus/edgelb-rules.yml", os.path.join(PROM, "edgelb-rules.yml"))
            with open(os.path.join(d, "prometheus.yml"), "w") as f:
                f.write(text)
            rc, out = promtool("check", "config", os.path.join(d, "prometheus.yml"))
            self.assertEqual(rc, 0, out)


class Grafana(unittest.TestCase):
    def test_every_panel_query_is_valid_promql(self):
        dash = json.loads(read(os.path.join(REPO, "deploy", "grafana", "edgelb.json")))
        rules = []
        for p in dash["panels"]:
            for t in p.get("targets", []):
                expr = t["expr"].replace("$instance", ".*").replace("$agent", ".*")
                rules.append(f"      - record: panel_{p['id']}_{t['refId']}\n        expr: {json.dumps(expr)}\n")
        self.assertGreater(len(rules), 40)
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
            f.write("groups:\n  - name: dashboard\n    rules:\n" + "".join(rules))
            f.flush()
            rc, out = promtool("check", "rules", f.name)
        self.assertEqual(rc, 0, out)

    def test_dashboard_shape(self):
        dash = json.loads(read(os.path.join(REPO, "deploy", "grafana", "edgelb.json")))
        ids = [p["id"] for p in dash["panels"]]
        self.assertEqual(len(ids), len(set(ids)), "panel ids are unique")
        self.assertEqual(dash["uid"], "edgelb-appliance")
        self.assertEqual([v["name"] for v in dash["templating"]["list"]], ["datasource", "instance", "agent"])
        for p in dash["panels"]:
            if p["type"] != "row":
                self.assertEqual(p["datasource"]["uid"], "${datasource}", p["title"])


if __name__ == "__main__":
    unittest.main()
