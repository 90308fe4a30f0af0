"""ground: every evidence quote mapped to offsets in the original text. A code with no quote found
in the chart, or whose only evidence is negated, is dropped and never reported."""

from __future__ import annotations

from typing import Any

from agents.assertion import assert_spans
from agents.grounding import locate
from agents.state import CodingState, Proposal, Span
from knowledge.schema import Evidence, Finding


def ground(state: CodingState) -> dict[str, Any]:
    text = state["chart"].text
    kept: list[Proposal] = []
    dropped: list[Finding] = list(state.get("dropped", []))
    for proposal in state.get("proposals", []):
        spans: list[Evidence] = []
        for quote in proposal.quotes:
            found = locate(text, quote.text, quote.start)
            if found is not None and all((e.start, e.end) != (found.start, found.end) for e in spans):
                spans.append(found)
        if not spans:
            dropped.append(
                _dropped("evidence_not_found", proposal.code, "none of its evidence is in the chart")
            )
            continue
        if proposal.source == "llm":
            labels = assert_spans(text, [Span(start=e.start, end=e.end) for e in spans])
            affirmed = [e for e, label in zip(spans, labels, strict=True) if label != "negated"]
            if not affirmed:
                dropped.append(_dropped("negated_evidence", proposal.code, "its only evidence is negated"))
                continue
            spans = affirmed
        kept.append(proposal.model_copy(update={"evidence": sorted(spans, key=lambda e: e.start)}))
    return {"proposals": kept, "dropped": dropped}


def _dropped(rule: str, code: str, why: str) -> Finding:
    return Finding(rule=rule, severity="info", codes=[code], message=f"{code} was dropped: {why}.")
