"""The edgelb control plane as one stack in test namespaces, for tests, benchmarks and the quickstart:
ZooKeeper, edgelb-mesos-sim (a Marathon framework and one Mesos agent per backend host),
edgelb-apiserver (--mesos, mutual TLS with `edgelbctl certs init` certificates) and
edgelb-agents, all in the namespace `lb` of a support.netns.Net; Marathon tasks are real HTTP
servers (support/backend_server.py) in the backend namespaces. Every process is started here
and killed by PID; HAProxy, which runs in its own session and outlives a killed agent, is
stopped by the PID its agent recorded."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid

from .processes import free_port, procs
from .waiting import wait
from .zookeeper import ZooKeeper

SUPPORT = os.path.dirname(os.path.abspath(__file__))
FW = "e1e2e3e4-0000-4000-8000-00000000a9e7-0001"  # the Marathon framework


class Stack:
    def __init__(self, work, bins, ns, lb_addr, hosts):
        """bins: {agent, apiserver, edgelbctl, sim}; ns: {name: namespace} with "lb", "cl" and
        every backend host; lb_addr: the node's address; hosts: {host name: its address}."""
        self.work, self.bins, self.ns, self.lb_addr, self.hosts = work, bins, ns, lb_addr, hosts
        self.zk = None
        self.api_port = self.sim_port = None
        self.tasks = {}  # task_id -> (app, backend process, label)
        self.zk_session_ms = None  # the apiserver's ZooKeeper session timeout (None: its default)

    # -- processes ----------------------------------------------------------------------------
    def in_ns(self, name, *cmd):
        return ["ip", "netns", "exec", self.ns[name], *cmd]

    def start(self, name, cmd, log):
        p = subprocess.Popen(self.in_ns(name, *cmd), stdout=open(f"{self.work}/{log}.log", "a"),
                             stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    def ready_port(self, p, ready, log):
        deadline = time.time() + 30
        while not (os.path.exists(ready) and open(ready).read().strip()):
            assert p.poll() is None, f"{log} exited: " + open(f"{self.work}/{log}.log").read()[-2000:]
            assert time.time() < deadline, f"{log} did not start"
            time.sleep(0.05)
        return int(open(ready).read())

    def start_control_plane(self, sims=1):
        """Certificates, ZooKeeper, the simulator(s) and the apiserver; returns the apiserver.
        sims=2: two simulators electing a leader through ZooKeeper (zk://.../mesos), every op
        applied to both (a real master recovers it from its registry); resign() fails over."""
        subprocess.run([self.bins["edgelbctl"], "certs", "init", "--dir", f"{self.work}/certs"], check=True,
                       capture_output=True)
        self.zk = ZooKeeper(self.work, ns=self.ns["lb"])
        self.zk.start()
        with open(f"{self.work}/cluster.json", "w") as f:
            json.dump([{"op": "add_framework", "id": FW, "name": "marathon"}] +
                      [{"op": "add_agent", "id": f"agent-{h}", "hostname": a} for h, a in self.hosts.items()], f)
        self.sim_ports = []
        group = f"zk://127.0.0.1:{self.zk.port}/mesos"
        for i in range(sims):
            ready = f"{self.work}/sim{i}.port"
            cmd = [self.bins["sim"], "--port", "0", "--heartbeat", "0.5", "--ready-file", ready,
                   "--scenario", f"{self.work}/cluster.json"] + (["--zk", group] if sims > 1 else [])
            sp = self.start("lb", cmd, f"sim{i}")
            self.sim_ports.append(self.ready_port(sp, ready, f"sim{i}"))
        self.sim_port = self.sim_ports[0]
        self.mesos_url = group if sims > 1 else f"http://127.0.0.1:{self.sim_port}"
        api, self.api_port = self.start_apiserver("apiserver", port=free_port())
        return api

    def sim_leader(self):
        """The port of the simulator that leads now."""
        for p in self.sim_ports:
            out = subprocess.run(self.in_ns("lb", "curl", "-sf", f"http://127.0.0.1:{p}/sim/v1/status"),
                                 capture_output=True, text=True, timeout=10)
            if out.returncode == 0 and json.loads(out.stdout).get("leading"):
                return p
        return None

    def sim_call(self, port, path, body):
        out = subprocess.run(self.in_ns("lb", "curl", "-sf", "-X", "POST", "-H", "Content-Type: application/json",
                                        "--data", json.dumps(body), f"http://127.0.0.1:{port}{path}"),
                             capture_output=True, text=True, timeout=10)
        assert out.returncode == 0, f"sim {path} {body} -> {out.returncode} {out.stdout}"

    def start_apiserver(self, name, mesos=True, port=0):
        ready = f"{self.work}/{name}.port"
        if os.path.exists(ready):
            os.remove(ready)
        c = f"{self.work}/certs"
        cmd = [self.bins["apiserver"], "--zk", f"127.0.0.1:{self.zk.port}", "--listen", f"127.0.0.1:{port}",
               "--tls-cert", f"{c}/server.crt", "--tls-key", f"{c}/server.key", "--client-ca", f"{c}/ca.crt",
               "--secret-key-file", f"{c}/secret.key", "--ready-file", ready]
        if mesos:
            cmd += ["--mesos", self.mesos_url]
        if self.zk_session_ms:
            cmd += ["--zk-session-timeout-ms", str(self.zk_session_ms)]
        p = self.start("lb", cmd, name)
        return p, self.ready_port(p, ready, name)

    def agent_config(self, name, dataplane=None, **haproxy):
        """dataplane: the dataplane's control socket (the agent then owns its table), or None."""
        settings = {"min_reload_interval_ms": 300, "drain_timeout_ms": 1500, "hard_stop_after": "5s", **haproxy}
        path = f"{self.work}/{name}.yaml"
        with open(path, "w") as f:
            f.write(f"""node: {{name: {name}, address: "{self.lb_addr}"}}
zookeeper: {{connect: "127.0.0.1:{self.zk.port}", session_timeout_ms: 4000}}
apiserver: {{address: "127.0.0.1:{self.api_port}", certs_dir: "{self.work}/certs"}}
secret_key_file: {self.work}/certs/secret.key
state_dir: {self.work}/{name}
haproxy: {json.dumps(settings)}
metrics: {{listen: "127.0.0.1:{free_port()}"}}
""")
            if dataplane:
                f.write(f"dataplane: {{control_socket: {dataplane}}}\n")
        return path

    def start_agent(self, name, dataplane=None, **haproxy):
        return self.start("lb", [self.bins["agent"], "-c", self.agent_config(name, dataplane, **haproxy)], name)

    def haproxy_master(self, agent, pool):
        try:
            return int(open(f"{self.work}/{agent}/pools/{pool}/run/master.pid").read())
        except (OSError, ValueError):
            return 0

    def kill_node(self, agent_proc, agent, pool):
        """A node dying: its agent and the HAProxy it runs, both kill -9."""
        agent_proc.kill()
        agent_proc.wait()
        pid = self.haproxy_master(agent, pool)
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            wait(lambda: not os.path.exists(f"/proc/{pid}"), "HAProxy master gone", timeout=10)

    def stop_haproxies(self):
        for agent in os.listdir(self.work):
            pools = f"{self.work}/{agent}/pools"
            for pool in os.listdir(pools) if os.path.isdir(pools) else []:
                pid = self.haproxy_master(agent, pool)
                if pid and os.path.exists(f"/proc/{pid}"):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass

    # -- the API, the simulator, tasks ---------------------------------------------------------
    def ctl(self, *a, port=None, ok=True, text=False):
        """edgelbctl's answer as JSON (--json), or with text=True the table it prints."""
        out = subprocess.run(self.in_ns("lb", self.bins["edgelbctl"], "--certs-dir", f"{self.work}/certs", "--as",
                                        "admin", "--server", f"127.0.0.1:{port or self.api_port}",
                                        *([] if text else ["--json"]), *a),
                             capture_output=True, text=True, timeout=30)
        if ok:
            assert out.returncode == 0, f"edgelbctl {' '.join(a)} -> {out.returncode}: {out.stderr}"
        if text:
            return out.stdout
        return json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else None

    def sim(self, *ops):
        for port in self.sim_ports:
            self.sim_call(port, "/sim/v1/op", list(ops))

    def task(self, app, host, name=None, healthy=True, serving=None, post=None):
        """A Marathon task of `app`: a real HTTP server in namespace `host`, then TASK_RUNNING.
        serving=(port, label): the host's server already listening there is the task's.
        post: sends the simulator op instead of sim() (e.g. a latency probe)."""
        if serving:
            port, label, p = serving[0], serving[1], None
        else:
            port = free_port()
            label = f"{app.strip('/').replace('/', '-')}-{len(self.tasks)}"
            p = subprocess.Popen(self.in_ns(host, sys.executable, f"{SUPPORT}/backend_server.py", label, str(port),
                                            str(free_port())), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(p)
        url = f"http://{self.hosts[host]}:{port}/"
        wait(lambda: subprocess.run(self.in_ns(host, "curl", "-sf", "-o", "/dev/null", url)).returncode == 0,
             f"backend {label} up", timeout=10, interval=0.05)
        tid = f"{app.strip('/').replace('/', '.')}.{uuid.uuid4()}"
        (post or self.sim)({"op": "add_task", "framework_id": FW, "task_id": tid,
                            "name": name or app.strip("/").split("/")[-1], "agent_id": f"agent-{host}",
                            "state": "TASK_RUNNING", "ports": [{"number": port, "name": "web"}], "health_check": True,
                            "healthy": healthy})
        self.tasks[tid] = (app, p, label)
        return tid

    def label(self, tid):
        return self.tasks[tid][2]

    def kill_task(self, tid, state="TASK_KILLED", grace=0.0, post=None):
        """Marathon's way: TASK_KILLING (drain), the process stops after `grace`, then the final state."""
        if grace:
            self.sim({"op": "update_task", "framework_id": FW, "task_id": tid, "state": "TASK_KILLING"})
            time.sleep(grace)
        _app, p, _label = self.tasks.pop(tid)
        if p:  # a task on a host's own server leaves the server running
            p.kill()
            p.wait()
        (post or self.sim)({"op": "update_task", "framework_id": FW, "task_id": tid, "state": state})

    def health(self, tid, healthy):
        self.sim({"op": "update_task", "framework_id": FW, "task_id": tid, "healthy": healthy})

    def registrations(self, pool, port=None):
        st = self.ctl("status", pool, port=port)
        return [dict(json.loads(i["data_json"]), id=i["id"]) for i in st.get("instances", [])] if st else []

    # -- the client ----------------------------------------------------------------------------
    def get(self, path="/", host="test.example.com", port=80):
        """(status, X-Backend, X-Request-Path) of one request from the client namespace."""
        out = subprocess.run(self.in_ns("cl", "curl", "-s", "-m", "3", "-o", "/dev/null", "-D", "-", "-H",
                                        f"Host: {host}", f"http://{self.lb_addr}:{port}{path}"),
                             capture_output=True, text=True, timeout=10)
        status, hdr = 0, {}
        for line in out.stdout.splitlines():
            if line.startswith("HTTP/"):
                status = int(line.split()[1])
            elif ":" in line:
                k, v = line.split(":", 1)
                hdr[k.strip().lower()] = v.strip()
        return status, hdr.get("x-backend"), hdr.get("x-request-path")

    def load(self, seconds, path="/", rate="300"):
        """A bounded HTTP load from the client namespace (support/http_load.py); load_result() reads it."""
        return subprocess.Popen(self.in_ns("cl", sys.executable, f"{SUPPORT}/http_load.py", self.lb_addr, str(seconds),
                                           "4", path, "80", str(rate)), stdout=subprocess.PIPE, text=True)

    @staticmethod
    def load_result(p):
        out, _ = p.communicate(timeout=120)
        return json.loads(out.strip().splitlines()[-1])
