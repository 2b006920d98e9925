"""The plan: every change that would bring the machine to the profile, grouped by who makes it.

`make_plan(rows, refusals, host)` -> Plan. BIOS, GRUB and NIC firmware steps are only printed;
RUNTIME steps are what `apply` runs. The GRUB section is one complete
GRUB_CMDLINE_LINUX_DEFAULT line: the one in /etc/default/grub, the arguments it replaces taken
out, the wanted ones added.
"""
import re

from .model import BIOS, CONFIG, GRUB, KINDS, NIC_FIRMWARE, RUNTIME

TITLES = {
    BIOS: "BIOS / UEFI setup (by hand, then reboot)",
    GRUB: "Kernel command line (by hand: edit /etc/default/grub, run update-grub, reboot)",
    NIC_FIRMWARE: "NIC firmware (by hand; mlxconfig settings need mlxfwreset or a reboot)",
    CONFIG: "Hardware and configuration (by hand)",
    RUNTIME: "Runtime (edgelb-tune apply runs these, after asking; lost at reboot unless noted)",
}


class Plan:
    def __init__(self):
        self.steps = {k: [] for k in KINDS}
        self.grub_line = None
        self.refusals = []

    def runtime_steps(self):
        return self.steps[RUNTIME]

    def empty(self):
        return not any(self.steps.values())

    def to_json(self):
        return {"steps": [s.to_json() for k in KINDS for s in self.steps[k]],
                "grub_cmdline_linux_default": self.grub_line,
                "refused": [r.to_json() for r in self.refusals]}


def _grub_default(host):
    text = host.read("/etc/default/grub")
    if text is None:
        return None
    value = None
    for line in text.splitlines():
        m = re.match(r'^\s*GRUB_CMDLINE_LINUX_DEFAULT=(["\']?)(.*)\1\s*$', line)
        if m:
            value = m.group(2)
    return value


def make_plan(rows, refusals, host):
    plan = Plan()
    plan.refusals = list(refusals)
    seen = set()
    for row in rows:
        for step in row.steps:
            key = (step.kind, step.text)
            if key in seen:
                continue
            seen.add(key)
            plan.steps[step.kind].append(step)
    grub = plan.steps[GRUB]
    if grub:
        current = _grub_default(host)
        remove = {n for s in grub for n in s.remove_args}
        kept = [a for a in (current or "").split() if a.partition("=")[0] not in remove]
        plan.grub_line = 'GRUB_CMDLINE_LINUX_DEFAULT="' + " ".join(kept + [s.cmdline_arg for s in grub]) + '"'
    return plan


def render_plan(plan, profile_path, root):
    out = [f"# edgelb-tune plan: {profile_path} on {root}. Nothing has been changed."]
    if plan.empty() and not plan.refusals:
        out.append("# Nothing to do: check finds nothing to fix.")
    for kind in KINDS:
        steps = plan.steps[kind]
        if not steps:
            continue
        out.append("")
        out.append(f"## {TITLES[kind]}")
        if kind == GRUB:
            out.append(f"  {plan.grub_line}")
            out.append("  update-grub && reboot")
            continue
        for s in steps:
            out.append(f"  {s.text}")
    if plan.refusals:
        out.append("")
        out.append("## Refused")
        for r in plan.refusals:
            out.append(f"  {r.message}")
    return "\n".join(out) + "\n"
