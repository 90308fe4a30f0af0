"""propose: the LLM (when one is configured and chosen) or the offline engine proposes codes with
evidence quotes, rationale and guideline references. An LLM that fails falls back to the offline
engine, and the result's meta says so."""

from __future__ import annotations

import logging
from typing import Any

from langgraph.runtime import Runtime

from agents.context import RunContext
from agents.services import get_services
from agents.state import CodingState
from knowledge.errors import ModelError

log = logging.getLogger("chartproof.graph")


def propose(state: CodingState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    context = runtime.context or RunContext()
    services = get_services(context.settings)
    chart = state["chart"]
    fallback: str | None = None
    if context.engine != "offline":
        llm = services.llm()
        if llm is None and context.engine == "llm":
            fallback = "no LLM is configured (set CHARTPROOF_LLM_BASE_URL and CHARTPROOF_LLM_MODEL)"
        elif llm is not None:
            try:
                result = llm.propose(
                    chart, state["mentions"], state.get("candidates", {}), state.get("guideline_refs", {})
                )
                return {"proposals": result.proposals, "engine": _engine_meta(result)}
            except ModelError as exc:
                fallback = str(exc)
                log.warning("LLM failed, falling back to the offline engine: %s", exc)
    result = services.offline.propose(chart, state["sections"], state["mentions"])
    meta = _engine_meta(result)
    if fallback:
        meta["fallback"] = fallback
    return {"proposals": result.proposals, "engine": meta}


def _engine_meta(result: Any) -> dict[str, Any]:
    return {
        "engine": result.engine,
        "model": result.model,
        "prompt_version": result.prompt_version,
        "tokens": dict(result.tokens),
        "fallback": result.fallback,
    }
