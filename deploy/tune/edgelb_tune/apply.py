"""`apply`: runs the plan's RUNTIME steps, and only those, after a confirmation.

Never runs when the profile names the management interface (the whole apply is refused before
anything changes), and checks again, right before each step that touches a NIC, that the NIC
still carries no address or route: the machine may have changed since the plan was made.
Writes go to files under the root (sysfs/procfs on a real machine; only files that exist, as in
sysfs); commands go through the runner (recorded, never run, on a fixture tree).
"""
import os

from .model import Refusal


class ApplyResult:
    def __init__(self):
        self.done = []      # step texts
        self.failed = []    # (step text, why)
        self.refused = []   # Refusal

    @property
    def ok(self):
        return not self.failed and not self.refused


def apply_plan(plan, host, confirm, out):
    """confirm(steps) -> bool. Prints what it does to `out`."""
    result = ApplyResult()
    if plan.refusals:
        result.refused = list(plan.refusals)
        for r in plan.refusals:
            out.write(f"edgelb-tune apply: {r.message}\n")
        out.write("edgelb-tune apply: nothing was changed.\n")
        return result
    steps = plan.runtime_steps()
    if not steps:
        out.write("edgelb-tune apply: no runtime step to take.\n")
        return result
    if not confirm(steps):
        out.write("edgelb-tune apply: not confirmed; nothing was changed.\n")
        return result
    for step in steps:
        if step.nic:
            refusal = _management(host, step.nic)
            if refusal:
                result.refused.append(refusal)
                out.write(f"  refused  {step.text}\n           {refusal.message}\n")
                continue
        why = None
        if step.write:
            path, value = step.write
            full = host.path(path)
            if not step.create and not os.path.exists(full):
                why = f"{path} does not exist"
            else:
                try:
                    if step.create:
                        os.makedirs(os.path.dirname(full), exist_ok=True)
                    with open(full, "w", encoding="utf-8") as f:
                        f.write(value if value.endswith("\n") else value + "\n")
                    # the kernel may take less than asked (1 GiB pages on fragmented memory, a
                    # managed IRQ): read it back
                    got = host.read(path)
                    if got != value.strip():
                        why = f"{path} reads {got!r} after writing {value!r}" + (
                            ": memory is fragmented, reserve these pages at boot (kernel command line)"
                            if path.endswith("nr_hugepages") else "")
                except OSError as e:
                    why = f"writing {path}: {e.strerror}"
        elif step.run:
            rc, text = host.runner.run(step.run, change=True)
            if rc != 0:
                why = f"exit {rc}: {text.strip().splitlines()[-1] if text.strip() else 'no output'}"
        if why:
            result.failed.append((step.text, why))
            out.write(f"  failed   {step.text}\n           {why}\n")
        else:
            result.done.append(step.text)
            out.write(f"  done     {step.text}\n")
    out.write(f"edgelb-tune apply: {len(result.done)} done, {len(result.failed)} failed, "
              f"{len(result.refused)} refused. Run edgelb-tune check to see the result.\n")
    return result


def _management(host, pci):
    host.refresh()  # read interfaces, addresses and routes again: they may have changed since the plan
    for ifname, addr in host.netdev_pci().items():
        if addr == pci:
            reason = host.management_reason(ifname)
            if reason:
                return Refusal(pci, ifname, reason)
    return None
