"""edgelb-apiserver with mutual TLS (certificates from `edgelbctl certs init` in `certs`) on a
loopback port it picks, against a ZooKeeper from support.zookeeper."""
import os
import subprocess
import time

from .processes import procs


def start_apiserver(binary, work, zk, certs, extra=()):
    """Starts it and waits until it serves; returns (process, port)."""
    ready = f"{work}/apiserver.port"
    if os.path.exists(ready):
        os.remove(ready)
    p = subprocess.Popen(
        [binary, "--zk", f"127.0.0.1:{zk.port}", "--listen", "127.0.0.1:0", "--tls-cert", f"{certs}/server.crt",
         "--tls-key", f"{certs}/server.key", "--client-ca", f"{certs}/ca.crt", "--secret-key-file", f"{work}/secret.key",
         "--audit-log", f"{work}/audit.log", "--ready-file", ready, *extra],
        stdout=open(f"{work}/apiserver.log", "a"), stderr=subprocess.STDOUT)
    procs.append(p)
    deadline = time.time() + 30
    while not os.path.exists(ready) or not open(ready).read().strip():
        assert p.poll() is None, "apiserver exited: " + open(f"{work}/apiserver.log").read()[-2000:]
        assert time.time() < deadline, "apiserver did not start"
        time.sleep(0.05)
    return p, int(open(ready).read())
