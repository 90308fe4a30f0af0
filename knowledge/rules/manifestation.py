"""code_first and manifestation_first (I.A.13): a manifestation code ("in diseases classified
elsewhere") needs its underlying condition reported, and sequenced, before it. Codes listed in
code_first.tsv (e.g. R65.2-, Z3A) need the condition their note names, too."""

from __future__ import annotations

from functools import cache

from knowledge.rules.context import CheckContext, finding
from knowledge.rules.notes import is_manifestation, lineage_notes, references
from knowledge.rules.tables import code_first_requirements
from knowledge.schema import Finding

_NON_EXHAUSTIVE = ("such as", "underlying", "associated")


@cache
def _requirement(code: str) -> tuple[tuple[str, ...], bool, str] | None:
    """(etiology specs, non-exhaustive?, guideline) when `code` must follow its underlying condition."""
    from knowledge.codeset import get_codeset

    codeset = get_codeset()
    for row in code_first_requirements():
        if codeset.in_range(code, row.pattern):
            return row.etiologies, row.etiologies == ("*",), row.guideline
    if not is_manifestation(code):
        return None
    notes = [note for _, note in lineage_notes(code, "code_first")]
    specs = tuple(spec for note in notes for spec in references(note))
    open_list = not specs or any(word in note.lower() for note in notes for word in _NON_EXHAUSTIVE)
    return specs, open_list, "I.A.13"


def _eligible(ctx: CheckContext, code: str, specs: tuple[str, ...], open_list: bool) -> list[str]:
    named = [c for c in ctx.valid_codes if c != code and any(ctx.matches(c, s) for s in specs if s != "*")]
    if named or not open_list:
        return named
    return [
        c
        for c in ctx.valid_codes
        if c != code and c[0] not in "RZVWXY" and not is_manifestation(c) and c[:3] != code[:3]
    ]


def check_manifestations(ctx: CheckContext) -> list[Finding]:
    out: list[Finding] = []
    order = list(ctx.valid_codes)
    for code in order:
        requirement = _requirement(code)
        if requirement is None:
            continue
        specs, open_list, ref = requirement
        eligible = _eligible(ctx, code, specs, open_list)
        if not eligible:
            named = ", ".join(s for s in specs[:4] if s != "*") or "the underlying condition"
            out.append(
                finding(
                    "code_first",
                    "error",
                    f"{code} may not be reported without its underlying condition coded first ({named}).",
                    [code],
                    ref,
                )
            )
        elif all(order.index(e) > order.index(code) for e in eligible):
            out.append(
                finding(
                    "manifestation_first",
                    "error",
                    f"{code} is sequenced before its underlying condition {eligible[0]}; list "
                    f"{eligible[0]} first.",
                    [code, eligible[0]],
                    ref,
                )
            )
    return out
