"""review (interactive runs only): pause for a coder's decision with interrupt(); resume with
Command(resume={"decision": "accept" | "reject" | "edit", "codes": [...], "reviewer": ..., "note": ...})."""

from __future__ import annotations

from typing import Any

from langgraph.types import interrupt

from agents.state import CodingState
from knowledge.codeset import get_codeset, normalize_code
from knowledge.errors import InputError
from knowledge.schema import CodeSuggestion

DECISIONS = ("accept", "reject", "edit")


def review(state: CodingState) -> dict[str, Any]:
    payload = {
        "codes": [c.model_dump(mode="json") for c in state.get("codes", [])],
        "review": state["review"].model_dump(mode="json"),
        "documentation_gaps": [g.model_dump(mode="json") for g in state.get("gaps", [])],
    }
    answer = interrupt(payload)
    decision = validate_decision(answer)
    codes = state.get("codes", [])
    if decision["decision"] == "edit":
        kept = {c.code: c for c in codes}
        edited: list[CodeSuggestion] = []
        for code in decision["codes"]:
            if code in kept:
                edited.append(kept[code])
        codes = edited or codes
    return {"decision": decision, "codes": codes}


def validate_decision(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict) or answer.get("decision") not in DECISIONS:
        raise InputError("a review decision is {'decision': 'accept' | 'reject' | 'edit', ...}")
    codes = [normalize_code(c) for c in answer.get("codes") or []]
    if answer["decision"] == "edit":
        if not codes:
            raise InputError("an edit decision needs the final codes")
        bad = [c for c in codes if not get_codeset().is_valid(c)]
        if bad:
            raise InputError(f"unknown ICD-10-CM code {bad[0]}")
    return {
        "decision": answer["decision"],
        "codes": codes,
        "reviewer": str(answer.get("reviewer") or "coder"),
        "note": str(answer.get("note") or ""),
    }
