"""What the doc tests did, collected while they run and printed at the end of the session."""

from __future__ import annotations

from collections import defaultdict

from tests.docs.markdown import SKIP_REASONS, Command

executed: dict[str, list[tuple[Command, float, int]]] = defaultdict(list)
skipped: dict[str, list[Command]] = defaultdict(list)


def summary_lines() -> list[str]:
    if not executed and not skipped:
        return []
    lines = []
    for doc in sorted(set(executed) | set(skipped)):
        ran = executed.get(doc, [])
        seconds = sum(s for _, s, _ in ran)
        lines.append(f"{doc}: {len(ran)} executed ({seconds:.0f}s), {len(skipped[doc])} skipped")
        for command in skipped.get(doc, []):
            first_line = command.text.splitlines()[0]
            reason = SKIP_REASONS.get(command.skip.needs, command.skip.needs)
            lines.append(
                f"  skip {command.where} needs={command.skip.needs}: {first_line}  ({reason})"
            )
    total_ran = sum(len(v) for v in executed.values())
    total_skipped = sum(len(v) for v in skipped.values())
    lines.append(f"total: {total_ran} commands executed, {total_skipped} skipped with a reason")
    return lines
