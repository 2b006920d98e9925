"""Text and JSON output of `check`."""
import json

from .model import FAIL, NA, PASS, WARN

HEADER = ("ITEM", "WANTED", "FOUND", "STATUS", "WHY")


def summary(rows):
    counts = {s: sum(1 for r in rows if r.status == s) for s in (PASS, WARN, FAIL, NA)}
    return counts, f"{counts[PASS]} pass, {counts[WARN]} warn, {counts[FAIL]} fail, {counts[NA]} n/a"


def render_table(rows, profile_path, root, counted=None):
    """`rows` are printed; the summary counts `counted` (default: the same rows)."""
    cells = [HEADER] + [(r.item, r.wanted, r.found, r.status, r.why) for r in rows]
    widths = [min(max(len(c[i]) for c in cells), 48) for i in range(4)]
    lines = [f"# edgelb-tune check: {profile_path} on {root}"]
    for c in cells:
        parts = []
        for i in range(4):
            parts.append(c[i].ljust(widths[i]))  # a longer cell overflows: nothing is cut
        lines.append("  ".join(parts + [c[4]]).rstrip())
    lines.append(summary(rows if counted is None else counted)[1])
    return "\n".join(lines) + "\n"


def render_json(rows, refusals, profile_path, root):
    counts, _ = summary(rows)
    return json.dumps({"profile": profile_path, "root": root, "rows": [r.to_json() for r in rows],
                       "summary": counts, "refused": [r.to_json() for r in refusals]}, indent=2) + "\n"
