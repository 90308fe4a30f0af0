"""Fixtures for the API tests: apps over a data directory of their own (audit and chat databases)
that reuses the shared built indexes through a symlink, clients with and without API keys, and a
throwaway PostgreSQL schema when a server answers on loopback.

Why a symlinked index: the indexes take ~30 s to build and are read-only once built, so every test
process shares the one tests/conftest.py builds; the audit store (audit.sqlite) and chat checkpoints
live beside it in the temp directory, so counts and queues are this process's alone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import ApiConfig
from knowledge.settings import Settings
from tests.api.live import data_dir_with_indexes

KEYS = "alice:alice-key,bob:bob-key"
ALICE = {"X-API-Key": "alice-key"}
BOB = {"X-API-Key": "bob-key"}
PG_URL = os.environ.get("CHARTPROOF_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")

NOTE = (
    "FOLLOW-UP VISIT\n"
    "S: 67 y/o F with diabetes and kidney disease. Denies chest pain.\n"
    "A/P:\n"
    "1. Type 2 diabetes mellitus with diabetic chronic kidney disease, CKD stage 3b.\n"
    "2. Essential hypertension, controlled.\n"
    "3. GERD without esophagitis.\n"
)
CHART: dict[str, Any] = {
    "id": "api-test-1",
    "text": NOTE,
    "setting": "outpatient",
    "specialty": "family_medicine",
    "patient": {"age": 67, "sex": "F"},
}


@pytest.fixture(scope="session")
def api_data_dir(built_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return data_dir_with_indexes(tmp_path_factory.mktemp("api-data"), built_settings.index_dir)


@pytest.fixture(scope="session")
def api_settings(api_data_dir: Path) -> Settings:
    return Settings(data_dir=api_data_dir, api_keys=KEYS)


def make_client(settings: Settings, **kwargs: Any) -> TestClient:
    return TestClient(create_app(settings, ApiConfig(warm_up=False), **kwargs), raise_server_exceptions=False)


@pytest.fixture()
def client(api_settings: Settings) -> Iterator[TestClient]:
    """The app with API keys alice and bob (send ALICE or BOB as headers)."""
    with make_client(api_settings) as test_client:
        yield test_client


@pytest.fixture()
def open_client(api_data_dir: Path) -> Iterator[TestClient]:
    """The app without API keys (the local, loopback-only mode)."""
    with make_client(Settings(data_dir=api_data_dir)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def coded(api_settings: Settings) -> dict[str, Any]:
    """One chart coded through the API (the audit record it wrote is shared by read-only tests)."""
    with make_client(api_settings) as test_client:
        response = test_client.post("/v1/code", json=CHART, headers=ALICE)
    assert response.status_code == 200, response.text
    return response.json()


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """An RFC 9457 problem document with this status and no stack trace."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["type"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


# -- PostgreSQL --------------------------------------------------------------------------------------


@contextmanager
def throwaway_pg_schema() -> Iterator[str]:
    """A database URL whose search_path is a throwaway schema (dropped afterwards), so the app's audit
    store and checkpointer open their tables there without any test-only option in the code. Skips
    when no server answers, unless CHARTPROOF_PG_REQUIRED=1 or CI is set, where it fails."""
    schema = f"chartproof_api_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(PG_URL, connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError:
        if os.environ.get("CHARTPROOF_PG_REQUIRED") == "1" or os.environ.get("CI", "").lower() in (
            "1",
            "true",
        ):
            pytest.fail(f"PostgreSQL is required here (CI) but {PG_URL} does not answer")
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="module")
def pg_database_url() -> Iterator[str]:
    with throwaway_pg_schema() as url:
        yield url
