"""The edgelb-tune command line.

  edgelb-tune check --profile FILE [--root DIR] [--json]   exit 0: no fail; 1: a fail; 2: bad profile
  edgelb-tune plan  --profile FILE [--root DIR] [--json]   exit 0; 3: the profile names the management NIC
  edgelb-tune apply --profile FILE [--root DIR] [--yes]    exit 0: all done; 1: a step failed or not
                                                           confirmed; 3: refused (nothing changed)
  edgelb-tune hugepages [--pages N]                        quick 2 MiB reservation (tests, quickstart)
"""
import argparse
import json
import os
import sys

from .apply import apply_plan
from .checks import run_checks
from .commands import runner_for
from .host import Host
from .hugepages import reserve
from .plan import make_plan, render_plan
from .profile import ProfileError, load_profile
from .table import render_json, render_table

HERE = os.path.dirname(os.path.abspath(__file__))


def _default_dir(name):
    """The source tree's firmware-cfg/ or nic-profiles/, else the installed /usr/share/edgelb/<name>."""
    src = os.path.normpath(os.path.join(HERE, "..", "..", "..", name))
    return src if os.path.isdir(src) else f"/usr/share/edgelb/{name}"


def _parser():
    ap = argparse.ArgumentParser(
        prog="edgelb-tune",
        description="Check, plan and apply what an edgelb host must be before edgelb-dataplane starts: "
                    "BIOS, kernel command line, hugepages per NUMA node, IOMMU, NIC drivers and firmware, "
                    "IRQ affinity, the CPU governor. See docs/operations.md.")
    sub = ap.add_subparsers(dest="command", required=True)
    for name, text in (("check", "read the machine and judge every item (changes nothing)"),
                       ("plan", "print every change that would bring the machine to the profile (changes nothing)"),
                       ("apply", "run the runtime-safe changes (hugepages, governor, IRQs, ethtool, driver "
                                 "binding), after asking; firmware and GRUB changes are only printed")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--profile", required=True, help="host profile (firmware-cfg/host.yaml format)")
        p.add_argument("--root", default="/", help="read (and for apply, write) this tree instead of / "
                                                   "(fixture trees; commands are then never run)")
        p.add_argument("--firmware-cfg", default=_default_dir("firmware-cfg"), help="NIC family files")
        p.add_argument("--nic-profiles", default=_default_dir("nic-profiles"), help="runtime NIC profiles")
        if name == "apply":
            p.add_argument("--yes", action="store_true", help="do not ask (automation)")
        else:
            p.add_argument("--json", action="store_true", help="machine-readable output")
        if name == "check":
            p.add_argument("--quiet", action="store_true",
                           help="print only the warn and fail rows and the summary (for ExecStartPre)")
    h = sub.add_parser("hugepages", help="reserve 2 MiB hugepages for tests and the quickstart; prints "
                                          "'hugepages ...' or 'no-huge (...)'")
    h.add_argument("--pages", type=int, default=512)
    return ap


def _confirm_tty(steps):
    sys.stdout.write("edgelb-tune apply will now:\n")
    for s in steps:
        sys.stdout.write(f"  {s.text}\n")
    if not sys.stdin.isatty():
        sys.stdout.write("standard input is not a terminal: run again with --yes to apply.\n")
        return False
    sys.stdout.write(f"Apply these {len(steps)} changes? [y/N] ")
    sys.stdout.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "hugepages":
        print(reserve(args.pages))
        return 0
    try:
        profile = load_profile(args.profile, args.firmware_cfg, args.nic_profiles)
    except ProfileError as e:
        sys.stderr.write("edgelb-tune: the profile is not valid:\n")
        for err in e.errors:
            sys.stderr.write(f"  {err}\n")
        return 2
    host = Host(args.root, runner_for(args.root))
    rows, refusals = run_checks(profile, host)
    if args.command == "check":
        shown = [r for r in rows if r.status in ("warn", "fail")] if args.quiet else rows
        sys.stdout.write(render_json(rows, refusals, args.profile, args.root) if args.json
                         else render_table(shown, args.profile, args.root, counted=rows))
        return 1 if any(r.status == "fail" for r in rows) else 0
    plan = make_plan(rows, refusals, host)
    if args.command == "plan":
        if args.json:
            sys.stdout.write(json.dumps(plan.to_json(), indent=2) + "\n")
        else:
            sys.stdout.write(render_plan(plan, args.profile, args.root))
        return 3 if refusals else 0
    result = apply_plan(plan, host, (lambda steps: True) if args.yes else _confirm_tty, sys.stdout)
    if result.refused:
        return 3
    if not result.ok or (plan.runtime_steps() and not result.done):
        return 1
    return 0
