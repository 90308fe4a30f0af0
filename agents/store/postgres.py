"""The audit and review store on PostgreSQL (psycopg 3 and a small psycopg_pool connection pool), for
several stateless API replicas sharing one database. JSONB columns; a plpgsql trigger function
makes both tables append-only (UPDATE, DELETE and TRUNCATE raise)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

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
from knowledge.errors import InputError, NotFoundError, StorageError
from knowledge.schema import Chart, CodingResult

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# Any constant shared by every replica: serialises the CREATE ... IF NOT EXISTS at start-up, which
# PostgreSQL does not make race-free on its own.
_SETUP_LOCK = 0x63686172  # "char"

_DDL = """
CREATE TABLE IF NOT EXISTS audit_records (
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    audit_id TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    input_hash TEXT NOT NULL,
    chart_id TEXT,
    setting TEXT NOT NULL,
    specialty TEXT,
    engine TEXT NOT NULL,
    model TEXT,
    prompt_version TEXT,
    knowledge_version TEXT NOT NULL,
    chart JSONB NOT NULL,
    result JSONB NOT NULL,
    codes JSONB NOT NULL,
    review_required BOOLEAN NOT NULL,
    priority INTEGER NOT NULL,
    reasons JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_records_queue ON audit_records (priority DESC, created_at, seq);
CREATE TABLE IF NOT EXISTS review_decisions (
    decision_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    audit_id TEXT NOT NULL REFERENCES audit_records (audit_id),
    decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'edit')),
    codes JSONB,
    reviewer TEXT NOT NULL,
    note TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS review_decisions_audit ON review_decisions (audit_id, decision_id);
CREATE OR REPLACE FUNCTION chartproof_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$fn$;
"""

_TRIGGERS = [
    (f"{table}_append_only", table, "BEFORE UPDATE OR DELETE", "FOR EACH ROW")
    for table in ("audit_records", "review_decisions")
] + [
    (f"{table}_no_truncate", table, "BEFORE TRUNCATE", "FOR EACH STATEMENT")
    for table in ("audit_records", "review_decisions")
]

_QUEUE_SQL = f"""
SELECT * FROM (
    SELECT a.audit_id, a.chart_id, a.created_at, a.priority, a.reasons, a.specialty, a.setting,
           a.codes, a.seq, {STATUS_SQL} AS status
    FROM audit_records a
    LEFT JOIN LATERAL (
        SELECT d.decision FROM review_decisions d
        WHERE d.audit_id = a.audit_id ORDER BY d.decision_id DESC LIMIT 1
    ) l ON TRUE
) q
WHERE (%(status)s = 'all' OR status = %(status)s)
ORDER BY priority DESC, created_at ASC, seq ASC
LIMIT %(limit)s
"""


def describe(url: str) -> str:
    """host:port/dbname of a URL, without the user or password, for messages."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error:
        return "the configured database"
    return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


def connect_kwargs(schema: str | None) -> dict[str, Any]:
    """Connection options putting `schema` first on the search_path (tests use throwaway schemas)."""
    if schema is None:
        return {}
    if not _SCHEMA_NAME.match(schema):
        raise InputError(f"'{schema}' is not a valid PostgreSQL schema name")
    return {"options": f"-c search_path={schema}"}


class PostgresAuditStore:
    """AuditStore on PostgreSQL. Tables, function and triggers are created if missing at open."""

    def __init__(self, url: str, *, schema: str | None = None, max_connections: int = 8) -> None:
        self.where = describe(url)
        self.schema = schema
        kwargs = connect_kwargs(schema)
        try:
            with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, **kwargs) as conn:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK,))
                if schema is not None:
                    conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                conn.execute(_DDL)
                for name, table, when, each in _TRIGGERS:
                    exists = conn.execute(
                        "SELECT 1 FROM pg_trigger WHERE tgname = %s AND tgrelid = %s::regclass",
                        (name, table),
                    ).fetchone()
                    if not exists:
                        conn.execute(
                            f"CREATE TRIGGER {name} {when} ON {table} {each}"
                            " EXECUTE FUNCTION chartproof_append_only()"
                        )
        except psycopg.Error as exc:
            raise StorageError(f"cannot open the audit store at PostgreSQL {self.where}: {exc}") from exc
        self._pool = ConnectionPool(
            url,
            kwargs={"connect_timeout": CONNECT_TIMEOUT_S, "row_factory": dict_row, **kwargs},
            min_size=1,
            max_size=max_connections,
            open=True,
            timeout=10.0,
            name="chartproof-audit",
        )
        log.debug("audit store open: postgres %s schema=%s", self.where, schema or "(default)")

    # -- connections -------------------------------------------------------------------------------

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        """A pooled connection in a transaction (committed on success, rolled back on error)."""
        try:
            with self._pool.connection() as conn:
                yield cast("psycopg.Connection[dict[str, Any]]", conn)
        except pg_errors.UniqueViolation:
            raise  # record() turns it into DuplicateAuditError
        except PoolTimeout as exc:
            raise StorageError(f"no connection to PostgreSQL {self.where} became free: {exc}") from exc
        except psycopg.OperationalError as exc:
            raise StorageError(f"PostgreSQL {self.where} cannot be reached: {exc}") from exc
        except psycopg.Error as exc:
            raise StorageError(f"the audit store at PostgreSQL {self.where} failed: {exc}") from exc

    # -- AuditStore --------------------------------------------------------------------------------

    def record(self, audit_id: str, chart: Chart, result: CodingResult, input_hash: str) -> None:
        row = new_record(audit_id, chart, result, input_hash)
        try:
            with self._conn() as conn:
                conn.execute(
                    """INSERT INTO audit_records (audit_id, created_at, input_hash, chart_id, setting,
                           specialty, engine, model, prompt_version, knowledge_version, chart, result,
                           codes, review_required, priority, reasons)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                    (
                        row.audit_id,
                        row.created_at,
                        row.input_hash,
                        row.chart_id,
                        row.setting,
                        row.specialty,
                        row.engine,
                        row.model,
                        row.prompt_version,
                        row.knowledge_version,
                        Jsonb(row.chart),
                        Jsonb(row.result),
                        Jsonb(row.codes),
                        row.review_required,
                        row.priority,
                        Jsonb(row.reasons),
                    ),
                )
        except pg_errors.UniqueViolation as exc:
            raise DuplicateAuditError(
                f"audit record {audit_id} already exists; audit records are written once"
            ) from exc
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
        with self._conn() as conn:
            self._require(conn, audit_id)
        new = new_decision(audit_id, decision, codes, reviewer, note)
        with self._conn() as conn:
            conn.execute(
                """INSERT INTO review_decisions (audit_id, decision, codes, reviewer, note, at)
                   VALUES (%s, %s, %s, %s, %s, %s)""",
                (
                    new.audit_id,
                    new.decision,
                    None if new.codes is None else Jsonb(new.codes),
                    new.reviewer,
                    new.note,
                    new.at,
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
        with self._conn() as conn:
            row = self._require(conn, audit_id)
            decisions = conn.execute(
                "SELECT decision, codes, reviewer, note, at FROM review_decisions"
                " WHERE audit_id = %s ORDER BY decision_id",
                (audit_id,),
            ).fetchall()
        return build_record(row, [Decision(**d) for d in decisions])

    def queue(self, status: str = "pending", limit: int = 100) -> list[QueueItem]:
        check_queue_args(status, limit)
        with self._conn() as conn:
            rows = conn.execute(_QUEUE_SQL, {"status": status, "limit": limit}).fetchall()
        return [
            QueueItem(
                audit_id=r["audit_id"],
                chart_id=r["chart_id"],
                created_at=r["created_at"],
                priority=r["priority"],
                reasons=r["reasons"],
                status=r["status"],
                specialty=r["specialty"],
                setting=r["setting"],
                codes=r["codes"],
            )
            for r in rows
        ]

    def count(self) -> int:
        with self._conn() as conn:
            row = conn.execute("SELECT COUNT(*) AS n FROM audit_records").fetchone()
        return int(row["n"]) if row else 0

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> PostgresAuditStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers -----------------------------------------------------------------------------------

    @staticmethod
    def _require(conn: psycopg.Connection[dict[str, Any]], audit_id: str) -> dict[str, Any]:
        row = conn.execute("SELECT * FROM audit_records WHERE audit_id = %s", (audit_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no audit record {audit_id}")
        return row
