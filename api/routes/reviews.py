"""The review queue and coders' decisions; the audit record with every decision so far."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from agents.store import AuditRecord, QueueItem
from api.deps import CallerDep, StateDep
from api.errors import problems

router = APIRouter(prefix="/v1", tags=["review"])

QueueStatus = Literal["pending", "auto_accepted", "accepted", "rejected", "edited", "all"]
AuditId = Annotated[str, Path(min_length=1, max_length=128, examples=["3f2c9a..."])]


class ReviewQueue(BaseModel):
    status: str
    count: int
    items: list[QueueItem] = Field(description="Highest priority first, then oldest first.")


class DecisionRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"decision": "accept"},
                {"decision": "edit", "codes": ["E11.22", "N18.31", "I10"], "note": "CKD stage documented"},
            ]
        }
    )

    decision: Literal["accept", "reject", "edit"]
    codes: list[Annotated[str, Field(max_length=16)]] | None = Field(
        default=None, max_length=100, description="The corrected code set; only for edit."
    )
    reviewer: str | None = Field(
        default=None, max_length=200, description="Defaults to the name of the caller's API key."
    )
    note: str = Field(default="", max_length=10_000)


@router.get(
    "/reviews", response_model=ReviewQueue, summary="The review queue", responses=problems(401, 422, 503)
)
def review_queue(
    state: StateDep,
    status: QueueStatus = "pending",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ReviewQueue:
    items = state.store().queue(status=status, limit=limit)
    return ReviewQueue(status=status, count=len(items), items=items)


@router.post(
    "/reviews/{audit_id}",
    response_model=AuditRecord,
    summary="Record a coder's decision",
    description="accept keeps the proposed codes, edit replaces them with `codes`, reject leaves none. "
    "Decisions are appended to the audit record; the latest one decides the status.",
    responses=problems(400, 401, 404, 413, 422, 503),
)
def decide(audit_id: AuditId, body: DecisionRequest, state: StateDep, caller: CallerDep) -> AuditRecord:
    reviewer = body.reviewer if body.reviewer and body.reviewer.strip() else caller.name
    codes = body.codes if body.decision == "edit" else (body.codes or None)
    record = state.store().add_decision(audit_id, body.decision, codes, reviewer, body.note)
    state.metrics.decisions.labels(body.decision).inc()
    return record


@router.get(
    "/audit/{audit_id}",
    response_model=AuditRecord,
    summary="An audit record with every decision",
    responses=problems(401, 404, 422, 503),
)
def audit(audit_id: AuditId, state: StateDep) -> AuditRecord:
    return state.store().get(audit_id)
