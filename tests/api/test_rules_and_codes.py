"""POST /v1/check, GET /v1/codes/{code} and GET /v1/search through the real app."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from knowledge.search import get_search
from knowledge.settings import Settings
from tests.api.conftest import ALICE, assert_problem

pytestmark = pytest.mark.integration


def test_check_returns_findings(client: TestClient) -> None:
    response = client.post(
        "/v1/check",
        json={"codes": ["E11.9", "E11.22"], "patient": {"age": 60, "sex": "F"}, "setting": "outpatient"},
        headers=ALICE,
    )
    assert response.status_code == 200, response.text
    findings = response.json()["findings"]
    assert {"rule", "severity", "message", "codes"} <= set(findings[0])
    assert any(f["rule"] == "combination_code" and "E11.9" in f["codes"] for f in findings)


def test_check_finds_a_sex_conflict(client: TestClient) -> None:
    response = client.post("/v1/check", json={"codes": ["O80"], "patient": {"sex": "M"}}, headers=ALICE)
    assert any(f["rule"] == "sex_conflict" for f in response.json()["findings"])


def test_check_without_problems_has_no_errors(client: TestClient) -> None:
    response = client.post("/v1/check", json={"codes": ["I10"]}, headers=ALICE)
    assert response.status_code == 200
    assert not [f for f in response.json()["findings"] if f["severity"] == "error"]


@pytest.mark.parametrize(
    "body",
    [
        {"codes": []},
        {},
        {"codes": "I10"},
        {"codes": ["I10"], "setting": "telehealth"},
        {"codes": ["I10"], "patient": {"age": 130}},
        {"codes": ["I10"], "patient": {"age": -3}},
        {"codes": ["I10"], "patient": {"sex": "female"}},
        {"codes": ["not a code"]},
        {"codes": [""]},
        {"codes": [42]},
    ],
    ids=lambda b: str(b)[:40],
)
def test_check_rejects_bad_input(client: TestClient, body: dict) -> None:
    assert_problem(client.post("/v1/check", json=body, headers=ALICE), 422)


def test_check_rejects_malformed_json(client: TestClient) -> None:
    response = client.post(
        "/v1/check", content=b"{codes:", headers={**ALICE, "Content-Type": "application/json"}
    )
    assert_problem(response, 400)


def test_code_detail(client: TestClient) -> None:
    response = client.get("/v1/codes/E11.22", headers=ALICE)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "E11.22"
    assert body["billable"] is True
    assert "chronic kidney disease" in body["title"].lower()
    assert any("N18" in note for note in body["notes"]["use_additional"])


def test_code_detail_of_a_category_and_an_undotted_code(client: TestClient) -> None:
    category = client.get("/v1/codes/E11", headers=ALICE).json()
    assert category["billable"] is False
    assert client.get("/v1/codes/e1122", headers=ALICE).json()["code"] == "E11.22"
    fracture = client.get("/v1/codes/S72.001A", headers=ALICE).json()
    assert fracture["seventh_character"]["allowed"]["A"]


def test_unknown_code_is_404_and_malformed_is_422(client: TestClient) -> None:
    assert "Z99.999" in assert_problem(client.get("/v1/codes/Z99.999", headers=ALICE), 404)["detail"]
    assert_problem(client.get("/v1/codes/U99", headers=ALICE), 404)
    assert_problem(client.get("/v1/codes/banana!", headers=ALICE), 422)
    assert_problem(client.get("/v1/codes/" + "E" * 40, headers=ALICE), 422)


def test_search_matches_the_lookup_command(client: TestClient, api_settings: Settings) -> None:
    response = client.get("/v1/search", params={"q": "DM2 w/ CKD stage 3b", "k": 3}, headers=ALICE)
    assert response.status_code == 200
    body = response.json()
    # `chartproof lookup --json` prints [search.lookup(phrase, k).model_dump(mode="json")] per phrase
    assert body == get_search(api_settings).lookup("DM2 w/ CKD stage 3b", 3).model_dump(mode="json")
    assert body["query"] == "DM2 w/ CKD stage 3b"
    assert len(body["results"]) == 3 and {"code", "description", "score"} <= set(body["results"][0])


def test_search_default_k_is_five(client: TestClient) -> None:
    assert len(client.get("/v1/search", params={"q": "hypertension"}, headers=ALICE).json()["results"]) == 5


@pytest.mark.parametrize(
    "params",
    [{}, {"q": ""}, {"q": "   "}, {"q": "HTN", "k": 0}, {"q": "HTN", "k": 201}, {"q": "HTN", "k": "x"}],
)
def test_search_rejects_bad_input(client: TestClient, params: dict) -> None:
    assert_problem(client.get("/v1/search", params=params, headers=ALICE), 422)
