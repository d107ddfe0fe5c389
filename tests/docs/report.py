"""What the doc tests did, printed at the end of the session.

Each doc test attaches what it ran or skipped to its own report (`record_property`), and the
summary reads it back from the reports: so it also works when pytest-xdist runs the docs in
several processes, whose memory the summary cannot see.
"""

from __future__ import annotations

from collections import defaultdict

from tests.docs.markdown import SKIP_REASONS

PROPERTY = "documented commands"


def ran(doc: str, seconds: list[float]) -> dict:
    return {"doc": doc, "executed": len(seconds), "seconds": sum(seconds)}


def not_run(doc: str, commands) -> dict:
    return {
        "doc": doc,
        "skipped": [(c.where, c.skip.needs, c.text.splitlines()[0]) for c in commands],
    }


def summary_lines(entries: list[dict]) -> list[str]:
    if not entries:
        return []
    executed, seconds, skipped = defaultdict(int), defaultdict(float), defaultdict(list)
    for entry in entries:
        executed[entry["doc"]] += entry.get("executed", 0)
        seconds[entry["doc"]] += entry.get("seconds", 0.0)
        skipped[entry["doc"]] += entry.get("skipped", [])
    lines = []
    for doc in sorted(set(executed) | set(skipped)):
        lines.append(
            f"{doc}: {executed[doc]} executed ({seconds[doc]:.0f}s), {len(skipped[doc])} skipped"
        )
        for where, needs, first_line in skipped[doc]:
            reason = SKIP_REASONS.get(needs, needs)
            lines.append(f"  skip {where} needs={needs}: {first_line}  ({reason})")
    total_ran = sum(executed.values())
    total_skipped = sum(len(v) for v in skipped.values())
    lines.append(f"total: {total_ran} commands executed, {total_skipped} skipped with a reason")
    return lines
