"""What the audit and review store hands back: an audit record with its decisions, and queue items.

A record's status is never stored: it is derived from the review policy and the latest decision, so
the append-only tables stay the single source of truth.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

DecisionKind = Literal["accept", "reject", "edit"]
Status = Literal["pending", "auto_accepted", "accepted", "rejected", "edited"]
STATUSES: tuple[str, ...] = ("pending", "auto_accepted", "accepted", "rejected", "edited")
DECISION_STATUS: dict[str, str] = {"accept": "accepted", "reject": "rejected", "edit": "edited"}


class Decision(BaseModel):
    """One coder's decision on one coding run. Decisions are appended, never changed."""

    decision: DecisionKind
    codes: list[str] | None = None
    reviewer: str
    note: str = ""
    at: datetime


class AuditRecord(BaseModel):
    """One coding run: its inputs' hash, provenance, the chart, the result, and every human decision."""

    audit_id: str
    created_at: datetime
    input_hash: str
    chart_id: str | None
    setting: str
    specialty: str | None
    engine: str
    model: str | None
    prompt_version: str | None
    knowledge_version: str
    chart: dict[str, Any]
    result: dict[str, Any]
    review_required: bool
    priority: int
    reasons: list[str] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    status: Status
    final_codes: list[str] | None


class QueueItem(BaseModel):
    """A line of the review work queue: enough to pick the next chart, not the chart itself."""

    audit_id: str
    chart_id: str | None
    created_at: datetime
    priority: int
    reasons: list[str]
    status: Status
    specialty: str | None
    setting: str
    codes: list[str]


def derive_status(
    review_required: bool, proposed_codes: list[str], decisions: list[Decision]
) -> tuple[Status, list[str] | None]:
    """(status, final_codes) from the review policy and the latest decision.

    No decision: pending when review is required (final codes unknown yet), else auto_accepted with
    the proposed codes. Otherwise the latest decision wins: accept keeps the proposed codes, edit
    takes the edit's codes, reject leaves no final codes.
    """
    if not decisions:
        if review_required:
            return "pending", None
        return "auto_accepted", list(proposed_codes)
    latest = decisions[-1]
    if latest.decision == "accept":
        return "accepted", list(proposed_codes)
    if latest.decision == "edit":
        return "edited", list(latest.codes or [])
    return "rejected", None
