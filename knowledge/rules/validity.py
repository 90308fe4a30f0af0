"""invalid_code, not_billable, seventh_character (I.A.2-I.A.5, I.B.1)."""

from __future__ import annotations

from itertools import combinations

from knowledge.rules.context import CheckContext, finding
from knowledge.schema import Finding


def _dotted(raw: str) -> str:
    return raw if len(raw) <= 3 else f"{raw[:3]}.{raw[3:]}"


def _stems(raw: str) -> list[str]:
    """Candidate stems for a code whose last character is meant as the 7th: as written, without
    placeholder X's, and with X's inserted where a placeholder belongs."""
    stems = [raw, raw.rstrip("X")]
    base = raw.rstrip("X")
    missing = 6 - len(base)
    if 0 < missing <= 3:
        for positions in combinations(range(3, 6), missing):
            chars = list(base)
            for p in positions:
                chars.insert(p, "X")
            stems.append("".join(chars))
    return list(dict.fromkeys(stems))


def seventh_character_problem(ctx: CheckContext, code: str) -> str | None:
    """Why `code` fails its 7th-character rule, or None when it does not."""
    cs = ctx.codeset
    if cs.is_valid(code):
        rule = cs.seventh_character_rule(code)
        children = cs.children(code)
        if rule and children and all(len(c.replace(".", "")) == 7 for c in children):
            allowed = ", ".join(sorted(rule.allowed))
            return f"{code} needs a 7th character ({allowed}; see {rule.owner})"
        return None
    raw = code.replace(".", "")
    if len(raw) < 4:
        return None
    char, stem_raw = raw[-1], raw[:-1]
    for stem_candidate in _stems(stem_raw):
        stem = _dotted(stem_candidate)
        if not cs.is_valid(stem):
            continue
        rule = cs.seventh_character_rule(stem)
        if rule is None:
            continue
        padded = _dotted(stem_candidate.ljust(6, "X") + char)
        if char not in rule.allowed:
            return (
                f"7th character {char} is not allowed for {stem} (allowed: {', '.join(sorted(rule.allowed))})"
            )
        if cs.is_valid(padded):
            return f"placeholder X missing: {code} should be written {padded}"
    return None


def check_validity(ctx: CheckContext) -> list[Finding]:
    out: list[Finding] = []
    cs = ctx.codeset
    for code in dict.fromkeys(ctx.codes):
        seventh = seventh_character_problem(ctx, code)
        if not cs.is_valid(code):
            out.append(
                finding(
                    "invalid_code", "error", f"{code} is not a code in ICD-10-CM FY2026.", [code], "I.A.2"
                )
            )
        elif not cs.is_billable(code):
            children = ", ".join(cs.children(code)[:4])
            out.append(
                finding(
                    "not_billable",
                    "error",
                    f"{code} is a category or subcategory, not a reportable code; choose a more "
                    f"specific code (e.g. {children}).",
                    [code],
                    "I.A.3",
                )
            )
        if seventh:
            out.append(finding("seventh_character", "error", seventh, [code], "I.A.5"))
    return out
