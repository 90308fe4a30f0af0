"""API keys: every /v1 route answers 401 without a valid X-API-Key when keys are configured; the
key's name is the reviewer recorded in the audit trail; /healthz and /metrics stay open."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import parse_api_keys
from api.serve import choose_host
from knowledge.errors import InputError
from tests.api.conftest import ALICE, BOB, CHART, assert_problem

pytestmark = pytest.mark.integration

V1_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/v1/code", CHART),
    ("POST", "/v1/check", {"codes": ["I10"]}),
    ("GET", "/v1/codes/I10", None),
    ("GET", "/v1/search?q=hypertension", None),
    ("GET", "/v1/reviews?status=pending", None),
    ("POST", "/v1/reviews/0123456789abcdef0123456789abcdef", {"decision": "accept"}),
    ("GET", "/v1/audit/0123456789abcdef0123456789abcdef", None),
    ("POST", "/v1/threads", {}),
    ("POST", "/v1/threads/0123456789abcdef0123456789abcdef/messages", {"content": "hi"}),
]


@pytest.mark.parametrize(("method", "path", "body"), V1_ROUTES, ids=[f"{m} {p}" for m, p, _ in V1_ROUTES])
@pytest.mark.parametrize(
    "headers", [{}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}], ids=["none", "wrong", "empty"]
)
def test_every_v1_route_needs_a_valid_key(
    client: TestClient, method: str, path: str, body: dict | None, headers: dict[str, str]
) -> None:
    response = client.request(method, path, json=body, headers=headers)
    detail = assert_problem(response, 401)["detail"]
    assert "X-API-Key" in detail
    assert "alice-key" not in response.text


@pytest.mark.parametrize(("method", "path", "body"), V1_ROUTES, ids=[f"{m} {p}" for m, p, _ in V1_ROUTES])
def test_a_valid_key_gets_through(client: TestClient, method: str, path: str, body: dict | None) -> None:
    response = client.request(method, path, json=body, headers=BOB)
    assert response.status_code != 401
    assert response.status_code in (200, 201, 404), response.text  # 404: the made-up audit/thread ids


def test_the_reviewer_is_the_keys_name(client: TestClient) -> None:
    audit_id = client.post("/v1/code", json=CHART, headers=ALICE).json()["meta"]["audit_id"]
    client.post(f"/v1/reviews/{audit_id}", json={"decision": "reject"}, headers=BOB)
    client.post(f"/v1/reviews/{audit_id}", json={"decision": "accept"}, headers=ALICE)
    decisions = client.get(f"/v1/audit/{audit_id}", headers=ALICE).json()["decisions"]
    assert [(d["decision"], d["reviewer"]) for d in decisions] == [("reject", "bob"), ("accept", "alice")]


def test_health_metrics_docs_and_page_need_no_key(client: TestClient) -> None:
    for path in ("/healthz", "/metrics", "/docs", "/openapi.json", "/"):
        assert client.get(path).status_code == 200, path
    assert client.get("/healthz").json()["auth"] is True


def test_without_keys_the_api_is_open_and_the_reviewer_anonymous(open_client: TestClient) -> None:
    audit_id = open_client.post("/v1/code", json=CHART).json()["meta"]["audit_id"]
    record = open_client.post(f"/v1/reviews/{audit_id}", json={"decision": "accept"}).json()
    assert record["decisions"][-1]["reviewer"] == "anonymous"
    assert open_client.get("/healthz").json()["auth"] is False


def test_parse_api_keys() -> None:
    keys = parse_api_keys(" alice:k1 , bob:k:2,bare ")
    assert [(k.name, k.key) for k in keys] == [("alice", "k1"), ("bob", "k:2"), ("key3", "bare")]
    assert parse_api_keys(None) == () and parse_api_keys("  ") == ()
    for bad in (",", "alice:", ":k1"):
        with pytest.raises(InputError):
            parse_api_keys(bad)


def test_serve_binds_loopback_unless_keys_or_told() -> None:
    assert choose_host(None, keys_configured=False) == ("127.0.0.1", None)
    assert choose_host(None, keys_configured=True) == ("0.0.0.0", None)
    assert choose_host("::1", keys_configured=False) == ("::1", None)
    assert choose_host("localhost", keys_configured=False) == ("localhost", None)
    host, warning = choose_host("0.0.0.0", keys_configured=False)
    assert host == "0.0.0.0" and warning and "CHARTPROOF_API_KEYS" in warning


def test_serve_refuses_a_malformed_key_list(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("chartproof")
    env = {**os.environ, "CHARTPROOF_API_KEYS": "alice:", "CHARTPROOF_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [str(script), "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "chartproof: error: CHARTPROOF_API_KEYS entry 1 is not 'name:key' or a bare key"
    ]
