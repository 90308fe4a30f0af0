"""combination_code (I.A.15, I.B.9, I.C.4.a, I.C.9.a): conditions the classification joins in one
combination code ("with"), reported as separate codes. Pairs are data (combination_codes.jsonl)."""

from __future__ import annotations

from knowledge.rules.context import CheckContext, finding
from knowledge.rules.tables import combinations
from knowledge.schema import Finding


def _assign(ctx: CheckContext, patterns: tuple[str, ...]) -> list[str] | None:
    """A distinct code of the set for every pattern, or None."""
    chosen: list[str] = []
    for pattern in patterns:
        match = next((c for c in ctx.valid_codes if c not in chosen and ctx.matches(c, pattern)), None)
        if match is None:
            return None
        chosen.append(match)
    return chosen


def check_combinations(ctx: CheckContext) -> list[Finding]:
    out: list[Finding] = []
    reported: set[frozenset[str]] = set()
    for combo in combinations():
        codes = _assign(ctx, combo.when)
        if codes is None or any(ctx.any_matching(p) for p in combo.unless):
            continue
        if frozenset(codes) in reported:
            continue
        reported.add(frozenset(codes))
        out.append(
            finding("combination_code", "error", f"{combo.message} (use {combo.use})", codes, combo.guideline)
        )
    return out
