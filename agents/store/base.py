"""The audit and review store contract, and the validation both backends share.

Two append-only tables: `audit_records` (one row per coding run, written once) and
`review_decisions` (one row per human decision). Nothing is ever updated or deleted; the database
refuses it with triggers. Status and final codes are derived on read (records.derive_status).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from agents.store.records import STATUSES, AuditRecord, Decision, QueueItem, derive_status
from knowledge.codeset import get_codeset, normalize_code
from knowledge.errors import InputError
from knowledge.schema import Chart, CodingResult

QUEUE_FILTERS: tuple[str, ...] = ("all", *STATUSES)
MAX_QUEUE_LIMIT = 1000
_AUDIT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class DuplicateAuditError(InputError):
    """An audit id that was already recorded: audit records are written exactly once."""

    status = 409


@runtime_checkable
class AuditStore(Protocol):
    """Append-only audit records of coding runs, and the review decisions made on them."""

    def record(self, audit_id: str, chart: Chart, result: CodingResult, input_hash: str) -> None:
        """Write one coding run, exactly once (a second write of the id raises DuplicateAuditError)."""
        ...

    def add_decision(
        self,
        audit_id: str,
        decision: str,
        codes: list[str] | None,
        reviewer: str,
        note: str = "",
    ) -> AuditRecord:
        """Append a coder's decision and return the record as it now stands."""
        ...

    def get(self, audit_id: str) -> AuditRecord:
        """The record with all its decisions (NotFoundError when there is none)."""
        ...

    def queue(self, status: str = "pending", limit: int = 100) -> list[QueueItem]:
        """Work queue: priority high to low, then oldest first. `status` is "all" or a status."""
        ...

    def count(self) -> int:
        """How many coding runs are recorded."""
        ...

    def close(self) -> None:
        """Release connections. The store is unusable afterwards."""
        ...


@dataclass(frozen=True)
class NewRecord:
    """The columns of one audit_records row, ready for either backend."""

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
    codes: list[str]
    review_required: bool
    priority: int
    reasons: list[str]


@dataclass(frozen=True)
class NewDecision:
    audit_id: str
    decision: str
    codes: list[str] | None
    reviewer: str
    note: str
    at: datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def check_audit_id(audit_id: str) -> str:
    if not isinstance(audit_id, str) or not _AUDIT_ID.match(audit_id):
        raise InputError(
            f"'{audit_id}' is not a valid audit id (1-128 letters, digits, '.', '_', ':' or '-')"
        )
    return audit_id


def new_record(audit_id: str, chart: Chart, result: CodingResult, input_hash: str) -> NewRecord:
    """Validate a coding run and lay it out as a row. The stored result carries its audit id."""
    check_audit_id(audit_id)
    if not input_hash or not input_hash.strip():
        raise InputError("an audit record needs the hash of its inputs")
    if result.meta.audit_id not in (None, audit_id):
        raise InputError(
            f"the result names audit id '{result.meta.audit_id}' but is being recorded as '{audit_id}'"
        )
    stored = result.model_copy(update={"meta": result.meta.model_copy(update={"audit_id": audit_id})})
    return NewRecord(
        audit_id=audit_id,
        created_at=utcnow(),
        input_hash=input_hash.strip(),
        chart_id=result.chart_id if result.chart_id is not None else chart.id,
        setting=chart.setting,
        specialty=chart.specialty,
        engine=result.meta.engine,
        model=result.meta.model,
        prompt_version=result.meta.prompt_version,
        knowledge_version=result.meta.knowledge_version,
        chart=chart.model_dump(mode="json"),
        result=stored.model_dump(mode="json"),
        codes=[suggestion.code for suggestion in result.codes],
        review_required=result.review.required,
        priority=result.review.priority,
        reasons=list(result.review.reasons),
    )


def new_decision(
    audit_id: str, decision: str, codes: list[str] | None, reviewer: str, note: str = ""
) -> NewDecision:
    """Validate a coder's decision: edit needs valid ICD-10-CM codes; accept and reject take none."""
    check_audit_id(audit_id)
    if decision not in ("accept", "reject", "edit"):
        raise InputError(f"'{decision}' is not a decision: use accept, reject or edit")
    if not isinstance(reviewer, str) or not reviewer.strip():
        raise InputError("a decision needs the reviewer's name")
    if len(reviewer) > 200:
        raise InputError("the reviewer's name is longer than 200 characters")
    if note is None:
        note = ""
    if len(note) > 10_000:
        raise InputError("the note is longer than 10,000 characters")
    if decision == "edit":
        if not codes:
            raise InputError("an edit needs the corrected code set (codes)")
        normalized = _valid_codes(codes)
    else:
        if codes:
            hint = "a reject" if decision == "reject" else "an accept"
            raise InputError(f"{hint} takes no codes; use edit to change the code set")
        normalized = None
    return NewDecision(
        audit_id=audit_id,
        decision=decision,
        codes=normalized,
        reviewer=reviewer.strip(),
        note=note,
        at=utcnow(),
    )


def _valid_codes(codes: list[str]) -> list[str]:
    if isinstance(codes, str):
        raise InputError("codes must be a list of ICD-10-CM codes")
    codeset = get_codeset()
    seen: list[str] = []
    for raw in codes:
        if not isinstance(raw, str):
            raise InputError(f"{raw!r} is not an ICD-10-CM code")
        code = normalize_code(raw)
        if not codeset.is_valid(code):
            raise InputError(f"{code} is not a valid ICD-10-CM code (FY2026)")
        if code not in seen:
            seen.append(code)
    return seen


def check_queue_args(status: str, limit: int) -> None:
    if status not in QUEUE_FILTERS:
        raise InputError(f"'{status}' is not a queue status: use one of {', '.join(QUEUE_FILTERS)}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_QUEUE_LIMIT:
        raise InputError(f"limit must be between 1 and {MAX_QUEUE_LIMIT}")


def build_record(row: dict[str, Any], decisions: list[Decision]) -> AuditRecord:
    """An AuditRecord from a row of audit_records (JSON columns already decoded) and its decisions."""
    status, final_codes = derive_status(bool(row["review_required"]), list(row["codes"]), decisions)
    return AuditRecord(
        audit_id=row["audit_id"],
        created_at=row["created_at"],
        input_hash=row["input_hash"],
        chart_id=row["chart_id"],
        setting=row["setting"],
        specialty=row["specialty"],
        engine=row["engine"],
        model=row["model"],
        prompt_version=row["prompt_version"],
        knowledge_version=row["knowledge_version"],
        chart=row["chart"],
        result=row["result"],
        review_required=bool(row["review_required"]),
        priority=int(row["priority"]),
        reasons=list(row["reasons"]),
        decisions=decisions,
        status=status,
        final_codes=final_codes,
    )


# The status of a record in SQL, over `a` (audit_records) left-joined to `l`, its latest decision.
# Both dialects understand it; it must agree with records.derive_status.
STATUS_SQL = """
    CASE
        WHEN l.decision IS NULL THEN
            CASE WHEN a.review_required THEN 'pending' ELSE 'auto_accepted' END
        WHEN l.decision = 'accept' THEN 'accepted'
        WHEN l.decision = 'edit' THEN 'edited'
        ELSE 'rejected'
    END
"""


def log_recorded(log: logging.Logger, row: NewRecord) -> None:
    """The one log line a recorded coding run leaves: ids, hash, engine and codes, never chart text."""
    log.info(
        "audit recorded id=%s hash=%s engine=%s codes=%s review=%s",
        row.audit_id,
        row.input_hash[:16],
        row.engine,
        ",".join(row.codes),
        row.review_required,
    )
