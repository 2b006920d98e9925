"""Processes a test or benchmark starts: remembered here, killed by PID (never by name)."""
import socket

procs = []  # every process started through these helpers, oldest first


def free_port():
    """A free TCP port on loopback (for servers that take a port rather than picking one)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def kill_all():
    """Kills every remembered process that still runs, newest first, and waits for each."""
    for p in reversed(procs):
        if p.poll() is None:
            p.kill()
            p.wait()
