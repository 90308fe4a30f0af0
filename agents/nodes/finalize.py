"""finalize: the CodingResult in reporting order and its append-only audit record (time, input hash,
engine, model, prompt and knowledge versions, the result; later every human decision). Chart text
never goes to logs: they carry the audit id, the input hash and the codes."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from typing import Any

from langgraph.runtime import Runtime

from agents.context import RunContext
from agents.services import get_services
from agents.state import CodingState
from knowledge.schema import KNOWLEDGE_VERSION, Chart, CodingResult, Meta

log = logging.getLogger("chartproof.audit")


def input_hash(chart: Chart) -> str:
    canonical = json.dumps(chart.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def finalize(state: CodingState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    context = runtime.context or RunContext()
    chart = state["chart"]
    engine = state.get("engine", {})
    started = state.get("started") or time.time()
    audit_id = uuid.uuid4().hex if context.audit else None
    meta = Meta(
        engine=engine.get("engine", "offline"),
        model=engine.get("model"),
        prompt_version=engine.get("prompt_version"),
        knowledge_version=KNOWLEDGE_VERSION,
        latency_ms=round((time.time() - started) * 1000, 1),
        tokens=engine.get("tokens") or {},
        audit_id=audit_id,
    )
    if engine.get("fallback"):
        meta = meta.model_copy(update={"fallback": engine["fallback"]})
    result = CodingResult(
        chart_id=chart.id,
        codes=state.get("codes", []),
        findings=state.get("findings", []),
        review=state["review"],
        documentation_gaps=state.get("gaps", []),
        meta=meta,
    )
    if audit_id is not None:
        store = get_services(context.settings).store()
        digest = input_hash(chart)
        store.record(audit_id, chart, result, digest)
        decision = state.get("decision")
        if decision:
            store.add_decision(
                audit_id,
                decision["decision"],
                decision["codes"] if decision["decision"] == "edit" else None,
                decision["reviewer"],
                decision["note"],
            )
        log.info(
            "coded audit_id=%s input=%s codes=%s review=%s",
            audit_id,
            digest[:19],
            ",".join(c.code for c in result.codes),
            result.review.required,
        )
    return {"result": result}
