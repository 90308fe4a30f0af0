"""duplicate: the same code twice, or a code beside one of its own ancestors (I.B.12 reports a code
once per encounter)."""

from __future__ import annotations

from collections import Counter

from knowledge.rules.context import CheckContext, finding
from knowledge.schema import Finding


def check_duplicates(ctx: CheckContext) -> list[Finding]:
    out = []
    for code, count in Counter(ctx.codes).items():
        if count > 1:
            out.append(
                finding(
                    "duplicate",
                    "error",
                    f"{code} is reported {count} times; report it once.",
                    [code],
                    "I.B.12",
                )
            )
    valid = ctx.valid_codes
    for code in valid:
        for other in valid:
            if other != code and other in ctx.codeset.ancestors(code):
                out.append(
                    finding(
                        "duplicate",
                        "error",
                        f"{other} is contained in {code}; report only {code}.",
                        [other, code],
                        "I.B.12",
                    )
                )
    return out
