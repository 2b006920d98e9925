"""The Debian package: built with cpack from this build tree, inspected, checked by lintian,
installed into a throwaway root, upgraded over itself, removed and purged.

The throwaway root is an overlay of this machine's / (changes land in a temporary upper layer,
the machine is untouched; tests/support/throwaway_root.py): dpkg runs in a chroot of it exactly as on a real Debian 12 host, so
the Depends must really be satisfiable and the maintainer scripts really run. Needs root.
  python3 tests/package/package_test.py --build-dir build
"""
import glob
import os
import re
import shutil
import sys
import tempfile
import unittest

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests"))
from support.throwaway_root import ThrowawayRoot, run, unittest_main_with_build_dir  # noqa: E402
BUILD = None  # set in main()
CONFFILES = ["/etc/edgelb/host.yaml", "/etc/edgelb/dataplane.yaml", "/etc/edgelb/services.yaml", "/etc/edgelb/agent.yaml",
             "/etc/edgelb/apiserver.env", "/etc/edgelb/zookeeper/zoo.cfg"]
UNITS = ["edgelb-dataplane.service", "edgelb-agent.service", "edgelb-apiserver.service",
         "edgelb-zookeeper.service"]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def expected_files():
    files = ["/usr/bin/" + b for b in ("edgelb-agent", "edgelb-apiserver", "edgelb-dataplane", "edgelb-dpctl",
                                       "edgelbctl")]
    files += ["/usr/sbin/edgelb-tune", "/usr/lib/edgelb/zookeeper-ready", "/usr/lib/modules-load.d/edgelb.conf",
              "/usr/share/lintian/overrides/edgelb", "/usr/share/doc/edgelb/copyright",
              "/usr/share/doc/edgelb/changelog.Debian.gz"]
    files += ["/usr/lib/edgelb/python/edgelb_tune/" + os.path.basename(f)
              for f in glob.glob(os.path.join(REPO, "deploy/tune/edgelb_tune/*.py"))]
    files += ["/lib/systemd/system/" + u for u in UNITS] + CONFFILES
    files += ["/usr/share/doc/edgelb/" + os.path.basename(f) for f in glob.glob(os.path.join(REPO, "docs/*.md"))]
    for d in ("firmware-cfg", "nic-profiles", "deploy/prometheus", "deploy/grafana"):
        for f in glob.glob(os.path.join(REPO, d, "**", "*"), recursive=True):
            if os.path.isfile(f):
                rel = os.path.relpath(f, os.path.join(REPO, os.path.dirname(d)) if "/" in d else REPO)
                files.append("/usr/share/edgelb/" + rel)
    return sorted(files)


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="edgelb-deb-")
        run(["cpack", "-G", "DEB", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", cls.tmp])
        debs = glob.glob(os.path.join(cls.tmp, "*.deb"))
        assert len(debs) == 1, debs
        cls.deb = debs[0]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def field(self, name):
        return run(["dpkg-deb", "-f", self.deb, name]).stdout.strip()

    def test_control_fields(self):
        self.assertEqual(os.path.basename(self.deb), "edgelb_0.1.0-1_amd64.deb")
        self.assertEqual(self.field("Package"), "edgelb")
        self.assertEqual(self.field("Version"), "0.1.0-1")
        self.assertEqual(self.field("Architecture"), "amd64")
        self.assertEqual(self.field("Section"), "net")
        depends = [d.strip() for d in self.field("Depends").split(",")]
        recommends = [d.strip() for d in self.field("Recommends").split(",")]
        # what deploy/debian-packages.txt declares, and what the binaries link (dpkg-shlibdeps)
        for line in read(os.path.join(REPO, "deploy/debian-packages.txt")).splitlines():
            m = re.match(r"^([a-z0-9.+-]+)\s*#\s*deb-(depends|recommends):(.*)$", line.strip())
            if m:
                want = [x.strip() for x in m.group(3).split(",") if x.strip()] or [m.group(1)]
                self.assertTrue(set(want) <= set(depends if m.group(2) == "depends" else recommends), want)
        for lib in ("libzookeeper-mt2", "libsystemd0", "libyaml-cpp0.7 (>= 0.7.0)"):
            self.assertIn(lib, depends)
        self.assertTrue(any(d.startswith("librte-eal23") for d in depends), depends)
        self.assertIn("haproxy (>= 2.6)", depends)

    def test_contents_are_exactly_the_appliance(self):
        listing = run(["dpkg-deb", "-c", self.deb]).stdout.splitlines()
        files = sorted(line.split()[-1][1:] for line in listing if line.startswith("-"))
        self.assertEqual(files, expected_files())
        modes = {line.split()[-1][1:]: line.split()[0] for line in listing}
        for f in ("/usr/bin/edgelb-dataplane", "/usr/sbin/edgelb-tune", "/usr/lib/edgelb/zookeeper-ready"):
            self.assertEqual(modes[f], "-rwxr-xr-x", f)

    def test_conffiles_and_maintainer_scripts(self):
        ctrl = os.path.join(self.tmp, "control")
        run(["dpkg-deb", "-e", self.deb, ctrl])
        self.assertEqual(read(os.path.join(ctrl, "conffiles")).split(), CONFFILES)
        for script in ("postinst", "prerm", "postrm"):
            text = read(os.path.join(ctrl, script))
            run(["sh", "-n", os.path.join(ctrl, script)])
            self.assertIsNone(re.search(r"(systemctl|deb-systemd-invoke)\s+(start|restart|enable|reload)\b", text),
                              f"{script} starts or enables a service")
        post = read(os.path.join(ctrl, "postinst"))
        self.assertIn("useradd --system", post)

    def test_lintian_is_clean(self):
        p = run(["lintian", "--fail-on", "error,warning", "--tag-display-limit", "0", self.deb], ok=(0, 1, 2))
        tags = [l for l in p.stdout.splitlines() if re.match(r"^[EW]: ", l)]
        self.assertEqual(tags, [], p.stdout)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


class InThrowawayRoot(unittest.TestCase):
    """Install, verify units, upgrade over an edited conffile, remove, purge: in an overlay chroot."""

    def setUp(self):
        self.r = ThrowawayRoot()
        self.addCleanup(self.r.close)
        self.root = self.r.path
        out = os.path.join(self.r.tmp, "out")
        run(["cpack", "-G", "DEB", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", out])
        self.r.put(glob.glob(os.path.join(out, "*.deb"))[0], "tmp/edgelb.deb")

    def chroot(self, *argv, ok=(0,)):
        return self.r.chroot(*argv, ok=ok)

    def test_install_upgrade_remove_purge(self):
        self.assertIsNone(re.search(r"^edgelb:", read("/etc/passwd"), re.M),
                          "this machine has an edgelb user: the test could not tell its own")
        if self.chroot("dpkg-query", "-W", "edgelb", ok=(0, 1)).returncode == 0:
            self.fail("edgelb is already installed on this machine; the throwaway root would start from it")
        p = self.chroot("dpkg", "-i", "/tmp/edgelb.deb")
        self.assertIn("installed. Nothing was started.", p.stdout)
        status = self.chroot("dpkg-query", "-W", "-f=${Status}\n${Conffiles}\n", "edgelb").stdout
        self.assertTrue(status.startswith("install ok installed"), status)
        for c in CONFFILES:
            self.assertIn(c, status)
        # the user, its directories; this machine itself untouched
        passwd = read(os.path.join(self.root, "etc/passwd"))
        self.assertRegex(passwd, re.compile(r"^edgelb:x:\d+:\d+:edgelb agent and apiserver:/var/lib/edgelb-agent:"
                                            r"/usr/sbin/nologin$", re.M))
        self.assertNotIn("edgelb:", read("/etc/passwd"))
        certs = os.stat(os.path.join(self.root, "etc/edgelb/certs"))
        self.assertEqual(oct(certs.st_mode & 0o777), "0o750")
        # the binaries run with the libraries the package depends on
        self.assertIn("edgelb-tune", self.chroot("edgelb-tune", "--help").stdout)
        self.assertIn("--config", self.chroot("edgelb-dataplane", "--help", ok=(0, 1, 2)).stdout +
                      self.chroot("edgelb-dataplane", "--help", ok=(0, 1, 2)).stderr)
        self.chroot("edgelbctl", "--help")
        self.chroot("edgelb-apiserver", "--help")
        self.chroot("edgelb-agent", "--help")
        p = self.chroot("edgelb-tune", "check", "--profile", "/etc/edgelb/host.yaml", ok=(0, 1))
        self.assertIn("# edgelb-tune check: /etc/edgelb/host.yaml on /", p.stdout)
        # the units, as installed
        p = run(["systemd-analyze", "verify", f"--root={self.root}"] +
                [os.path.join("/lib/systemd/system", u) for u in UNITS], ok=(0, 1))
        self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""))
        # upgrade over itself: an operator's edit of a conffile stays
        agent = os.path.join(self.root, "etc/edgelb/agent.yaml")
        with open(agent, "a", encoding="utf-8") as f:
            f.write("# edited by the operator\n")
        p = self.chroot("dpkg", "-i", "--force-confold", "/tmp/edgelb.deb")
        self.assertIn("upgraded from 0.1.0-1", p.stdout)
        self.assertTrue(read(agent).endswith("# edited by the operator\n"))
        # remove keeps the conffiles, purge takes them
        self.chroot("dpkg", "-r", "edgelb")
        self.assertFalse(os.path.exists(os.path.join(self.root, "usr/bin/edgelb-dataplane")))
        self.assertTrue(os.path.exists(agent))
        self.chroot("dpkg", "-P", "edgelb")
        self.assertFalse(os.path.exists(agent))

    def test_install_script_is_idempotent(self):
        self.r.put(os.path.join(REPO, "deploy/install.sh"), "tmp/install.sh")
        p = self.chroot("bash", "/tmp/install.sh", "--deb", "/tmp/edgelb.deb")
        self.assertIn("   installed edgelb 0.1.0-1", p.stdout)
        self.assertIn("   made a CA", p.stdout)
        self.assertIn("systemctl enable --now edgelb-dataplane", p.stdout)
        certs = os.path.join(self.root, "etc/edgelb/certs")
        gid = int(self.chroot("getent", "group", "edgelb").stdout.split(":")[2])
        uid = int(self.chroot("getent", "passwd", "edgelb").stdout.split(":")[2])
        for f in ("ca.crt", "server.crt", "server.key", "agent.crt", "agent.key", "secret.key"):
            st = os.stat(os.path.join(certs, f))
            self.assertEqual(st.st_gid, gid, f)
            want = "0o600" if f == "secret.key" else "0o640" if f.endswith(".key") else "0o644"
            self.assertEqual(oct(st.st_mode & 0o777), want, f)
        self.assertEqual(os.stat(os.path.join(certs, "secret.key")).st_uid, uid, "the services' user owns secret.key")
        ca = read(os.path.join(certs, "ca.crt"))
        dpkg_status = read(os.path.join(self.root, "var/lib/dpkg/status"))
        p = self.chroot("bash", "/tmp/install.sh", "--deb", "/tmp/edgelb.deb")
        self.assertIn("edgelb 0.1.0-1 is installed: nothing to do", p.stdout)
        self.assertIn("present: kept", p.stdout)
        self.assertEqual(read(os.path.join(certs, "ca.crt")), ca)
        self.assertEqual(read(os.path.join(self.root, "var/lib/dpkg/status")), dpkg_status)


def set_build_dir(d):
    global BUILD
    BUILD = d


if __name__ == "__main__":
    unittest_main_with_build_dir(set_build_dir)
