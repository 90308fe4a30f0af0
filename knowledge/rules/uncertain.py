"""uncertain_outpatient (IV.H): in outpatient and emergency settings a diagnosis documented only as
probable, suspected, likely or rule out is not coded (code the signs and symptoms instead). Inpatient
(II.H, III.C) codes it as if established. Needs the evidence assertions; skipped without them."""

from __future__ import annotations

from knowledge.rules.context import CheckContext, finding
from knowledge.schema import Finding


def check_uncertain(ctx: CheckContext) -> list[Finding]:
    if ctx.setting == "inpatient" or not ctx.assertions:
        return []
    out = []
    for code in ctx.valid_codes:
        labels = ctx.assertions.get(code)
        if labels and all(label == "uncertain" for label in labels):
            out.append(
                finding(
                    "uncertain_outpatient",
                    "error",
                    f"{code} is documented only as uncertain (probable, suspected, rule out); in "
                    f"the {ctx.setting} setting code the signs or symptoms instead.",
                    [code],
                    "IV.H",
                )
            )
    return out
