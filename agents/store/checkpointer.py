"""The LangGraph checkpointer for chat threads and review interrupts, on the same database as the
audit store: SqliteSaver on data_dir/checkpoints.sqlite, or PostgresSaver when
settings.database_url is a PostgreSQL URL (one connection pool per process, so API replicas and
concurrent threads do not queue behind one connection).

    with checkpointer(settings) as saver:
        graph = builder.compile(checkpointer=saver)

or `saver = open_checkpointer(settings)` ... `close_checkpointer(saver)` for a long-lived app.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import psycopg
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from agents.store import is_postgres_url
from agents.store.postgres import CONNECT_TIMEOUT_S, connect_kwargs, describe
from knowledge.errors import StorageError
from knowledge.settings import Settings

log = logging.getLogger(__name__)

FILENAME = "checkpoints.sqlite"
_SETUP_LOCK = 0x63687074  # "chpt": serialises PostgresSaver.setup() across replicas


def open_checkpointer(
    settings: Settings, *, schema: str | None = None, max_connections: int = 8
) -> BaseCheckpointSaver:
    """A ready checkpointer (tables created). Release it with close_checkpointer().

    `schema` (PostgreSQL only) puts the checkpoint tables in that schema (tests use throwaway ones).
    """
    url = settings.database_url
    if url:
        if not is_postgres_url(url):
            raise StorageError(
                "CHARTPROOF_DATABASE_URL must be a postgresql:// URL (leave it unset for SQLite)"
            )
        return _open_postgres(url, schema, max_connections)
    return _open_sqlite(settings)


def close_checkpointer(saver: BaseCheckpointSaver) -> None:
    """Close the connection (SQLite) or the pool (PostgreSQL) behind a saver from open_checkpointer."""
    conn = getattr(saver, "conn", None)
    if isinstance(conn, ConnectionPool | psycopg.Connection | sqlite3.Connection):
        conn.close()


@contextmanager
def checkpointer(settings: Settings, *, schema: str | None = None) -> Iterator[BaseCheckpointSaver]:
    """open_checkpointer() as a context manager: connections are released on exit."""
    saver = open_checkpointer(settings, schema=schema)
    try:
        yield saver
    finally:
        close_checkpointer(saver)


def _open_sqlite(settings: Settings) -> SqliteSaver:
    path = settings.data_dir / FILENAME
    conn: sqlite3.Connection | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # SqliteSaver guards the shared connection with its own lock, so threads may share it.
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30.0)
        conn.execute("PRAGMA busy_timeout=30000")
        saver = SqliteSaver(conn)
        saver.setup()  # WAL and tables; otherwise done lazily on first use
    except (OSError, sqlite3.Error) as exc:
        if conn is not None:
            conn.close()
        raise StorageError(f"cannot open the checkpoint store at {path}: {exc}") from exc
    log.debug("checkpointer open: sqlite %s", path)
    return saver


def _open_postgres(url: str, schema: str | None, max_connections: int) -> PostgresSaver:
    where = describe(url)
    kwargs = connect_kwargs(schema)
    try:
        # A session advisory lock on a side connection: replicas starting together take turns
        # running the migrations, which are not safe to run concurrently.
        with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, **kwargs) as lock_conn:
            lock_conn.execute("SELECT pg_advisory_lock(%s)", (_SETUP_LOCK,))
            if schema is not None:
                lock_conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            with psycopg.connect(
                url,
                autocommit=True,
                prepare_threshold=0,
                row_factory=dict_row,
                connect_timeout=CONNECT_TIMEOUT_S,
                **kwargs,
            ) as setup_conn:
                PostgresSaver(setup_conn).setup()
            lock_conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK,))
    except psycopg.Error as exc:
        raise StorageError(f"cannot open the checkpoint store at PostgreSQL {where}: {exc}") from exc
    pool: ConnectionPool = ConnectionPool(
        url,
        kwargs={
            "autocommit": True,
            "prepare_threshold": 0,
            "row_factory": dict_row,
            "connect_timeout": CONNECT_TIMEOUT_S,
            **kwargs,
        },
        min_size=1,
        max_size=max_connections,
        open=True,
        timeout=10.0,
        name="chartproof-checkpoints",
    )
    try:
        pool.wait(timeout=CONNECT_TIMEOUT_S * 2)
    except PoolTimeout as exc:
        pool.close()
        raise StorageError(f"cannot open the checkpoint store at PostgreSQL {where}: {exc}") from exc
    log.debug("checkpointer open: postgres %s schema=%s", where, schema or "(default)")
    return PostgresSaver(cast("ConnectionPool[psycopg.Connection[DictRow]]", pool))
