"""Deterministic repairs of rule-tool findings: what the engine does between check rounds.

- combination_code (I.A.15, I.C.4.a, I.C.9.a): the combination code replaces the codes it absorbs;
  codes that name a separate fact (CKD stage, heart failure type, ulcer site, organism) stay.
- symptom_integral (I.B.5): the symptom is dropped beside its confirmed diagnosis.
- duplicate (I.B.12): a code reported twice, or beside its own ancestor, is kept once.
- excludes1 (I.A.12.a): the code with the weaker evidence is dropped.
- uncertain_outpatient (IV.H): the uncertain code is dropped.
- sequencing / code first (I.A.13, I.C.20): the first code that may be listed first moves up.
Everything a repair cannot settle stays in the findings and sends the chart to review.
"""

from __future__ import annotations

from agents.state import Proposal
from knowledge.codeset import get_codeset
from knowledge.rules.tables import Combination, combinations
from knowledge.schema import Finding

# Codes a combination row names but that still carry a separate fact beside the combination code.
_KEEP_BESIDE = frozenset({"K31.84"})


def repair(
    proposals: list[Proposal], findings: list[Finding], setting: str
) -> tuple[list[Proposal], list[str]]:
    """The repaired proposals, in reporting order, and a note for each change made."""
    notes: list[str] = []
    current = [p.model_copy(deep=True) for p in proposals]
    rules = {f.rule for f in findings if f.severity in ("error", "warning")}
    if "combination_code" in rules:
        current = _combine(current, notes)
    for finding in findings:
        codes = [c for c in finding.codes]
        if finding.rule == "symptom_integral" and codes:
            current = _drop(current, codes[0], notes, f"{codes[0]} is integral to {codes[-1]} (I.B.5)")
        elif finding.rule == "duplicate" and len(codes) == 2:
            current = _drop(current, codes[0], notes, f"{codes[0]} is contained in {codes[1]} (I.B.12)")
        elif finding.rule == "excludes1" and len(codes) == 2:
            weaker = _weaker(current, codes[0], codes[1])
            if weaker:
                current = _drop(
                    current,
                    weaker,
                    notes,
                    f"Excludes1 between {codes[0]} and {codes[1]}: kept the better-supported code (I.A.12.a)",
                )
        elif finding.rule == "uncertain_outpatient" and codes:
            current = _drop(current, codes[0], notes, f"{codes[0]} is uncertain outside the hospital (IV.H)")
        elif finding.rule in ("sequencing", "manifestation", "code_first") and finding.severity == "error":
            current = _resequence(current, codes, notes)
    current = _dedupe(current)
    for i, proposal in enumerate(current):
        proposal.rank = i
    return current, notes


def _combine(current: list[Proposal], notes: list[str]) -> list[Proposal]:
    codeset = get_codeset()
    for combo in combinations():
        codes = [p.code for p in current]
        chosen = _assign(codes, combo)
        if chosen is None or any(any(codeset.in_range(c, u) for c in codes) for u in combo.unless):
            continue
        involved = [p for p in current if p.code in chosen]
        use = _resolve(combo.use, involved)
        dropped = {code for code, pattern in zip(chosen, combo.when, strict=True) if _absorbed(code, pattern)}
        dropped |= {p.code for p in involved if _absorbed_any(p.code, combo)}
        dropped.discard(use)
        if use is None:
            continue
        evidence_from = [p for p in involved]
        new = Proposal(
            code=use,
            quotes=[q for p in evidence_from for q in p.quotes],
            evidence=[e for p in evidence_from for e in p.evidence],
            rationale=f"{combo.message}",
            guideline_refs=[combo.guideline],
            match=round(min(p.match for p in involved), 3),
            source="combination",
            principal=any(p.principal for p in involved if p.code in dropped)
            or (any(p.principal for p in involved) and combo.use.startswith(("I11", "I12", "I13"))),
            rank=min((p.rank for p in involved if p.code in dropped), default=min(p.rank for p in involved)),
            features={"score": 1.0, "coverage": 1.0, "margin": 0.2},
        )
        if new.principal:
            for p in current:
                p.principal = False
        existing = next((p for p in current if p.code == use), None)
        current = [p for p in current if p.code not in dropped and p.code != use]
        if existing is not None:
            new.quotes = existing.quotes + new.quotes
            new.evidence = existing.evidence + new.evidence
        current.append(new)
        current.sort(key=lambda p: (not p.principal, p.rank, p.code != use))
        notes.append(f"{', '.join(sorted(dropped)) or 'codes'} -> {use}: {combo.id} ({combo.guideline})")
    return current


def _assign(codes: list[str], combo: Combination) -> list[str] | None:
    codeset = get_codeset()
    chosen: list[str] = []
    for pattern in combo.when:
        match = next((c for c in codes if c not in chosen and codeset.in_range(c, pattern)), None)
        if match is None:
            return None
        chosen.append(match)
    return chosen


def _absorbed(code: str, pattern: str) -> bool:
    """A code named by a specific pattern (not a bare category) is absorbed into the combination;
    the combination code itself is kept by the caller."""
    if code in _KEEP_BESIDE:
        return False
    return code == "I10" or len(pattern.replace(".", "")) > 3


def _absorbed_any(code: str, combo: Combination) -> bool:
    return code == "I10" and any(p == "I10" for p in combo.when)


def _resolve(use: str, involved: list[Proposal]) -> str | None:
    """A billable code for the row's `use`: itself, a code of the set already in its family, or the
    family's default ("unspecified" / first child)."""
    codeset = get_codeset()
    if not use.endswith("-"):
        return use if codeset.is_billable(use) else None
    family = use.rstrip("-").rstrip(".")
    in_family = [p.code for p in involved if p.code.startswith(family) and codeset.is_billable(p.code)]
    specific = [c for c in in_family if not _vague(codeset.title(c))]
    if specific or in_family:
        return (specific or in_family)[0]
    descendants = codeset.billable_descendants(family) if codeset.is_valid(family) else []
    if not descendants:
        return None
    unspecified = [c for c in descendants if "unspecified" in codeset.title(c).lower()]
    polyneuro = [c for c in descendants if "polyneuropathy" in codeset.title(c).lower()]
    return (polyneuro or unspecified or descendants)[0]


def _vague(title: str) -> bool:
    lowered = title.lower()
    return "unspecified" in lowered or "without complications" in lowered


def _drop(current: list[Proposal], code: str, notes: list[str], why: str) -> list[Proposal]:
    if not any(p.code == code for p in current) or len(current) == 1:
        return current
    notes.append(f"dropped {code}: {why}")
    was_principal = any(p.code == code and p.principal for p in current)
    kept = [p for p in current if p.code != code]
    if was_principal and kept:
        kept[0].principal = True
    return kept


def _weaker(current: list[Proposal], a: str, b: str) -> str | None:
    pa = next((p for p in current if p.code == a), None)
    pb = next((p for p in current if p.code == b), None)
    if pa is None or pb is None:
        return None
    codeset = get_codeset()

    def key(p: Proposal) -> tuple[float, bool, float, int]:
        # the provider's assessment over history and narrative, a specified code over an
        # unspecified one, then the better fit, then the one listed first
        title = codeset.title(p.code) if codeset.is_valid(p.code) else ""
        return (p.features.get("diagnosis_section", 1.0), not _vague(title), p.match, -p.rank)

    return a if key(pa) < key(pb) else b


def _resequence(current: list[Proposal], codes: list[str], notes: list[str]) -> list[Proposal]:
    if not current or not codes or current[0].code != codes[0]:
        return current
    first = current.pop(0)
    first.principal = False
    current.insert(1 if current else 0, first)
    current[0].principal = True
    notes.append(f"moved {first.code} after {current[0].code} (sequencing)")
    return current


def _dedupe(current: list[Proposal]) -> list[Proposal]:
    seen: dict[str, Proposal] = {}
    for p in current:
        if p.code in seen:
            seen[p.code].quotes.extend(p.quotes)
            seen[p.code].evidence.extend(p.evidence)
        else:
            seen[p.code] = p
    out = list(seen.values())
    if out and not any(p.principal for p in out):
        out[0].principal = True
    return out
