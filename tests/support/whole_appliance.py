"""The whole appliance on one machine, in namespaces it creates (for the quickstart, the system
tests and the appliance benchmark):
  app  198.18.0.2    edgelb-dataplane on the veth dp0 (net_af_xdp, else net_af_packet) with its
                     TAP elb0 carrying the host address, and on that host: ZooKeeper,
                     edgelb-mesos-sim, edgelb-apiserver (--mesos, mutual TLS), edgelb-agent
                     (dataplane.control_socket set) and the HAProxy it runs
  b1..bN 198.18.0.11+ backend hosts (Mesos agents): one HTTP server on port 80 each (the VIP on
                     lo for DSR), plus the Marathon tasks started on other ports
  cli  198.18.0.10   the client
Traffic between them crosses the dataplane: the client reaches HAProxy (an l7 VIP at the host
address, punted through the TAP) and the fastPath VIP 198.18.0.100 (DSR straight to the
backends); HAProxy, the health checks and everything else the host sends go out through the TAP
and the dataplane. Every process is started here and killed by PID; close() removes it all."""
import json
import os
import subprocess

from .appliance import HOST4, VIP4, Appliance, backend_addr
from .edgelb_stack import Stack
from .processes import kill_all
from .waiting import wait

FAST_VIP = VIP4


class WholeAppliance:
    def __init__(self, build, work, tag, hosts=4):
        self.build, self.work = build, work
        self.a = Appliance(f"{build}/dataplane/edgelb-dataplane", work, tag, backends=hosts, dsr_vips=(VIP4,))
        ns = {"lb": self.a.app, "cl": self.a.client}
        self.hosts = {}
        for i, n in enumerate(self.a.backends, 1):
            ns[f"b{i}"] = n
            self.hosts[f"b{i}"] = backend_addr(i)
        bins = {"agent": f"{build}/controlplane/edgelb-agent", "apiserver": f"{build}/controlplane/edgelb-apiserver",
                "edgelbctl": f"{build}/controlplane/edgelbctl", "sim": f"{build}/controlplane/edgelb-mesos-sim"}
        self.st = Stack(work, bins, ns, HOST4, self.hosts)
        self.st.zk_session_ms = 4000  # as the agent's: a ZooKeeper outage of 5 s expires both
        self.agent = None
        self.pmd = None
        self.pool = "quickstart"  # the pool whose HAProxy event_to_live() reads

    # -- processes --------------------------------------------------------------------------
    def start_dataplane(self, pmds=("af_xdp", "af_packet")):
        """Starts edgelb-dataplane on the first PMD that comes up; returns it."""
        errors = []
        for pmd in pmds:
            self.a.pmd = pmd
            try:
                self.a.start([], control=True, extra_config={"exception_path": {"punt_rate_pps": 0}})
                self.pmd = pmd
                return pmd
            except AssertionError as e:
                errors.append(f"{pmd}: {str(e)[-300:]}")
                if self.a.proc and self.a.proc.poll() is None:
                    self.a.net.stop(self.a.proc)
        raise AssertionError("edgelb-dataplane did not start: " + " | ".join(errors))

    def stop_dataplane(self):
        self.a.net.stop(self.a.proc)

    def start_agent(self):
        self.agent = self.st.start_agent("node-1", dataplane=self.a.control_socket)
        return self.agent

    def start(self, sims=1):
        self.start_dataplane()
        self.api = self.st.start_control_plane(sims=sims)
        self.start_agent()

    def close(self):
        try:
            self.st.stop_haproxies()
        finally:
            kill_all()
            self.a.close()

    # -- reading what serves ------------------------------------------------------------------
    def dpctl(self, *args):
        r = self.a.ctl("--json", *args)
        if r.returncode != 0:
            raise AssertionError(f"edgelb-dpctl {' '.join(args)}: {r.stderr.strip()}")
        return json.loads(r.stdout)

    def dataplane_services(self):
        return {s["name"]: s for s in self.dpctl("show", "services").get("services", [])}

    def dataplane_stats(self):
        return self.dpctl("show", "stats")

    def wait_backends(self, service, want, timeout=20):
        """Waits until `service` has exactly the backend addresses `want` in state UP."""
        def ok():
            s = self.dataplane_services().get(service)
            up = sorted(b["address"] for b in (s or {}).get("backends", []) if b.get("state", "UP") == "UP")
            return up == sorted(want)
        wait(ok, f"{service} serving {sorted(want)}", timeout=timeout, interval=0.05)

    def agent_metrics(self):
        """The agent's /metrics as {name: value} (unlabelled samples only)."""
        import re
        listen = re.search(r'metrics: \{listen: "([^"]+)"\}', open(f"{self.work}/node-1.yaml").read()).group(1)
        out = subprocess.run(self.st.in_ns("lb", "curl", "-sf", f"http://{listen}/metrics"), capture_output=True,
                             text=True, timeout=10).stdout
        return {ln.split()[0]: float(ln.split()[1]) for ln in out.splitlines()
                if ln and not ln.startswith("#") and "{" not in ln.split()[0]}

    def registration(self, pool):
        regs = self.st.registrations(pool)
        assert len(regs) == 1, f"one instance of {pool}: {regs}"
        return regs[0]

    def load(self, seconds, targets, rate=200, path="/", retries=0):
        """A bounded HTTP load from the client to `targets` (addresses, port 80); support/http_load.py."""
        return subprocess.Popen(self.st.in_ns("cl", "/usr/bin/python3",
                                              os.path.join(os.path.dirname(__file__), "http_load.py"),
                                              ",".join(targets), str(seconds), "4", path, "80", str(rate),
                                              str(retries)),
                                stdout=subprocess.PIPE, text=True)

    @staticmethod
    def load_result(p):
        out, _ = p.communicate(timeout=180)
        return json.loads(out.strip().splitlines()[-1])

    def probe_request(self, op, service, address, dp_state, hp_backend=None, hp_live=True, port=80):
        """One support/event_probe.py request: the simulator op, then what to wait for."""
        req = {"sims": self.st.sim_ports, "ops": [op], "dpctl": os.path.join(self.build, "dataplane/edgelb-dpctl"),
               "socket": self.a.control_socket, "service": service, "address": address, "state": dp_state}
        if hp_backend:
            req["haproxy"] = {"socket": f"{self.work}/node-1/pools/{self.pool}/run/stats.sock",
                              "backend": hp_backend, "port": port, "live": hp_live}
        return req

    def probe(self, requests, timeout=600):
        """Runs support/event_probe.py inside the appliance's namespace; returns its results."""
        r = subprocess.run(self.st.in_ns("lb", "/usr/bin/python3",
                                         os.path.join(os.path.dirname(__file__), "event_probe.py")),
                           input=json.dumps(requests), capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise AssertionError(f"event probe: {r.stderr.strip()[-500:]}")
        return json.loads(r.stdout)

    def event_to_live(self, send, service, address, dp_state, hp_backend=None, hp_live=True, port=80):
        """Measures one Mesos event: send(post) must call post(op) once with its simulator op,
        which support/event_probe.py sends from inside the appliance's namespace, waiting until
        the dataplane's table has `address` of `service` in dp_state (up/drain/down/absent) and,
        with hp_backend, until HAProxy has it taking requests (hp_live) or not. Returns
        (dataplane ms, HAProxy ms or None)."""
        result = {}

        def post(op):
            result.update(self.probe(self.probe_request(op, service, address, dp_state, hp_backend, hp_live, port),
                                     timeout=60))

        send(post)
        return result["dataplane_ms"], result["haproxy_ms"]
