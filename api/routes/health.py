"""GET /healthz and GET /metrics (no API key: probes and Prometheus scrape them)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel

from api.deps import StateDep
from api.state import is_ready
from knowledge.schema import KNOWLEDGE_VERSION

router = APIRouter(tags=["service"])


class Health(BaseModel):
    status: Literal["ok", "starting", "degraded"]
    ready: bool
    version: str
    knowledge_version: str
    auth: bool
    store: Literal["sqlite", "postgresql"]
    error: str | None = None


@router.get("/healthz", response_model=Health, summary="Liveness and readiness")
def healthz(state: StateDep) -> Health:
    ready = is_ready(state.settings)
    status = "ok" if ready else ("degraded" if state.warm_error else "starting")
    return Health(
        status=status,
        ready=ready,
        version="0.1.0",
        knowledge_version=KNOWLEDGE_VERSION,
        auth=state.keys.enabled,
        store="postgresql" if state.settings.database_url else "sqlite",
        error=None if ready else state.warm_error,
    )


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
def metrics(state: StateDep) -> Response:
    return Response(state.metrics.render(), media_type=state.metrics.content_type)
