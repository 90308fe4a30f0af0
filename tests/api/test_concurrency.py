"""50 concurrent coding requests against one real `chartproof serve` (subprocess, free loopback
port): every one answers 200, and the audit store grew by exactly 50 records with 50 distinct ids,
each readable through the API. Run on SQLite and, when a server answers, PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agents.store import open_store
from knowledge.settings import Settings
from tests.api.conftest import ALICE, CHART, KEYS, throwaway_pg_schema
from tests.api.live import LiveServer, chartproof_serve, data_dir_with_indexes

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("live-server")]

REQUESTS = 50


# Session-scoped, one per backend: pytest-xdist may interleave these tests with other modules of the
# "live-server" group, and a module-scoped server would then be started again each time.
@pytest.fixture(scope="session")
def sqlite_server(
    built_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, Settings]]:
    data_dir = data_dir_with_indexes(tmp_path_factory.mktemp("serve-sqlite"), built_settings.index_dir)
    with chartproof_serve(data_dir, CHARTPROOF_API_KEYS=KEYS) as live:
        yield live, Settings(data_dir=data_dir)


@pytest.fixture(scope="session")
def postgres_server(
    built_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, Settings]]:
    data_dir = data_dir_with_indexes(tmp_path_factory.mktemp("serve-postgres"), built_settings.index_dir)
    with throwaway_pg_schema() as url:
        with chartproof_serve(data_dir, CHARTPROOF_API_KEYS=KEYS, CHARTPROOF_DATABASE_URL=url) as live:
            yield live, Settings(data_dir=data_dir, database_url=url)


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest) -> tuple[LiveServer, Settings]:
    return request.getfixturevalue(f"{request.param}_server")


def _count(settings: Settings) -> int:
    store = open_store(settings)
    try:
        return store.count()
    finally:
        store.close()


async def _code_all(url: str) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=REQUESTS)
    async with httpx.AsyncClient(base_url=url, headers=ALICE, timeout=120.0, limits=limits) as client:
        charts = [{**CHART, "id": f"concurrent-{n}"} for n in range(REQUESTS)]
        return await asyncio.gather(*(client.post("/v1/code", json=chart) for chart in charts))


def test_50_concurrent_coding_requests_each_write_one_audit_record(
    server: tuple[LiveServer, Settings],
) -> None:
    live, settings = server
    before = _count(settings)
    started = time.perf_counter()
    responses = asyncio.run(_code_all(live.url))
    elapsed = time.perf_counter() - started
    assert [r.status_code for r in responses] == [200] * REQUESTS, [
        r.text[:200] for r in responses if r.is_error
    ]
    results = [r.json() for r in responses]
    assert sorted(r["chart_id"] for r in results) == sorted(f"concurrent-{n}" for n in range(REQUESTS))
    audit_ids = [r["meta"]["audit_id"] for r in results]
    assert len(set(audit_ids)) == REQUESTS
    assert _count(settings) == before + REQUESTS
    with httpx.Client(base_url=live.url, headers=ALICE, timeout=30.0) as client:
        for result in results:
            record = client.get(f"/v1/audit/{result['meta']['audit_id']}")
            assert record.status_code == 200
            assert record.json()["chart_id"] == result["chart_id"]
            assert record.json()["result"]["codes"] == result["codes"]
    assert elapsed < 120, f"50 requests took {elapsed:.1f} s"


def test_the_served_log_has_no_chart_text(server: tuple[LiveServer, Settings]) -> None:
    live, _ = server
    marker = "Qwxz-unique-chart-words"
    with httpx.Client(base_url=live.url, headers=ALICE, timeout=60.0) as client:
        assert client.post("/v1/code", json={"text": f"A/P: {marker} hypertension."}).status_code == 200
        assert client.get("/v1/search", params={"q": marker}).status_code == 200
    time.sleep(0.2)
    log = live.log()
    assert "POST /v1/code 200" in log
    assert marker not in log


def test_the_served_api_key_is_enforced(server: tuple[LiveServer, Settings]) -> None:
    live, _ = server
    assert httpx.get(f"{live.url}/v1/reviews").status_code == 401
    assert httpx.get(f"{live.url}/v1/reviews", headers=ALICE).status_code == 200
    assert Path(live.data_dir).exists()
