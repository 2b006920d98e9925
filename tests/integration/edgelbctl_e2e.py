#!/usr/bin/env python3
"""edgelbctl end to end: a real ZooKeeper server, edgelb-apiserver with mutual TLS (certs from
`edgelbctl certs init`), and every edgelbctl verb with its output and exit code; then
ZooKeeper going away and coming back, and the apiserver restarting where it left off.

usage: edgelbctl_e2e.py --apiserver BIN --edgelbctl BIN --fixtures DIR
Everything runs on loopback; every process is started here and killed by PID on exit.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from support.apiserver import start_apiserver as start_apiserver_binary  # noqa: E402
from support.processes import kill_all  # noqa: E402
from support.zookeeper import ZooKeeper  # noqa: E402


def start_apiserver(args, work, zk, certs):
    return start_apiserver_binary(args.apiserver, work, zk, certs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--apiserver", required=True)
    ap.add_argument("--edgelbctl", required=True)
    ap.add_argument("--fixtures", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="edgelbctl-e2e-")
    try:
        run(args, work)
        print("edgelbctl e2e: ok")
    finally:
        kill_all()
        shutil.rmtree(work, ignore_errors=True)


def run(args, work):
    certs = f"{work}/certs"
    out = subprocess.run([args.edgelbctl, "certs", "init", "--dir", certs], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for f in ("ca.crt", "server.crt", "server.key", "admin.crt", "operator.key", "viewer.crt"):
        assert os.path.exists(f"{certs}/{f}"), f
    assert oct(os.stat(f"{certs}/admin.key").st_mode & 0o777) == "0o600"
    assert oct(os.stat(f"{certs}/secret.key").st_mode & 0o777) == "0o600"
    shutil.copy(f"{certs}/secret.key", f"{work}/secret.key")
    zk = ZooKeeper(work)
    zk.start()
    api, port = start_apiserver(args, work, zk, certs)

    def ctl(*a, role="admin", expect=0):
        cmd = [args.edgelbctl, "--server", f"127.0.0.1:{port}", "--certs-dir", certs, "--as", role, *a]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert r.returncode == expect, f"{' '.join(a)}: rc {r.returncode}, want {expect}\n{r.stdout}\n{r.stderr}"
        return r

    assert ctl("ping").stdout.strip() == "pong"
    assert "edgelb.v1" in ctl("version").stdout

    # Every shared fixture, as it is; two share a pool name (blue/green): the second is an update.
    fixtures = sorted(f for f in os.listdir(args.fixtures) if f.endswith(".json"))
    names = {}
    for f in fixtures:
        path = os.path.join(args.fixtures, f)
        doc = json.load(open(path))
        if doc["name"] in names:
            r = ctl("create", path, role="operator", expect=4)
            assert "already exists" in r.stderr
            ctl("update", path, role="operator")
        else:
            ctl("create", path, role="operator")
        names[doc["name"]] = doc
    listed = json.loads(ctl("list", "--json").stdout)
    assert sorted(p["name"] for p in listed["pools"]) == sorted(names), listed
    table = ctl("list").stdout
    assert table.splitlines()[0].split()[:3] == ["NAME", "VERSION", "FRONTENDS"], table
    for name, doc in names.items():
        assert json.loads(ctl("show", name, "--json").stdout) == doc, name
    shown = ctl("show", "path-routing").stdout
    for want in ("Frontends:", "Backends:", "frontend_0.0.0.0_80", "mesos:marathon/bridge-nginx:web"):
        assert want in shown, shown
    assert len(json.loads(ctl("show", "--json").stdout)) == len(names)
    assert "fastPath.vips[].forwarding" in ctl("show", "--reference").stdout

    # A YAML file: converted locally, created remotely, read back as the same document.
    yaml_pool = f"{work}/l4.yaml"
    with open(yaml_pool, "w") as f:
        f.write("apiVersion: V2\nname: l4\ncount: 2\nautoCertificate: true\nhaproxy:\n  frontends:\n"
                "    - bindPort: 443\n      protocol: HTTPS\n      certificates: [$AUTOCERT]\n"
                "      linkBackend: {defaultBackend: web}\n  backends:\n    - name: web\n      protocol: HTTP\n"
                "      services:\n        - marathon: {serviceID: /web}\n          endpoint: {portName: http}\n"
                "fastPath:\n  vips:\n    - {address: 198.18.0.10, port: 80, forwarding: NAT, backend: web}\n")
    converted = json.loads(ctl("show", "--convert-to-json", yaml_pool).stdout)
    assert converted["fastPath"]["vips"][0]["port"] == 80 and converted["count"] == 2
    assert "version 1" in ctl("create", yaml_pool, role="operator").stdout
    assert json.loads(ctl("show", "l4", "--json").stdout) == converted
    assert "Fast-path VIPs:" in ctl("show", "l4").stdout

    # Invalid configs: every problem with its path, exit code 3, nothing stored.
    bad = f"{work}/bad.json"
    with open(bad, "w") as f:
        json.dump({"apiVersion": "V2", "name": "bad", "count": -1, "haproxy": {
            "frontends": [{"bindPort": 80, "linkBackend": {"defaultBackend": "nope"}}], "backends": []}}, f)
    r = ctl("create", bad, role="operator", expect=3)
    for want in ("  count: must be between 0 and 2147483647, got -1", "  haproxy.frontends[0].protocol: required",
                 '  haproxy.frontends[0].linkBackend.defaultBackend: no backend named "nope" in haproxy.backends'):
        assert want in r.stderr, r.stderr
    ctl("show", "bad", expect=5)
    r = ctl("validate", bad, role="viewer", expect=3)
    assert "haproxy.frontends[0].protocol: required" in r.stderr
    assert "is valid" in ctl("validate", os.path.join(args.fixtures, fixtures[0]), role="viewer").stdout

    # Compare-and-set from the CLI.
    app = os.path.join(args.fixtures, "01-app-lb-simple-marathon.json")
    current = json.loads(ctl("list", "--json").stdout)
    version = int(next(p["version"] for p in current["pools"] if p["name"] == "app-lb"))  # int64: a JSON string
    ctl("update", app, "--expected-version", str(version), role="operator")
    r = ctl("update", app, "--expected-version", str(version), role="operator", expect=4)
    assert f"the current version is {version + 1}" in r.stderr, r.stderr
    hist = json.loads(ctl("history", "app-lb", "--json").stdout)
    assert hist["versions"][0]["version"] == str(version + 1)  # int64 is a JSON string in proto3 JSON
    assert "rolled back" in ctl("rollback", "app-lb", "1", role="operator").stdout

    # Status of a pool with a registered instance is covered by the unit tests; here: no instances.
    assert "NO_INSTANCES" in ctl("status", "app-lb").stdout
    assert json.loads(ctl("status", "app-lb", "--json").stdout)["health"] == "NO_INSTANCES"

    # Templates (admin) and roles.
    tmpl = f"{work}/custom.tmpl"
    with open(tmpl, "w") as f:
        f.write("global\n  maxconn 50000\n")
    ctl("template", "create", "app-lb", tmpl, role="operator", expect=7)
    ctl("template", "show", "app-lb", expect=5)
    ctl("template", "create", "app-lb", tmpl)
    assert ctl("template", "show", "app-lb", role="viewer").stdout == "global\n  maxconn 50000\n"
    with open(tmpl, "a") as f:
        f.write("  nbthread 2\n")
    ctl("template", "update", "app-lb", tmpl)
    assert "nbthread 2" in ctl("template", "show", "app-lb").stdout
    ctl("template", "delete", "app-lb")
    ctl("template", "show", "app-lb", expect=5)

    # Secrets: write-only, encrypted, referenced by pools.
    keyfile = f"{work}/tls.pem"
    with open(keyfile, "w") as f:
        f.write("-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n")
    ctl("secret", "put", "web-tls", keyfile, role="operator", expect=7)
    ctl("secret", "put", "web-tls", keyfile)
    secrets = json.loads(ctl("secret", "list", "--json").stdout)
    assert secrets["secrets"][0]["name"] == "web-tls"
    uses = f"{work}/uses-secret.json"
    doc = json.load(open(app))
    doc["name"] = "tls-pool"
    doc["secrets"] = [{"secret": "web-tls", "file": "web.pem"}]
    json.dump(doc, open(uses, "w"))
    ctl("create", uses, role="operator")
    r = ctl("secret", "delete", "web-tls", expect=4)
    assert "pool tls-pool: secrets[0].secret" in r.stderr, r.stderr
    doc["secrets"] = [{"secret": "absent", "file": "web.pem"}]
    json.dump(doc, open(uses, "w"))
    r = ctl("update", uses, role="operator", expect=3)
    assert 'secrets[0].secret: no secret named "absent"' in r.stderr, r.stderr

    # Delete: roles, then gone, then not found.
    ctl("delete", "tls-pool", role="viewer", expect=7)
    ctl("delete", "tls-pool", role="operator")
    ctl("delete", "tls-pool", role="operator", expect=5)
    ctl("secret", "delete", "web-tls")

    # No client certificate at all: refused by the TLS handshake.
    r = subprocess.run([args.edgelbctl, "--server", f"127.0.0.1:{port}", "--ca", f"{certs}/ca.crt", "--timeout", "5",
                        "list"], capture_output=True, text=True)
    assert r.returncode == 6, (r.returncode, r.stderr)

    # ZooKeeper goes away: the apiserver says so and answers UNAVAILABLE; it recovers by itself.
    zk.stop()
    time.sleep(1)
    assert "ZooKeeper disconnected" in ctl("ping").stdout
    ctl("list", expect=6)
    zk.start()
    deadline = time.time() + 30
    while subprocess.run([args.edgelbctl, "--server", f"127.0.0.1:{port}", "--certs-dir", certs, "ping"],
                         capture_output=True, text=True).stdout.strip() != "pong":
        assert time.time() < deadline, "apiserver did not reconnect to ZooKeeper"
        time.sleep(0.2)
    before = json.loads(ctl("list", "--json").stdout)

    # The apiserver restarts and picks up where it left off.
    api.send_signal(signal.SIGTERM)
    assert api.wait(timeout=10) == 0
    api, port = start_apiserver(args, work, zk, certs)
    assert json.loads(ctl("list", "--json").stdout) == before

    audit = [json.loads(line) for line in open(f"{work}/audit.log")]
    actions = {(a["action"], a["outcome"]) for a in audit}
    for want in (("create-pool", "ok"), ("update-pool", "error:10"), ("delete-pool", "error:7"),
                 ("put-secret", "ok"), ("put-template", "ok"), ("rollback-pool", "ok")):
        assert want in actions, (want, sorted(actions))
    assert all("not-a-real-key" not in line for line in open(f"{work}/audit.log"))
    assert all("not-a-real-key" not in line for line in open(f"{work}/apiserver.log"))


if __name__ == "__main__":
    sys.exit(main())
