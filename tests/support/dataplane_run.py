"""Running edgelb-dataplane against edgelb-pktgen over a memif link, for benchmarks: hugepages
(or not), the generator (bounded in time), and one dataplane run with its final stats."""
import json
import os
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")


def hugepages():
    out = subprocess.run(["bash", os.path.join(ROOT, "deploy/hugepages.sh"), "1024"], capture_output=True, text=True)
    return out.stdout.strip() == "hugepages"


def pktgen(work, sock, seconds, flows, tag, huge, rate_pps=0, vips=("198.18.1.10:80/tcp",), extra=()):
    """Starts edgelb-pktgen on lcore 0 as the memif server; `extra`: more of its options."""
    cmd = [os.path.join(BUILD, "perf/edgelb-pktgen"), "--port", "net_memif0,role=server,socket=" + sock,
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
    out, _ = pg.communicate(timeout=seconds + 60)
    if pg.returncode != 0:
        raise SystemExit("pktgen failed (rc %d): %s" % (pg.returncode, open(pg.stderr_path).read()[-800:]))
    return json.loads(out.strip().splitlines()[-1])


def run_dataplane(work, tag, pg, cfg, svc, seconds, during=None, prefix=()):
    """Starts edgelb-dataplane (config cfg, services svc; bounded to seconds + 3 s) against the
    running generator pg, calls during() while both run, and returns (the generator's result,
    the dataplane's final stats JSON, during()'s result)."""
    time.sleep(1)
    stats = os.path.join(work, tag + "-stats.json")
    dp = subprocess.Popen(list(prefix) + [os.path.join(BUILD, "dataplane/edgelb-dataplane"), "--config", cfg,
                                          "--services", svc, "--duration", str(seconds + 3), "--stats-json", stats],
                          stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, tag + "-dp.log"), "w"))
    try:
        extra = during() if during else None
        res = finish(pg, seconds)
    finally:
        dp.wait(timeout=seconds + 30)
    return res, json.load(open(stats)), extra
