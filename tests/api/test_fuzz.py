"""Property-based fuzzing of the OpenAPI schema (schemathesis) against the ASGI app: whatever the
input, valid or not, the API answers without a 5xx. Examples are kept few so this runs in well
under a minute on two cores; the SSE route is fuzzed for its 4xx paths only (a 200 opens a stream,
which test_threads.py covers)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from api.app import create_app
from api.config import ApiConfig
from knowledge.settings import Settings
from tests.api.conftest import ALICE, KEYS
from tests.api.live import data_dir_with_indexes
from tests.conftest import SHARED

pytestmark = pytest.mark.integration

CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"max-examples": 25, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "checks": {"enabled": False, "not_a_server_error": {"enabled": True}},
    }
)


# schemathesis' fixture-based (lazy) loader breaks on pytest 9, so the app is built at import: over a
# data directory of its own whose index/ links to the shared indexes, which the autouse fixture below
# builds (if needed) before any case runs. Building the app reads no index; requests do.
_DATA = data_dir_with_indexes(Path(tempfile.mkdtemp(prefix="chartproof-fuzz-")), SHARED / "index")
atexit.register(shutil.rmtree, _DATA, ignore_errors=True)
APP = create_app(Settings(data_dir=_DATA, api_keys=KEYS), ApiConfig(warm_up=False))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)


@pytest.fixture(autouse=True, scope="module")
def _indexes_built(built_settings: Settings) -> None:
    assert (SHARED / "index").resolve() == built_settings.index_dir.resolve()


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gets_a_5xx(case: Any) -> None:
    if case.path.endswith("/messages") and case.method.upper() == "POST":
        case.path_parameters = {**(case.path_parameters or {}), "thread_id": "0" * 32}
    response = case.call(headers=ALICE)
    assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}"
    if response.status_code >= 400:
        assert response.headers["content-type"][0].startswith("application/problem+json")


def test_the_schema_declares_the_api_key() -> None:
    spec = TestClient(APP).get("/openapi.json").json()
    assert "X-API-Key" in str(spec["components"]["securitySchemes"])
