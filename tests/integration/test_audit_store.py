"""The append-only audit and review store on real databases: SQLite in a temp dir, and PostgreSQL on
loopback in a throwaway schema (skipped when the server does not answer)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from agents.store import AuditStore, DuplicateAuditError, open_store
from agents.store.sqlite import FILENAME
from knowledge.errors import InputError, NotFoundError, StorageError
from knowledge.schema import Chart, CodeSuggestion, CodingResult, Evidence, Meta, Review
from knowledge.settings import Settings
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.integration

PG_URL = TEST_DATABASE_URL
TEXT = "Type 2 diabetes with diabetic CKD stage 3. Hypertension, controlled."


def _suggestion(code: str, description: str, start: int, end: int) -> CodeSuggestion:
    return CodeSuggestion(
        code=code,
        description=description,
        evidence=[Evidence(start=start, end=end, text=TEXT[start:end])],
        confidence=0.9,
        rationale="documented",
        guideline_refs=["I.C.4.a.2"],
    )


def make_run(
    chart_id: str, *, priority: int = 0, required: bool = True, text: str = TEXT
) -> tuple[Chart, CodingResult]:
    chart = Chart(id=chart_id, text=text, setting="outpatient", specialty="endocrinology")
    result = CodingResult(
        chart_id=chart_id,
        codes=[
            _suggestion("E11.22", "Type 2 diabetes mellitus with diabetic chronic kidney disease", 0, 41),
            _suggestion("N18.30", "Chronic kidney disease, stage 3 unspecified", 31, 41),
        ],
        findings=[],
        review=Review(required=required, reasons=["low confidence"] if required else [], priority=priority),
        meta=Meta(engine="offline", prompt_version="code-v1"),
    )
    return chart, result


def new_id() -> str:
    return uuid.uuid4().hex


# -- backends --------------------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    store: AuditStore
    raw: Callable[[str, tuple[Any, ...]], None]  # run one statement on a fresh, separate connection
    raw_error: type[Exception]



@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        store = open_store(Settings(data_dir=tmp_path))
        path = tmp_path / FILENAME

        def raw(sql: str, params: tuple[Any, ...]) -> None:
            with sqlite3.connect(path) as conn:
                conn.execute(sql.replace("%s", "?"), params)

        yield Backend("sqlite", store, raw, sqlite3.DatabaseError)
    else:
        schema = request.getfixturevalue("pg_schema")
        store = open_store(Settings(data_dir=tmp_path, database_url=PG_URL), schema=schema)

        def raw(sql: str, params: tuple[Any, ...]) -> None:
            with psycopg.connect(PG_URL, options=f"-c search_path={schema}") as conn:
                conn.execute(sql, params)

        yield Backend("postgres", store, raw, psycopg.Error)
    store.close()


# -- tests -----------------------------------------------------------------------------------------


def test_record_and_get_round_trip(backend: Backend) -> None:
    store = backend.store
    audit_id = new_id()
    chart, result = make_run("chart-rt", priority=40)
    store.record(audit_id, chart, result, "sha256:abc")

    record = store.get(audit_id)
    assert record.audit_id == audit_id
    assert record.input_hash == "sha256:abc"
    assert record.chart_id == "chart-rt"
    assert (record.setting, record.specialty) == ("outpatient", "endocrinology")
    assert (record.engine, record.model, record.prompt_version) == ("offline", None, "code-v1")
    assert record.knowledge_version == result.meta.knowledge_version
    assert record.chart["text"] == TEXT
    stored = CodingResult.model_validate(record.result)
    assert [c.code for c in stored.codes] == ["E11.22", "N18.30"]
    assert stored.meta.audit_id == audit_id  # the stored result names its audit record
    assert (record.review_required, record.priority, record.reasons) == (True, 40, ["low confidence"])
    assert record.status == "pending" and record.final_codes is None and record.decisions == []
    assert record.created_at.tzinfo is not None


def test_duplicate_record_is_rejected(backend: Backend) -> None:
    audit_id = new_id()
    chart, result = make_run("chart-dup")
    backend.store.record(audit_id, chart, result, "h1")
    before = backend.store.count()
    with pytest.raises(DuplicateAuditError):
        backend.store.record(audit_id, chart, result, "h2")
    assert backend.store.count() == before
    assert backend.store.get(audit_id).input_hash == "h1"


def test_decisions_append_and_drive_status(backend: Backend) -> None:
    store = backend.store
    audit_id = new_id()
    store.record(audit_id, *make_run("chart-dec"), "h")

    record = store.add_decision(audit_id, "accept", None, "alice")
    assert (record.status, record.final_codes) == ("accepted", ["E11.22", "N18.30"])

    record = store.add_decision(audit_id, "edit", ["e1122", "I10"], "bob", "add HTN")
    assert (record.status, record.final_codes) == ("edited", ["E11.22", "I10"])

    record = store.add_decision(audit_id, "reject", None, "carol", "wrong patient")
    assert (record.status, record.final_codes) == ("rejected", None)

    assert [d.decision for d in record.decisions] == ["accept", "edit", "reject"]
    assert [d.reviewer for d in record.decisions] == ["alice", "bob", "carol"]
    assert record.decisions[1].codes == ["E11.22", "I10"] and record.decisions[1].note == "add HTN"
    assert record.decisions[0].at <= record.decisions[2].at
    assert store.get(audit_id) == record

    auto_id = new_id()
    store.record(auto_id, *make_run("chart-auto", required=False), "h")
    auto = store.get(auto_id)
    assert (auto.status, auto.final_codes) == ("auto_accepted", ["E11.22", "N18.30"])


def test_bad_decisions_are_input_errors(backend: Backend) -> None:
    store = backend.store
    audit_id = new_id()
    store.record(audit_id, *make_run("chart-bad"), "h")
    with pytest.raises(InputError, match="edit needs"):
        store.add_decision(audit_id, "edit", None, "alice")
    with pytest.raises(InputError, match="edit needs"):
        store.add_decision(audit_id, "edit", [], "alice")
    with pytest.raises(InputError, match="not a valid ICD-10-CM"):
        store.add_decision(audit_id, "edit", ["E11.22", "Z99.99"], "alice")
    with pytest.raises(InputError, match="shaped like"):
        store.add_decision(audit_id, "edit", ["diabetes"], "alice")
    with pytest.raises(InputError, match="takes no codes"):
        store.add_decision(audit_id, "reject", ["E11.22"], "alice")
    with pytest.raises(InputError, match="not a decision"):
        store.add_decision(audit_id, "approve", None, "alice")
    with pytest.raises(InputError, match="reviewer"):
        store.add_decision(audit_id, "accept", None, "  ")
    assert store.get(audit_id).decisions == []  # nothing half-written


def test_unknown_id_is_not_found(backend: Backend) -> None:
    with pytest.raises(NotFoundError):
        backend.store.get("no-such-audit")
    with pytest.raises(NotFoundError):
        backend.store.add_decision("no-such-audit", "accept", None, "alice")
    with pytest.raises(NotFoundError):
        backend.store.add_decision("no-such-audit", "edit", ["E11.22"], "alice")


def test_queue_orders_by_priority_then_age_and_filters_status(backend: Backend) -> None:
    store = backend.store
    ids = {name: new_id() for name in ("low", "high_old", "high_new", "mid", "auto")}
    store.record(ids["low"], *make_run("q-low", priority=10), "h")
    store.record(ids["high_old"], *make_run("q-high-old", priority=90), "h")
    store.record(ids["mid"], *make_run("q-mid", priority=50), "h")
    store.record(ids["high_new"], *make_run("q-high-new", priority=90), "h")
    store.record(ids["auto"], *make_run("q-auto", priority=95, required=False), "h")
    mine = set(ids.values())

    def order(status: str) -> list[str]:
        return [item.audit_id for item in store.queue(status, limit=1000) if item.audit_id in mine]

    assert order("pending") == [ids["high_old"], ids["high_new"], ids["mid"], ids["low"]]
    assert order("auto_accepted") == [ids["auto"]]
    assert order("all") == [ids["auto"], ids["high_old"], ids["high_new"], ids["mid"], ids["low"]]
    all_items = store.queue("all", limit=1000)
    keys = [(-item.priority, item.created_at) for item in all_items]
    assert keys == sorted(keys)

    store.add_decision(ids["high_old"], "edit", ["E11.65"], "alice")
    store.add_decision(ids["mid"], "accept", None, "alice")
    assert order("pending") == [ids["high_new"], ids["low"]]
    assert order("edited") == [ids["high_old"]]
    assert order("accepted") == [ids["mid"]]

    item = next(i for i in store.queue("pending", limit=1000) if i.audit_id == ids["high_new"])
    assert item.chart_id == "q-high-new" and item.status == "pending"
    assert item.codes == ["E11.22", "N18.30"] and item.reasons == ["low confidence"]
    assert (item.setting, item.specialty) == ("outpatient", "endocrinology")

    assert len(store.queue("all", limit=2)) == 2
    with pytest.raises(InputError):
        store.queue("waiting")
    with pytest.raises(InputError):
        store.queue("pending", limit=0)


def test_tables_are_append_only(backend: Backend) -> None:
    store = backend.store
    audit_id = new_id()
    store.record(audit_id, *make_run("chart-ao", priority=30), "h")
    store.add_decision(audit_id, "accept", None, "alice")
    attempts = [
        ("UPDATE audit_records SET priority = 0 WHERE audit_id = %s", (audit_id,)),
        ("UPDATE audit_records SET result = chart WHERE audit_id = %s", (audit_id,)),
        ("DELETE FROM audit_records WHERE audit_id = %s", (audit_id,)),
        ("UPDATE review_decisions SET decision = 'reject' WHERE audit_id = %s", (audit_id,)),
        ("DELETE FROM review_decisions WHERE audit_id = %s", (audit_id,)),
    ]
    if backend.name == "sqlite":  # REPLACE deletes implicitly, past the DELETE triggers
        attempts.append(("INSERT OR REPLACE INTO audit_records SELECT * FROM audit_records", ()))
    else:
        attempts.append(("TRUNCATE review_decisions", ()))
    for sql, params in attempts:
        with pytest.raises(backend.raw_error, match="append-only"):
            backend.raw(sql, params)
    record = store.get(audit_id)
    assert record.priority == 30
    assert record.status == "accepted" and len(record.decisions) == 1
    assert record.chart["text"] == TEXT


def test_fifty_concurrent_records_land_exactly_once(backend: Backend) -> None:
    store = backend.store
    before = store.count()
    ids = [new_id() for _ in range(50)]

    def write(i: int) -> str:
        store.record(ids[i], *make_run(f"conc-{i}", priority=i % 7), f"hash-{i}")
        return ids[i]

    with ThreadPoolExecutor(max_workers=50) as pool:
        written = list(pool.map(write, range(50)))

    assert written == ids
    assert store.count() == before + 50
    queued = [item.audit_id for item in store.queue("all", limit=1000) if item.audit_id in set(ids)]
    assert sorted(queued) == sorted(ids)  # each exactly once
    assert {store.get(i).input_hash for i in ids} == {f"hash-{n}" for n in range(50)}


def test_unwritable_or_unreachable_store_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError, match="cannot open the audit store"):
        open_store(Settings(data_dir=blocker / "sub"))
    with pytest.raises(StorageError, match="cannot open the audit store at PostgreSQL 127.0.0.1:1/x") as err:
        open_store(Settings(data_dir=tmp_path, database_url="postgresql://u:secret@127.0.0.1:1/x"))
    assert "secret" not in str(err.value)
    with pytest.raises(StorageError, match="postgresql://"):
        open_store(Settings(data_dir=tmp_path, database_url="mysql://127.0.0.1/x"))
