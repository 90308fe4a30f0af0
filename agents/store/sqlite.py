"""The audit and review store on SQLite: one file, WAL, a connection per call (safe from any thread
and from several processes on one machine). Triggers make both tables append-only."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from agents.store.base import (
    STATUS_SQL,
    DuplicateAuditError,
    build_record,
    check_audit_id,
    check_queue_args,
    log_recorded,
    new_decision,
    new_record,
)
from agents.store.records import AuditRecord, Decision, QueueItem
from knowledge.errors import NotFoundError, StorageError
from knowledge.schema import Chart, CodingResult

log = logging.getLogger(__name__)

FILENAME = "audit.sqlite"
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_records (
    audit_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    chart_id TEXT,
    setting TEXT NOT NULL,
    specialty TEXT,
    engine TEXT NOT NULL,
    model TEXT,
    prompt_version TEXT,
    knowledge_version TEXT NOT NULL,
    chart TEXT NOT NULL,
    result TEXT NOT NULL,
    codes TEXT NOT NULL,
    review_required INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    reasons TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_records_queue ON audit_records (priority DESC, created_at);
CREATE TABLE IF NOT EXISTS review_decisions (
    decision_id INTEGER PRIMARY KEY AUTOINCREMENT,
    audit_id TEXT NOT NULL REFERENCES audit_records (audit_id),
    decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'edit')),
    codes TEXT,
    reviewer TEXT NOT NULL,
    note TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS review_decisions_audit ON review_decisions (audit_id, decision_id);
"""

# RAISE(ABORT) on UPDATE and DELETE; the BEFORE INSERT guards stop INSERT OR REPLACE, whose implicit
# delete would otherwise slip past the DELETE triggers.
_TRIGGERS = "\n".join(
    f"""
CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only: rows cannot be updated'); END;
CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only: rows cannot be deleted'); END;
CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table}
WHEN EXISTS (SELECT 1 FROM {table} WHERE {key} = NEW.{key})
BEGIN SELECT RAISE(ABORT, '{table} is append-only: {key} already exists'); END;
"""
    for table, key in (("audit_records", "audit_id"), ("review_decisions", "decision_id"))
)

_QUEUE_SQL = f"""
SELECT * FROM (
    SELECT a.audit_id, a.chart_id, a.created_at, a.priority, a.reasons, a.specialty, a.setting,
           a.codes, a.rowid AS seq, {STATUS_SQL} AS status
    FROM audit_records a
    LEFT JOIN review_decisions l ON l.decision_id =
        (SELECT MAX(d.decision_id) FROM review_decisions d WHERE d.audit_id = a.audit_id)
)
WHERE (:status = 'all' OR status = :status)
ORDER BY priority DESC, created_at ASC, seq ASC
LIMIT :limit
"""


def _ts(value: datetime) -> str:
    """Fixed-width UTC ISO text, so text order is time order."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class SqliteAuditStore:
    """AuditStore on a SQLite file (data_dir/audit.sqlite by default)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SCHEMA + _TRIGGERS)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the audit store at {self.path}: {exc}") from exc
        log.debug("audit store open: sqlite %s", self.path)

    # -- connections -------------------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise StorageError("the audit store is closed")
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        with closing(conn):
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
            yield conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the write lock up front (no deadlocked lock upgrades)."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- AuditStore --------------------------------------------------------------------------------

    def record(self, audit_id: str, chart: Chart, result: CodingResult, input_hash: str) -> None:
        row = new_record(audit_id, chart, result, input_hash)
        try:
            with self._write() as conn:
                conn.execute(
                    """INSERT INTO audit_records (audit_id, created_at, input_hash, chart_id, setting,
                           specialty, engine, model, prompt_version, knowledge_version, chart, result,
                           codes, review_required, priority, reasons)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        row.audit_id,
                        _ts(row.created_at),
                        row.input_hash,
                        row.chart_id,
                        row.setting,
                        row.specialty,
                        row.engine,
                        row.model,
                        row.prompt_version,
                        row.knowledge_version,
                        json.dumps(row.chart),
                        json.dumps(row.result),
                        json.dumps(row.codes),
                        int(row.review_required),
                        row.priority,
                        json.dumps(row.reasons),
                    ),
                )
        except sqlite3.IntegrityError as exc:
            raise DuplicateAuditError(
                f"audit record {audit_id} already exists; audit records are written once"
            ) from exc
        except sqlite3.Error as exc:
            raise StorageError(f"cannot write to the audit store at {self.path}: {exc}") from exc
        log_recorded(log, row)

    def add_decision(
        self,
        audit_id: str,
        decision: str,
        codes: list[str] | None,
        reviewer: str,
        note: str = "",
    ) -> AuditRecord:
        check_audit_id(audit_id)
        with self._storage_errors():
            with self._connect() as conn:
                self._require(conn, audit_id)
        new = new_decision(audit_id, decision, codes, reviewer, note)
        with self._storage_errors():
            with self._write() as conn:
                conn.execute(
                    """INSERT INTO review_decisions (audit_id, decision, codes, reviewer, note, at)
                       VALUES (?, ?, ?, ?, ?, ?)""",
                    (
                        new.audit_id,
                        new.decision,
                        None if new.codes is None else json.dumps(new.codes),
                        new.reviewer,
                        new.note,
                        _ts(new.at),
                    ),
                )
        log.info(
            "review decision id=%s decision=%s codes=%s reviewer=%s",
            audit_id,
            new.decision,
            ",".join(new.codes or []),
            new.reviewer,
        )
        return self.get(audit_id)

    def get(self, audit_id: str) -> AuditRecord:
        check_audit_id(audit_id)
        with self._storage_errors(), self._connect() as conn:
            row = self._require(conn, audit_id)
            decisions = conn.execute(
                "SELECT decision, codes, reviewer, note, at FROM review_decisions"
                " WHERE audit_id = ? ORDER BY decision_id",
                (audit_id,),
            ).fetchall()
        return build_record(_decode(row), [_decision(d) for d in decisions])

    def queue(self, status: str = "pending", limit: int = 100) -> list[QueueItem]:
        check_queue_args(status, limit)
        with self._storage_errors(), self._connect() as conn:
            rows = conn.execute(_QUEUE_SQL, {"status": status, "limit": limit}).fetchall()
        return [
            QueueItem(
                audit_id=r["audit_id"],
                chart_id=r["chart_id"],
                created_at=datetime.fromisoformat(r["created_at"]),
                priority=r["priority"],
                reasons=json.loads(r["reasons"]),
                status=r["status"],
                specialty=r["specialty"],
                setting=r["setting"],
                codes=json.loads(r["codes"]),
            )
            for r in rows
        ]

    def count(self) -> int:
        with self._storage_errors(), self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM audit_records").fetchone()[0])

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> SqliteAuditStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers -----------------------------------------------------------------------------------

    @contextmanager
    def _storage_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StorageError(f"the audit store at {self.path} failed: {exc}") from exc

    @staticmethod
    def _require(conn: sqlite3.Connection, audit_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM audit_records WHERE audit_id = ?", (audit_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no audit record {audit_id}")
        return row


def _decode(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    for key in ("chart", "result", "codes", "reasons"):
        out[key] = json.loads(out[key])
    out["created_at"] = datetime.fromisoformat(out["created_at"])
    return out


def _decision(row: sqlite3.Row) -> Decision:
    return Decision(
        decision=row["decision"],
        codes=None if row["codes"] is None else json.loads(row["codes"]),
        reviewer=row["reviewer"],
        note=row["note"],
        at=datetime.fromisoformat(row["at"]),
    )
