"""Shared fixtures. The knowledge indexes are built once per machine into a shared test data directory
(guarded by a file lock so parallel workers wait for one build) and reused by every test that needs
them; tests that change the indexes use their own temporary directory."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from knowledge.settings import Settings, get_settings
from tests.fakes.openai_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(
    os.environ.get("CHARTPROOF_TEST_DATA_DIR", Path(tempfile.gettempdir()) / "chartproof-test-data")
)
REFERENCE = ROOT.parent / "shared" / "reference"
TEST_DATABASE_URL = os.environ.get("CHARTPROOF_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def built_settings() -> Iterator[Settings]:
    """Settings whose data directory holds current indexes (built on first use)."""
    from knowledge.indexes import build_indexes

    SHARED.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=SHARED)
    with FileLock(str(SHARED / "build.lock")):
        build_indexes(settings)
    yield settings


@pytest.fixture()
def cli_env(built_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for running the CLI against the shared indexes."""
    monkeypatch.setenv("CHARTPROOF_DATA_DIR", str(built_settings.data_dir))
    get_settings.cache_clear()
    env = dict(os.environ)
    yield env
    get_settings.cache_clear()


@pytest.fixture()
def openai_server() -> Iterator[FakeOpenAIServer]:
    """A scripted OpenAI-compatible server on 127.0.0.1 (free port): `.enqueue()` the turns, read
    `.requests` afterwards. Point Settings(llm_base_url=openai_server.base_url) at it."""
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture()
def coding_settings(built_settings: Settings, tmp_path: Path) -> Settings:
    """Settings with a private data directory (audit and checkpoint databases) that reuses the shared
    built indexes through a symlink, so coding tests neither rebuild nor share audit records."""
    (tmp_path / "index").symlink_to(built_settings.index_dir, target_is_directory=True)
    return Settings(data_dir=tmp_path)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make `-n 2 --dist loadgroup` honour xdist_group marks again. pytest-xdist 3.8 groups tests by
    appending "@group" to item._nodeid, which pytest 9 no longer reads (the node id lives in
    item._id), so every group was silently spread over the workers. Tests that share a live server
    (xdist_group("live-server")) then started it once per worker. Does the same through the NodeId;
    a no-op outside xdist workers or once xdist handles it itself."""
    if not getattr(config.option, "loadgroup", False) or not hasattr(config, "workerinput"):
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = sorted(
            {
                str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                for m in item.iter_markers("xdist_group")
            }
        )
        if names and "@" not in item.nodeid.rsplit("]", 1)[-1] and hasattr(item, "_id"):
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(names)}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Where PostgreSQL is required (CI sets CHARTPROOF_PG_REQUIRED=1), a test that skipped because
    no server answered fails instead: the PostgreSQL backends must really be tested there."""
    report = yield
    required = os.environ.get("CHARTPROOF_PG_REQUIRED") == "1"
    if required and report.skipped and "PostgreSQL not reachable" in str(report.longrepr):
        report.outcome = "failed"
    return report


@pytest.fixture(scope="module")
def pg_schema() -> Iterator[str]:
    """A throwaway PostgreSQL schema for one test module, dropped afterwards; the test skips with a
    one-line reason when no server answers (and fails instead where CHARTPROOF_PG_REQUIRED=1)."""
    import uuid

    import psycopg

    from agents.store.postgres import describe

    try:
        with psycopg.connect(TEST_DATABASE_URL, connect_timeout=3, autocommit=True) as conn:
            schema = f"chartproof_test_{uuid.uuid4().hex[:12]}"
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError:
        pytest.skip(f"PostgreSQL not reachable at {describe(TEST_DATABASE_URL)}")
    yield schema
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
