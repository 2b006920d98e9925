"""Running edgelb-dataplane against edgelb-pktgen over a memif link, for benchmarks: hugepages
(or not), the generator (bounded in time), and one dataplane run with its final stats."""
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")


def hugepages():
    out = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "deploy/edgelb-tune"), "hugepages", "--pages", "1024"],
                         capture_output=True, text=True)
    return out.stdout.split(" ", 1)[0] == "hugepages"


def dsr_bench_services(work, tag, vip="198.18.1.10"):
    """The memif benchmarks' service table: vip:80/tcp, DSR over 16 backends with fixed MACs
    (198.18.2.1-16); returns its path."""
    path = os.path.join(work, tag + "-services.yaml")
    with open(path, "w") as f:
        json.dump({"version": 1, "services": [{"name": "bench", "vip": vip, "port": 80, "protocol": "tcp",
                   "forwarding": "dsr", "backends": [{"address": "198.18.2.%d" % i, "mac": "02:00:00:00:02:%02x" % i}
                                                     for i in range(1, 17)]}]}, f)
    return path


def memif_client(sock, rsize=None):
    """The DUT's side of the benchmarks' memif link: the client of `sock`; rsize: log2 of its
    rings (14: 16384 packets, as deep as a NIC's)."""
    return "net_memif0,role=client," + ("rsize=%d," % rsize if rsize else "") + "socket=" + sock


def memif_dataplane_config(work, tag, sock, huge, file_prefix, conntrack, rsize=None):
    """An edgelb-dataplane config for one worker (lcore 1) on the memif client of `sock`;
    rsize as memif_client(). Returns its path."""
    device = memif_client(sock, rsize)
    path = os.path.join(work, tag + "-dataplane.yaml")
    with open(path, "w") as f:
        json.dump({"eal": {"file_prefix": file_prefix, "memory_mb": 1024, "hugepages": "auto" if huge else "off"},
                   "workers": [1], "ports": [{"device": device, "mac": "02:00:00:00:00:01"}],
                   "conntrack": conntrack}, f)
    return path


def testpmd_macswap(work, tag, sock, pg, seconds, huge, file_prefix, rsize=None):
    """dpdk-testpmd --forward-mode=macswap (main lcore 0, forwarding lcore 1) on the memif client
    of `sock` against the running generator pg; returns the generator's result."""
    time.sleep(1)
    cmd = ["dpdk-testpmd", "-l", "0,1", "--main-lcore", "0", "--no-pci", "--no-telemetry", "--file-prefix",
           file_prefix, "--vdev", memif_client(sock, rsize), "-m", "1024"]
    cmd += ["--huge-unlink"] if huge else ["--no-huge"]
    # --stats-period keeps it running: without it, it waits for Enter on stdin and exits at EOF
    cmd += ["--", "--forward-mode=macswap", "--port-topology=loop", "--nb-cores=1", "--stats-period", "1",
            "--total-num-mbufs=32768"]
    with open(os.path.join(work, tag + "-testpmd.log"), "w") as log:
        tp = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        return finish(pg, seconds)
    finally:
        tp.send_signal(signal.SIGINT)
        try:
            tp.wait(timeout=20)
        except subprocess.TimeoutExpired:
            tp.kill()
            tp.wait()
        # testpmd leaves its runtime directory (config, memseg maps) behind; nothing else uses it
        shutil.rmtree(os.path.join("/var/run/dpdk", file_prefix), ignore_errors=True)


def pktgen(work, sock, seconds, flows, tag, huge, rate_pps=0, vips=("198.18.1.10:80/tcp",), extra=(), prefix=()):
    """Starts edgelb-pktgen on lcore 0 as the memif server; `extra`: more of its options;
    `prefix`: a command to run it under (e.g. chrt)."""
    cmd = list(prefix) + [os.path.join(BUILD, "perf/edgelb-pktgen"), "--port", "net_memif0,role=server,socket=" + sock,
           "--flows", str(flows), "--size", "64", "--duration", str(seconds),
           "--lcore", "0", "--file-prefix", "bench-pg-" + tag]
    for v in vips:
        cmd += ["--vip", v]
    if rate_pps:
        cmd += ["--rate-pps", str(rate_pps)]
    if not huge:
        cmd.append("--no-huge")
    cmd += list(extra)
    log = os.path.join(work, tag + "-pktgen.log")
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)
    p.stderr_path = log
    return p


def finish(pg, seconds):
    """The generator's summary, with "timeline": [[second, tx Mpps, rx Mpps], ...] from its
    per-second progress lines (what the report plots as throughput over time)."""
    out, _ = pg.communicate(timeout=seconds + 60)
    if pg.returncode != 0:
        raise SystemExit("pktgen failed (rc %d): %s" % (pg.returncode, open(pg.stderr_path).read()[-800:]))
    res = json.loads(out.strip().splitlines()[-1])
    res["timeline"] = [[float(m.group(1)), float(m.group(2)), float(m.group(3))]
                       for m in PROGRESS.finditer(open(pg.stderr_path).read())]
    return res


PROGRESS = re.compile(r"edgelb-pktgen: t=([0-9.]+)s tx ([0-9.]+) Mpps rx ([0-9.]+) Mpps")


def thread_schedstats(pid):
    """{tid: (name, cpu, on-CPU ns, runqueue-wait ns, timeslices)} of every thread of pid, from
    /proc/PID/task/TID/{comm,stat,schedstat}."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        base = "/proc/%d/task/%s/" % (pid, tid)
        try:
            name = open(base + "comm").read().strip()
            cpu = int(open(base + "stat").read().rsplit(")", 1)[1].split()[36])
            run, wait, slices = (int(x) for x in open(base + "schedstat").read().split())
        except (OSError, ValueError, IndexError):
            continue
        out[tid] = (name, cpu, run, wait, slices)
    return out


def watch_schedstats(pid, start_s, end_s, into):
    """Samples thread_schedstats(pid) at start_s and end_s after now and stores what each thread
    name (threads of one name summed) ran and waited for its CPU in between, and the window, in
    `into`. Threads are matched by TID: one that started in the window counts from its start; one
    that ended in it is missing (gRPC's server threads come and go, so the counts are a floor)."""
    def body():
        time.sleep(start_s)
        a = thread_schedstats(pid)
        time.sleep(end_s - start_s)
        b = thread_schedstats(pid)
        threads = {}
        for tid, (name, cpu, run, wait, slices) in b.items():
            _, _, run0, wait0, slices0 = a.get(tid, (name, cpu, 0, 0, 0))
            t = threads.setdefault(name, {"cpu": cpu, "run_ms": 0.0, "wait_ms": 0.0, "timeslices": 0, "threads": 0})
            t["run_ms"] += (run - run0) / 1e6
            t["wait_ms"] += (wait - wait0) / 1e6
            t["timeslices"] += slices - slices0
            t["threads"] += 1
        into["window_s"] = end_s - start_s
        into["threads"] = threads
    t = threading.Thread(target=body, daemon=True)
    t.start()
    return t


def run_dataplane(work, tag, pg, cfg, svc, seconds, during=None, prefix=()):
    """Starts edgelb-dataplane (config cfg, services svc; bounded to seconds + 3 s) against the
    running generator pg, calls during() while both run, and returns (the generator's result,
    the dataplane's final stats JSON with "schedstat": each dataplane thread's run and runqueue
    wait over the middle of the run, during()'s result)."""
    time.sleep(1)
    stats = os.path.join(work, tag + "-stats.json")
    dp = subprocess.Popen(list(prefix) + [os.path.join(BUILD, "dataplane/edgelb-dataplane"), "--config", cfg,
                                          "--services", svc, "--duration", str(seconds + 3), "--stats-json", stats],
                          stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, tag + "-dp.log"), "w"))
    sched = {}
    watcher = watch_schedstats(dp.pid, 2.0, seconds, sched) if not prefix and seconds > 2.5 else None
    try:
        extra = during() if during else None
        res = finish(pg, seconds)
    finally:
        dp.wait(timeout=seconds + 30)
    if watcher:
        watcher.join(timeout=5)
    st = json.load(open(stats))
    st["schedstat"] = sched
    return res, st, extra
