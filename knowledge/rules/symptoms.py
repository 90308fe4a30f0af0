"""symptom_integral (I.B.5): a sign or symptom routinely part of a confirmed diagnosis in the set is
not reported beside it. Pairs are data (symptom_integral.tsv)."""

from __future__ import annotations

from knowledge.rules.context import CheckContext, finding
from knowledge.rules.tables import symptom_pairs
from knowledge.schema import Finding


def check_symptoms(ctx: CheckContext) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for pair in symptom_pairs():
        for symptom in ctx.any_matching(pair.symptom):
            for diagnosis in ctx.any_matching(pair.diagnosis, exclude=symptom):
                if (symptom, diagnosis) in seen:
                    continue
                seen.add((symptom, diagnosis))
                reason = f" ({pair.note})" if pair.note else ""
                out.append(
                    finding(
                        "symptom_integral",
                        "warning",
                        f"{symptom} is routinely part of {diagnosis} and is not coded beside it{reason}.",
                        [symptom, diagnosis],
                        pair.guideline,
                    )
                )
    return out
