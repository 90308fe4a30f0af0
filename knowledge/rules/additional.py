"""use_additional (I.A.13 and tabular notes): an etiology code whose "use additional code" note asks
for a code the chart documents but the set lacks. Needs chart text; skipped without it."""

from __future__ import annotations

from knowledge.rules.context import CheckContext, finding
from knowledge.rules.tables import additional_codes
from knowledge.schema import Finding


def check_use_additional(ctx: CheckContext) -> list[Finding]:
    if not ctx.chart_text:
        return []
    out: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for row in additional_codes():
        triggers = ctx.any_matching(row.trigger)
        if not triggers or ctx.any_matching(row.additional) or not row.chart_pattern.search(ctx.chart_text):
            continue
        key = (triggers[0], row.additional)
        if key in seen:
            continue
        seen.add(key)
        reason = f" ({row.note})" if row.note else ""
        out.append(
            finding(
                "use_additional",
                "warning",
                f"{triggers[0]} asks for an additional code {row.additional} that the chart "
                f"documents{reason}.",
                [triggers[0]],
                row.guideline,
            )
        )
    return out
