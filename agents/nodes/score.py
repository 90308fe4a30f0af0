"""score and route: a confidence per code, documentation gaps with provider queries, and the review
decision (reasons, work-queue priority) under the specialty/setting policy."""

from __future__ import annotations

from typing import Any

from agents.confidence import confidence
from agents.conflicts import find_conflicts
from agents.documentation_gaps import find_gaps
from agents.engine.sequencing import reporting_order
from agents.hcc import hcc_for
from agents.policy import decide, load_policy
from agents.state import CodingState
from knowledge.codeset import get_codeset
from knowledge.schema import CodeSuggestion


def score(state: CodingState) -> dict[str, Any]:
    chart = state["chart"]
    findings = state.get("findings", [])
    codeset = get_codeset()
    codes: list[CodeSuggestion] = []
    proposals = reporting_order([p.model_copy() for p in state.get("proposals", [])], chart.setting)
    for proposal in proposals:
        codes.append(
            CodeSuggestion(
                code=proposal.code,
                description=codeset.title(proposal.code)
                if codeset.is_valid(proposal.code)
                else proposal.code,
                principal=proposal.principal,
                evidence=proposal.evidence,
                confidence=confidence(proposal, findings),
                rationale=proposal.rationale,
                guideline_refs=list(dict.fromkeys(proposal.guideline_refs)),
                hcc=hcc_for(proposal.code),
            )
        )
    gaps = find_gaps(codes, chart.text)
    conflicts = find_conflicts(state.get("mentions", []), [c.code for c in codes])
    review = decide(
        load_policy(),
        codes=codes,
        findings=findings,
        gaps=gaps,
        conflicts=conflicts,
        setting=chart.setting,
        specialty=chart.specialty,
        text=chart.text,
        fallback=state.get("engine", {}).get("fallback"),
    )
    return {"codes": codes, "gaps": gaps, "review": review}
