"""excludes1 (I.A.12.a): two conditions that cannot occur together, named by an Excludes1 note at
any level of either code's hierarchy. Excludes2 (I.A.12.b) is not an error and is not reported."""

from __future__ import annotations

from knowledge.rules.context import CheckContext, finding
from knowledge.rules.notes import lineage_notes, references
from knowledge.schema import Finding


def excludes1_conflicts(ctx: CheckContext) -> list[tuple[str, str, str, str]]:
    """(code, excluded code, level of the note, note) for every Excludes1 conflict, each pair once."""
    seen: set[frozenset[str]] = set()
    conflicts = []
    codes = ctx.valid_codes
    for code in codes:
        for level, note in lineage_notes(code, "excludes1"):
            for spec in references(note):
                if ctx.matches(code, spec):
                    continue  # a note that names the code's own range does not exclude it
                for other in codes:
                    if other == code or not ctx.matches(other, spec):
                        continue
                    pair = frozenset((code, other))
                    if pair not in seen:
                        seen.add(pair)
                        conflicts.append((code, other, level, note))
    return conflicts


def check_excludes1(ctx: CheckContext) -> list[Finding]:
    return [
        finding(
            "excludes1",
            "error",
            f"{code} and {other} may not be reported together: Excludes1 at {level} ({note}).",
            [code, other],
            "I.A.12.a",
        )
        for code, other, level, note in excludes1_conflicts(ctx)
    ]
