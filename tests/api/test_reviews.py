"""The review queue, coders' decisions and the audit record, through the real app (SQLite)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agents.services import get_services
from knowledge.schema import Chart, CodeSuggestion, CodingResult, Evidence, Meta, Review
from knowledge.settings import Settings
from tests.api.conftest import ALICE, BOB, CHART, NOTE, assert_problem

pytestmark = pytest.mark.integration


def seed(settings: Settings, priority: int, reasons: list[str], required: bool = True) -> str:
    """Write one coding run straight into the app's audit store (to control priority and reasons)."""
    start = NOTE.index("Essential hypertension")
    audit_id = uuid.uuid4().hex
    chart = Chart(id=f"seed-{priority}-{audit_id[:6]}", text=NOTE)
    result = CodingResult(
        chart_id=chart.id,
        codes=[
            CodeSuggestion(
                code="I10",
                description="Essential (primary) hypertension",
                evidence=[Evidence(start=start, end=start + 22, text=NOTE[start : start + 22])],
                confidence=0.5,
            )
        ],
        findings=[],
        review=Review(required=required, reasons=reasons, priority=priority),
        meta=Meta(engine="offline"),
    )
    get_services(settings).store().record(audit_id, chart, result, "sha256:seeded")
    return audit_id


def test_queue_is_highest_priority_first_with_reasons(client: TestClient, api_settings: Settings) -> None:
    low = seed(api_settings, 11, ["low_confidence:I10"])
    high = seed(api_settings, 97, ["specialty_policy:oncology", "rule_error:excludes1"])
    middle = seed(api_settings, 54, ["documentation_gap"])
    auto = seed(api_settings, 99, [], required=False)
    response = client.get("/v1/reviews", params={"status": "pending"}, headers=ALICE)
    assert response.status_code == 200
    body = response.json()
    items = body["items"]
    assert body["status"] == "pending" and body["count"] == len(items)
    priorities = [item["priority"] for item in items]
    assert priorities == sorted(priorities, reverse=True)
    ids = [item["audit_id"] for item in items]
    assert ids.index(high) < ids.index(middle) < ids.index(low)
    assert auto not in ids  # not routed to review: auto-accepted
    by_id = {item["audit_id"]: item for item in items}
    assert by_id[high]["reasons"] == ["specialty_policy:oncology", "rule_error:excludes1"]
    assert all(item["status"] == "pending" for item in items)
    auto_accepted = client.get("/v1/reviews", params={"status": "auto_accepted"}, headers=ALICE).json()
    assert auto in [item["audit_id"] for item in auto_accepted["items"]]


def test_queue_default_is_pending_and_limit_applies(client: TestClient, api_settings: Settings) -> None:
    seed(api_settings, 40, ["low_confidence:I10"])
    seed(api_settings, 41, ["low_confidence:I10"])
    body = client.get("/v1/reviews", params={"limit": 1}, headers=ALICE).json()
    assert body["status"] == "pending" and body["count"] == 1


@pytest.mark.parametrize("params", [{"status": "done"}, {"limit": 0}, {"limit": 1001}, {"limit": "ten"}])
def test_queue_rejects_bad_filters(client: TestClient, params: dict) -> None:
    assert_problem(client.get("/v1/reviews", params=params, headers=ALICE), 422)


def test_accept_records_the_proposed_codes(client: TestClient) -> None:
    result = client.post("/v1/code", json=CHART, headers=ALICE).json()
    audit_id = result["meta"]["audit_id"]
    response = client.post(
        f"/v1/reviews/{audit_id}", json={"decision": "accept", "note": "ok"}, headers=ALICE
    )
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["status"] == "accepted"
    assert record["final_codes"] == [c["code"] for c in result["codes"]]
    assert record["decisions"][-1]["decision"] == "accept"
    assert record["decisions"][-1]["reviewer"] == "alice"  # from the API key's name
    assert record["decisions"][-1]["note"] == "ok"


def test_decisions_append_and_the_latest_decides(client: TestClient, api_settings: Settings) -> None:
    audit_id = seed(api_settings, 70, ["low_confidence:I10"])
    first = client.post(
        f"/v1/reviews/{audit_id}", json={"decision": "edit", "codes": ["i10", "K21.9"]}, headers=BOB
    ).json()
    assert first["status"] == "edited" and first["final_codes"] == ["I10", "K21.9"]
    second = client.post(
        f"/v1/reviews/{audit_id}", json={"decision": "reject", "reviewer": "Dana Coder"}, headers=ALICE
    ).json()
    assert second["status"] == "rejected" and second["final_codes"] is None
    record = client.get(f"/v1/audit/{audit_id}", headers=ALICE).json()
    assert [(d["decision"], d["reviewer"]) for d in record["decisions"]] == [
        ("edit", "bob"),
        ("reject", "Dana Coder"),  # a reviewer named in the request wins over the key's name
    ]
    assert record["decisions"][0]["codes"] == ["I10", "K21.9"]
    pending = client.get("/v1/reviews", params={"status": "pending", "limit": 1000}, headers=ALICE).json()
    assert audit_id not in [item["audit_id"] for item in pending["items"]]


BAD_DECISIONS: list[tuple[str, dict[str, Any]]] = [
    ("unknown decision", {"decision": "maybe"}),
    ("no decision", {}),
    ("edit without codes", {"decision": "edit"}),
    ("edit with empty codes", {"decision": "edit", "codes": []}),
    ("edit with an invalid code", {"decision": "edit", "codes": ["E11.99999"]}),
    ("edit with a malformed code", {"decision": "edit", "codes": ["banana"]}),
    ("accept with codes", {"decision": "accept", "codes": ["I10"]}),
    ("reject with codes", {"decision": "reject", "codes": ["I10"]}),
    ("codes not a list", {"decision": "edit", "codes": "I10"}),
    ("note too long", {"decision": "accept", "note": "x" * 10_001}),
    ("reviewer too long", {"decision": "accept", "reviewer": "x" * 201}),
]


@pytest.mark.parametrize("body", [b[1] for b in BAD_DECISIONS], ids=[b[0] for b in BAD_DECISIONS])
def test_bad_decisions_are_422(client: TestClient, api_settings: Settings, body: dict[str, Any]) -> None:
    audit_id = seed(api_settings, 20, ["low_confidence:I10"])
    assert_problem(client.post(f"/v1/reviews/{audit_id}", json=body, headers=ALICE), 422)
    assert client.get(f"/v1/audit/{audit_id}", headers=ALICE).json()["decisions"] == []


def test_decision_with_malformed_json_is_400(client: TestClient, api_settings: Settings) -> None:
    audit_id = seed(api_settings, 20, ["low_confidence:I10"])
    response = client.post(
        f"/v1/reviews/{audit_id}",
        content=b"{decision: accept",
        headers={**ALICE, "Content-Type": "application/json"},
    )
    assert_problem(response, 400)


def test_unknown_audit_id_is_404(client: TestClient) -> None:
    missing = uuid.uuid4().hex
    assert missing in assert_problem(client.get(f"/v1/audit/{missing}", headers=ALICE), 404)["detail"]
    assert_problem(client.post(f"/v1/reviews/{missing}", json={"decision": "accept"}, headers=ALICE), 404)


@pytest.mark.parametrize("audit_id", ["bad id!", "-leading-dash", "x" * 129])
def test_malformed_audit_id_is_422(client: TestClient, audit_id: str) -> None:
    assert_problem(client.get(f"/v1/audit/{audit_id}", headers=ALICE), 422)
    assert_problem(client.post(f"/v1/reviews/{audit_id}", json={"decision": "accept"}, headers=ALICE), 422)
