"""How edgelb-tune runs other programs (ip, ethtool, mlxconfig, driverctl, modprobe).

A Runner answers `run(argv)` with (returncode, stdout). `SystemRunner` runs the program;
`RecordedRunner` answers from a fixture tree (`<root>/commands/<argv joined by '_'>`, the way
sosreport stores `sos_commands/`) and, for commands that change something, only records them.
A tree that is not `/` always gets a RecordedRunner: nothing ever runs against a fixture.
"""
import os
import re
import subprocess


def command_key(argv):
    return re.sub(r"[^A-Za-z0-9.:,=+-]", "_", "_".join(argv))


class SystemRunner:
    def __init__(self):
        self.executed = []

    def run(self, argv, change=False):
        if change:
            self.executed.append(list(argv))
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        except FileNotFoundError:
            return 127, ""
        except subprocess.TimeoutExpired:
            return 124, ""
        return p.returncode, p.stdout if p.returncode == 0 else (p.stdout + p.stderr)


class RecordedRunner:
    def __init__(self, root):
        self.dir = os.path.join(root, "commands")
        self.executed = []

    def run(self, argv, change=False):
        if change:
            self.executed.append(list(argv))
            return 0, ""
        path = os.path.join(self.dir, command_key(argv))
        try:
            with open(path, encoding="utf-8") as f:
                return 0, f.read()
        except FileNotFoundError:
            return 127, ""


def runner_for(root):
    return SystemRunner() if os.path.realpath(root) == "/" else RecordedRunner(root)
