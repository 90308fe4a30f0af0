"""POST /v1/code: one chart in, one CodingResult out, audited (meta.audit_id)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response

from api.bodies import CHART_REQUEST_BODY, chart_from_request
from api.deps import StateDep
from api.errors import problems
from api.state import ensure_ready
from knowledge.schema import Chart, CodingResult
from knowledge.settings import Settings

router = APIRouter(prefix="/v1", tags=["coding"])


def _code(settings: Settings, chart: Chart) -> CodingResult:
    from agents.coder import code_chart
    from agents.context import RunContext

    ensure_ready(settings)
    return code_chart(chart, RunContext(settings=settings))


@router.post(
    "/code",
    response_model=CodingResult,
    summary="Code a chart",
    description="Codes one chart with the configured engine and writes its append-only audit record; "
    "`meta.audit_id` names it (also in the Location header).",
    responses=problems(400, 401, 413, 415, 422, 502, 503),
    openapi_extra=CHART_REQUEST_BODY,
)
async def code(request: Request, response: Response, state: StateDep) -> CodingResult:
    chart = await chart_from_request(request)
    started = time.perf_counter()
    result = await state.run_coding(_code, state.settings, chart)
    state.metrics.coded(result, chart.setting, time.perf_counter() - started)
    if result.meta.audit_id:
        response.headers["Location"] = f"/v1/audit/{result.meta.audit_id}"
    return result
