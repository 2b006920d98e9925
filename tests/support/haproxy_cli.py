"""HAProxy's runtime API over its unix sockets (the stats socket and the master CLI), for tests,
benchmarks and the quickstart: one command per connection, the reply as text."""
import socket


def cli(path, line):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(path)
    s.sendall((line + "\n").encode())
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out.decode()


def servers(stats_sock, backend=""):
    """{(addr, port): admin_state} of one backend (or all) from `show servers state`."""
    out = {}
    for line in cli(stats_sock, "show servers state" + (" " + backend if backend else "")).splitlines():
        f = line.split()
        if len(f) < 19 or line.startswith("#"):
            continue
        out[(f[4], int(f[18]))] = int(f[6])
    return out


def master_reloads(master_sock):
    for line in cli(master_sock, "show proc").splitlines():
        f = line.split()
        if len(f) > 2 and f[1] == "master":
            return int(f[2])
    raise RuntimeError("no master in show proc")


def workers(master_sock):
    out, section = [], None
    for line in cli(master_sock, "show proc").splitlines():
        if line.startswith("# workers"):
            section = "w"
        elif line.startswith("#"):
            section = None
        elif section == "w" and line.split():
            out.append(int(line.split()[0]))
    return out
