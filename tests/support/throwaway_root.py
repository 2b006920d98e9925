"""A throwaway root for package tests: an overlay of this machine's / whose changes land in a
temporary upper layer, so dpkg, maintainer scripts and even a booted systemd (systemd-nspawn)
act on a copy of a real Debian 12 system and the machine itself is untouched. Needs root.

  with ThrowawayRoot() as r:
      r.chroot("dpkg", "-i", "/tmp/edgelb.deb")
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive", "LANG": "C.UTF-8"}


def run(argv, ok=(0,), timeout=600, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if p.returncode not in ok:
        raise AssertionError(f"{' '.join(argv)}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


class ThrowawayRoot:
    def __init__(self):
        if os.geteuid() != 0:
            raise AssertionError("needs root (an overlay mount and a chroot)")
        self.tmp = tempfile.mkdtemp(prefix="edgelb-root-")
        for d in ("upper", "work", "root"):
            os.mkdir(os.path.join(self.tmp, d))
        self.path = os.path.join(self.tmp, "root")
        run(["mount", "-t", "overlay", "overlay", "-o",
             f"lowerdir=/,upperdir={self.tmp}/upper,workdir={self.tmp}/work", self.path])
        os.makedirs(os.path.join(self.path, "tmp"), exist_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def file(self, rel):
        return os.path.join(self.path, rel.lstrip("/"))

    def put(self, src, rel):
        """Copies a file of this machine into the root; returns its path inside."""
        shutil.copy(src, self.file(rel))
        return "/" + rel.lstrip("/")

    def chroot(self, *argv, ok=(0,), timeout=600):
        return run(["chroot", self.path, *argv], ok=ok, timeout=timeout, env=ENV)

    def close(self):
        # a process that has just left the chroot (or a container) can hold the mount a moment
        for _ in range(40):
            if subprocess.run(["umount", self.path], capture_output=True).returncode == 0:
                break
            time.sleep(0.25)
        else:
            subprocess.run(["umount", "--lazy", self.path], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def unittest_main_with_build_dir(set_build_dir):
    """`python3 X_test.py --build-dir DIR [unittest args]`: hands DIR to the test module, runs it."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    args, rest = ap.parse_known_args()
    set_build_dir(os.path.abspath(args.build_dir))
    unittest.main(module="__main__", argv=[sys.argv[0], "-v"] + rest)
