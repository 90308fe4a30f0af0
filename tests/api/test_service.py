"""Health, metrics, OpenAPI, the page, and the last-resort error handling."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowledge.settings import Settings
from tests.api.conftest import ALICE, CHART, assert_problem, make_client

pytestmark = pytest.mark.integration


def test_healthz(client: TestClient, coded: dict[str, Any]) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["ready"] is True
    assert body["knowledge_version"].startswith("ICD-10-CM")
    assert body["store"] == "sqlite"


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_requests_codes_reviews_and_findings(client: TestClient) -> None:
    result = client.post("/v1/code", json=CHART, headers=ALICE).json()
    client.post("/v1/check", json={"codes": ["E11.9", "E11.22"]}, headers=ALICE)
    client.post(f"/v1/reviews/{result['meta']['audit_id']}", json={"decision": "accept"}, headers=ALICE)
    client.get("/v1/codes/NOPE99", headers=ALICE)
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _metric(text, "chartproof_http_requests_total", route="/v1/code", status="200") == 1
    assert _metric(text, "chartproof_http_requests_total", route="/v1/codes/{code}", status="422") == 1
    assert _metric(text, "chartproof_http_request_duration_seconds_count", route="/v1/check") == 1
    assert _metric(text, "chartproof_codes_proposed_total") == len(result["codes"])
    assert _metric(text, "chartproof_rule_findings_total", rule="combination_code") >= 1
    assert _metric(text, "chartproof_review_decisions_total", decision="accept") == 1
    for reason in result["review"]["reasons"]:
        assert _metric(text, "chartproof_review_reasons_total", reason=reason.split(":")[0]) >= 1
    assert "chartproof_review_reasons_total" in text or not result["review"]["reasons"]


def test_openapi_lists_every_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) >= {
        "/v1/code",
        "/v1/check",
        "/v1/codes/{code}",
        "/v1/search",
        "/v1/reviews",
        "/v1/reviews/{audit_id}",
        "/v1/audit/{audit_id}",
        "/v1/threads",
        "/v1/threads/{thread_id}/messages",
        "/healthz",
    }
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    assert (
        "text"
        in spec["paths"]["/v1/code"]["post"]["requestBody"]["content"]["application/json"]["schema"][
            "properties"
        ]
    )
    docs = client.get("/docs")
    assert "text/html" in docs.headers["content-type"]
    assert "/docs-assets/swagger-ui-bundle.js" in docs.text  # served locally: works offline
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_the_page_and_its_assets(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for testid in (
        "chart-input",
        "code-button",
        "chart-view",
        "code-list",
        "chat-input",
        "queue-list",
        "api-key",
    ):
        assert f'data-testid="{testid}"' in page.text
    assert re.search(r'src="/static/app\.js"', page.text)
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/app.css").status_code == 200
    assert_problem(client.get("/static/missing.js"), 404)
    assert_problem(client.get("/no/such/route"), 404)
    assert_problem(client.delete("/v1/code", headers=ALICE), 405)


def test_an_unexpected_error_is_a_bare_500_problem(
    api_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(settings: Settings) -> Any:
        raise RuntimeError("chart text: Essential hypertension in a secret patient")

    with make_client(api_settings, chat_factory=broken) as client:
        response = client.post("/v1/threads", json={}, headers=ALICE)
    body = assert_problem(response, 500)
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert body["detail"]
    assert "RuntimeError" in caplog.text  # the log has the type and the stack...
    assert "secret" not in caplog.text  # ...but not the message, which may quote a chart
