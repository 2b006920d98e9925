#!/usr/bin/env python3
"""The demo's L7 part: an Edge-LB pool served by HAProxy that edgelb-agent renders and
supervises from Mesos endpoints. In namespaces it creates (198.18.0.0/24): the control plane and
the agent in `lb`, Marathon tasks as real HTTP servers in `b1`/`b2` (edgelb-mesos-sim plays the
Mesos master), a client in `cl`. Creates Edge-LB's path-routing pool with edgelbctl, shows where
requests land, scales the app while a bounded load runs, and prints the spread, failures,
reloads and what edgelbctl reports. Everything it starts is stopped and removed at the end.
usage: demo_agent.py BUILD_DIR SECONDS"""
import json
import os
import subprocess
import sys
import tempfile
import time

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(root, "tests"))
from support.edgelb_stack import Stack  # noqa: E402
from support.netns import Net  # noqa: E402
from support.processes import kill_all  # noqa: E402
from support.waiting import wait  # noqa: E402

LB = "198.18.0.10"
HOSTS = {"b1": "198.18.0.21", "b2": "198.18.0.22"}


def main():
    build, secs = sys.argv[1], max(3, min(int(sys.argv[2]), 60))
    bins = {"agent": f"{build}/controlplane/edgelb-agent", "apiserver": f"{build}/controlplane/edgelb-apiserver",
            "edgelbctl": f"{build}/controlplane/edgelbctl", "sim": f"{build}/controlplane/edgelb-mesos-sim"}
    work = tempfile.mkdtemp(prefix="edgelb-demo-agent-")
    os.chmod(work, 0o755)
    net = Net("dm%d" % (os.getpid() % 10000))
    st = None
    try:
        ns = {"lb": net.host("lb", [f"{LB}/24"]), "cl": net.host("cl", ["198.18.0.100/24"])}
        for h, a in HOSTS.items():
            ns[h] = net.host(h, [f"{a}/24"])
        st = Stack(work, bins, ns, LB, HOSTS)
        st.start_control_plane()
        st.start_agent("node-1")
        pool_file = os.path.join(root, "tests/fixtures/edgelb-pools/02-path-routing-rewrite.json")
        pool = json.load(open(pool_file))["name"]
        httpd = [st.task("/host-httpd", "b1"), st.task("/host-httpd", "b2")]
        st.task("/bridge-nginx", "b2", name="bridge-nginx")
        st.ctl("create", pool_file)
        wait(lambda: st.get("/")[0] == 200, "HAProxy serving the pool", timeout=30)
        print(f"== pool {pool} (Edge-LB's path-routing example) served by HAProxy at {LB}:80")
        for path in ("/", "/", "/nginx/index.html"):
            s, backend, seen = st.get(path)
            print(f"   GET {path:<18} -> {s} from {backend} (asked for {seen})")
        reloads = st.registrations(pool)[0]["reloads"]
        print(f"== {secs}s of load (300 requests/s) while /host-httpd scales 2 -> 3 and a task is killed")
        lp = st.load(secs)
        time.sleep(secs / 3)
        st.task("/host-httpd", "b1")
        time.sleep(secs / 3)
        st.kill_task(httpd[0], "TASK_KILLED", grace=1.0)
        r = st.load_result(lp)
        reg = st.registrations(pool)[0]
        print(f"   requests ok {r['ok']}, failed {r['failed']}; spread {r['by_backend']}")
        print(f"   HAProxy reloads for these membership changes: {reg['reloads'] - reloads}; runtime API commands: "
              f"{reg['runtimeCommands']}")
        print("== edgelbctl status / endpoints")
        for line in subprocess.run(st.in_ns("lb", bins["edgelbctl"], "--certs-dir", f"{work}/certs", "--server",
                                            f"127.0.0.1:{st.api_port}", "status", pool),
                                   capture_output=True, text=True).stdout.splitlines():
            print("   " + line)
        for e in st.ctl("endpoints", pool)["endpoints"]:
            print(f"   {e['name']:<22} {e['address']}:{e['port']} ({e['protocol']}, {e['instance']} on {e['host']})")
        cfg = st.ctl("lb-config", pool)["config"]
        print("== edgelbctl lb-config (the frontend)")
        for line in ("frontend" + cfg.split("\nfrontend", 1)[1]).splitlines()[:6]:
            print("   " + line)
        if r["failed"]:
            raise SystemExit(f"{r['failed']} requests failed: {r['errors']}")
    finally:
        if st:
            st.stop_haproxies()
        kill_all()
        net.close()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
