"""Append-only audit and review storage, and the LangGraph checkpointer, on SQLite or PostgreSQL.

`open_store(settings)` picks the backend from settings.database_url: a postgresql:// (or
postgres://) URL means PostgreSQL, shared by every API replica; unset means a SQLite file in the
data directory, for one machine.
"""

from __future__ import annotations

from agents.store.base import AuditStore, DuplicateAuditError
from agents.store.records import AuditRecord, Decision, QueueItem
from knowledge.errors import StorageError
from knowledge.settings import Settings

__all__ = [
    "AuditRecord",
    "AuditStore",
    "Decision",
    "DuplicateAuditError",
    "QueueItem",
    "is_postgres_url",
    "open_store",
]


def is_postgres_url(url: str | None) -> bool:
    return url is not None and url.startswith(("postgresql://", "postgres://"))


def open_store(settings: Settings, *, schema: str | None = None) -> AuditStore:
    """The configured audit store, ready to use; StorageError (503) when it cannot be reached or
    written. `schema` (PostgreSQL only) puts the tables in that schema instead of the default one."""
    url = settings.database_url
    if url:
        if not is_postgres_url(url):
            raise StorageError(
                "CHARTPROOF_DATABASE_URL must be a postgresql:// URL (leave it unset for SQLite)"
            )
        from agents.store.postgres import PostgresAuditStore

        return PostgresAuditStore(url, schema=schema)
    from agents.store.sqlite import FILENAME, SqliteAuditStore

    return SqliteAuditStore(settings.data_dir / FILENAME)
