"""sequencing: what may not be first-listed or principal. External cause codes are never first
(I.C.20), manifestation codes never first (I.A.13), secondary-only codes (organisms, R65.2-, Z3A,
Z37, Z68, ...) never first; in the inpatient setting also the MCE's unacceptable principal diagnoses."""

from __future__ import annotations

from knowledge.rules.context import CheckContext, finding
from knowledge.rules.mce import mce_edits
from knowledge.rules.notes import is_manifestation
from knowledge.rules.tables import secondary_only
from knowledge.schema import Finding


def check_sequencing(ctx: CheckContext) -> list[Finding]:
    valid = ctx.billable_codes
    if not ctx.codes or not valid or ctx.codes[0] != valid[0]:
        return []
    first = valid[0]
    role = "principal" if ctx.setting == "inpatient" else "first-listed"
    if first[0] in "VWXY":
        return [
            finding(
                "sequencing",
                "error",
                f"{first} is an external cause code and is never {role}; list the injury or condition first.",
                [first],
                "I.C.20",
            )
        ]
    if is_manifestation(first):
        return [
            finding(
                "sequencing",
                "error",
                f"{first} is a manifestation code and may not be {role}.",
                [first],
                "I.A.13",
            )
        ]
    for row in secondary_only():
        if ctx.matches(first, row.pattern):
            return [
                finding(
                    "sequencing",
                    "error",
                    f"{first} may not be {role}: {row.note}.",
                    [first],
                    row.guideline or None,
                )
            ]
    if ctx.setting == "inpatient" and "UNACCEPTABLE_PDX" in mce_edits(first, ctx.age or 40, ctx.sex or "U"):
        return [
            finding(
                "sequencing",
                "error",
                f"{first} is not acceptable as a principal diagnosis (MCE).",
                [first],
                "II",
            )
        ]
    return []
