"""revise: repair error findings. The LLM gets the findings when it proposed the codes; the offline
engine applies its deterministic repairs (and is the fallback when the LLM cannot)."""

from __future__ import annotations

import logging
from typing import Any

from langgraph.runtime import Runtime

from agents.context import RunContext
from agents.engine.repairs import repair
from agents.services import get_services
from agents.state import CodingState
from knowledge.errors import ModelError

log = logging.getLogger("chartproof.graph")


def revise(state: CodingState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    context = runtime.context or RunContext()
    chart = state["chart"]
    proposals = state.get("proposals", [])
    findings = state.get("findings", [])
    engine = dict(state.get("engine", {}))
    if engine.get("engine") == "llm":
        llm = get_services(context.settings).llm()
        if llm is not None:
            try:
                result = llm.revise(chart, proposals, findings)
                return {"proposals": result.proposals, "revisions": state.get("revisions", 0) + 1}
            except ModelError as exc:
                log.warning("LLM revision failed, using deterministic repairs: %s", exc)
    repaired, _notes = repair(proposals, findings, chart.setting)
    return {"proposals": repaired, "revisions": state.get("revisions", 0) + 1}
