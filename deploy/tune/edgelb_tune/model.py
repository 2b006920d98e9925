"""The rows `check` prints and the steps `plan`/`apply` take.

A Row is one judged item: what the profile wants, what the machine has, pass/warn/fail/n/a and
why it matters. A failing or warning Row carries the Steps that would fix it, so the plan is
exactly the fixes of what check found wrong.
"""

PASS, WARN, FAIL, NA = "pass", "warn", "fail", "n/a"

# Step kinds, in the order the plan prints them.
BIOS = "bios"            # firmware setup screen: printed, done by hand, then a reboot
GRUB = "grub"            # kernel command line: printed, done by hand (update-grub), then a reboot
NIC_FIRMWARE = "nic-firmware"  # mlxconfig / NVM update: printed, done by hand
CONFIG = "config"        # hardware placement, the profile, the dataplane config: by hand
RUNTIME = "runtime"      # apply does these (after asking)
KINDS = [BIOS, GRUB, NIC_FIRMWARE, CONFIG, RUNTIME]


class Step:
    """One change. RUNTIME steps are ('write', path, value) or ('run', argv); the others are text."""

    def __init__(self, kind, text, write=None, run=None, nic=None, cmdline_arg=None, remove_args=(), create=False):
        self.kind = kind
        self.text = text
        self.write = write          # (path, value) for RUNTIME writes
        self.create = create        # the write makes a new file (a config), not a sysfs/procfs write
        self.run = run              # argv for RUNTIME commands
        self.nic = nic              # PCI address this step touches (management re-check before apply)
        self.cmdline_arg = cmdline_arg  # GRUB: the argument wanted
        self.remove_args = list(remove_args)  # GRUB: argument names it replaces

    def to_json(self):
        d = {"kind": self.kind, "text": self.text}
        if self.nic:
            d["nic"] = self.nic
        return d


class Row:
    def __init__(self, item, wanted, found, status, why, steps=()):
        self.item = item
        self.wanted = str(wanted)
        self.found = str(found)
        self.status = status
        self.why = why
        self.steps = list(steps) if status in (WARN, FAIL) else []

    def to_json(self):
        return {"item": self.item, "wanted": self.wanted, "found": self.found,
                "status": self.status, "why": self.why}


class Refusal:
    """A NIC edgelb-tune will not touch: it is the host's own interface."""

    def __init__(self, pci, ifname, reason):
        self.pci = pci
        self.ifname = ifname
        self.reason = reason

    @property
    def message(self):
        return (f"refusing to touch {self.pci} ({self.ifname}): it {self.reason}. It looks like the "
                f"management interface; edgelb-tune never binds or changes an interface the host uses, "
                f"whatever the profile says. Take it out of the profile's nics, or move its addresses "
                f"and routes to another interface first.")

    def to_json(self):
        return {"pci": self.pci, "interface": self.ifname, "reason": self.reason, "message": self.message}
