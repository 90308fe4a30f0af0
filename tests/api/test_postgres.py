"""The API on PostgreSQL: the same audit, review and chat flows with CHARTPROOF_DATABASE_URL naming
the server on 127.0.0.1:5432 (a throwaway schema through the URL's search_path). Skipped with a
one-line reason when no server answers; in CI (CI=true or CHARTPROOF_PG_REQUIRED=1) that fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from knowledge.settings import Settings
from tests.api.conftest import ALICE, BOB, CHART, KEYS, PG_URL, assert_problem, make_client
from tests.api.test_threads import read_events

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pg_settings(api_data_dir: Path, pg_database_url: str) -> Settings:
    return Settings(data_dir=api_data_dir, database_url=pg_database_url, api_keys=KEYS)


@pytest.fixture()
def pg_client(pg_settings: Settings) -> Iterator[TestClient]:
    with make_client(pg_settings) as client:
        yield client


def _schema_of(url: str) -> str:
    return url.rsplit("search_path%3D", 1)[1]


def test_code_review_and_audit_on_postgres(pg_client: TestClient, pg_settings: Settings) -> None:
    assert pg_client.get("/healthz").json()["store"] == "postgresql"
    result = pg_client.post("/v1/code", json={**CHART, "specialty": "oncology"}, headers=ALICE).json()
    audit_id = result["meta"]["audit_id"]
    queue = pg_client.get("/v1/reviews", params={"status": "all"}, headers=ALICE).json()
    assert audit_id in [item["audit_id"] for item in queue["items"]]
    edited = pg_client.post(
        f"/v1/reviews/{audit_id}",
        json={"decision": "edit", "codes": ["E11.22", "N18.32"], "note": "n"},
        headers=BOB,
    ).json()
    assert edited["status"] == "edited" and edited["final_codes"] == ["E11.22", "N18.32"]
    accepted = pg_client.post(f"/v1/reviews/{audit_id}", json={"decision": "accept"}, headers=ALICE).json()
    assert [d["reviewer"] for d in accepted["decisions"]] == ["bob", "alice"]
    record = pg_client.get(f"/v1/audit/{audit_id}", headers=ALICE).json()
    assert record["status"] == "accepted" and record["chart"]["text"] == CHART["text"]
    schema = _schema_of(pg_settings.database_url or "")
    with psycopg.connect(PG_URL) as conn:
        rows = conn.execute(
            f'SELECT count(*) FROM "{schema}".review_decisions WHERE audit_id = %s', (audit_id,)
        )
        assert rows.fetchone() == (2,)


def test_bad_input_on_postgres(pg_client: TestClient) -> None:
    assert_problem(pg_client.get("/v1/audit/0123456789abcdef0123456789abcdef", headers=ALICE), 404)
    assert_problem(pg_client.post("/v1/reviews/nope", json={"decision": "maybe"}, headers=ALICE), 422)
    assert_problem(pg_client.post("/v1/reviews/nope", json={"decision": "accept"}, headers=ALICE), 404)
    assert_problem(pg_client.get("/v1/reviews", params={"status": "nope"}, headers=ALICE), 422)


def test_chat_threads_persist_in_postgres(pg_settings: Settings) -> None:
    with make_client(pg_settings) as client:
        thread_id = client.post("/v1/threads", json={"chart": CHART}, headers=ALICE).json()["thread_id"]
        first = read_events(client, thread_id, "which codes and why?", ALICE)
        assert first[-1]["type"] == "done"
    # A new app (a restarted replica) continues the thread from the PostgreSQL checkpointer.
    with make_client(pg_settings) as client:
        events = read_events(client, thread_id, "what does the note say about GERD?", ALICE)
        assert "esophagitis" in events[-2]["data"]["content"].lower()
    schema = _schema_of(pg_settings.database_url or "")
    with psycopg.connect(PG_URL) as conn:
        count = conn.execute(
            f'SELECT count(*) FROM "{schema}".checkpoints WHERE thread_id = %s', (thread_id,)
        )
        assert (count.fetchone() or (0,))[0] > 0
