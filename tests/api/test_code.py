"""POST /v1/code through the real app: a CodingResult in the spec's shape with its audit id, and
every kind of bad chart answered 4xx with a problem document."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from tests.api.conftest import ALICE, CHART, NOTE, assert_problem

pytestmark = pytest.mark.integration

RESULT_SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "result.schema.json").read_text())


def test_code_returns_an_audited_result_in_the_spec_shape(client: TestClient, coded: dict[str, Any]) -> None:
    Draft202012Validator(RESULT_SCHEMA).validate(coded)
    assert coded["chart_id"] == "api-test-1"
    assert coded["meta"]["audit_id"]
    assert coded["codes"], "the engine found nothing in a chart with three diagnoses"
    for suggestion in coded["codes"]:
        for evidence in suggestion["evidence"]:
            assert NOTE[evidence["start"] : evidence["end"]] == evidence["text"]
    record = client.get(f"/v1/audit/{coded['meta']['audit_id']}", headers=ALICE).json()
    assert record["result"]["codes"] == coded["codes"]
    assert record["chart"]["text"] == NOTE


def test_code_points_to_its_audit_record(client: TestClient) -> None:
    response = client.post("/v1/code", json={"text": "A/P: Essential hypertension."}, headers=ALICE)
    assert response.status_code == 200
    audit_id = response.json()["meta"]["audit_id"]
    assert response.headers["location"] == f"/v1/audit/{audit_id}"
    assert client.get(response.headers["location"], headers=ALICE).status_code == 200


def test_code_accepts_a_plain_text_note(client: TestClient) -> None:
    response = client.post(
        "/v1/code", content=b"A/P: Essential hypertension.", headers={**ALICE, "Content-Type": "text/plain"}
    )
    assert response.status_code == 200, response.text
    assert "I10" in [c["code"] for c in response.json()["codes"]]


def test_code_accepts_a_fhir_document_reference(client: TestClient) -> None:
    document = {
        "resourceType": "DocumentReference",
        "id": "fhir-doc-1",
        "status": "current",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain",
                    "data": base64.b64encode(b"A/P: Essential hypertension.").decode(),
                }
            }
        ],
    }
    response = client.post("/v1/code", json=document, headers=ALICE)
    assert response.status_code == 200, response.text
    assert response.json()["chart_id"] == "fhir-doc-1"


BAD_CHARTS: list[tuple[str, bytes, int, str]] = [
    ("malformed JSON", b'{"text": "HTN",', 400, "not valid JSON"),
    ("empty body", b"", 400, "empty"),
    ("not an object", b'["HTN"]', 422, "JSON object"),
    ("missing text", b'{"setting": "outpatient"}', 422, "text"),
    ("empty text", b'{"text": ""}', 422, "empty"),
    ("blank text", b'{"text": "  \\n\\t "}', 422, "empty"),
    ("text is a number", b'{"text": 42}', 422, "string"),
    ("text is a list", b'{"text": ["HTN"]}', 422, "string"),
    ("text is null", b'{"text": null}', 422, "string"),
    ("unknown setting", b'{"text": "HTN", "setting": "telehealth"}', 422, "telehealth"),
    ("age too high", b'{"text": "HTN", "patient": {"age": 125}}', 422, "age"),
    ("age negative", b'{"text": "HTN", "patient": {"age": -1}}', 422, "age"),
    ("age not a number", b'{"text": "HTN", "patient": {"age": "old"}}', 422, "age"),
    ("unknown sex", b'{"text": "HTN", "patient": {"sex": "X"}}', 422, "sex"),
    ("bad date", b'{"text": "HTN", "date_of_service": "yesterday"}', 422, "date"),
    ("unsupported FHIR", b'{"resourceType": "Observation"}', 422, "Observation"),
    ("not UTF-8", b'{"text": "\xff\xfe"}', 400, "JSON"),
]


@pytest.mark.parametrize(
    ("raw", "status", "says"), [c[1:] for c in BAD_CHARTS], ids=[c[0] for c in BAD_CHARTS]
)
def test_bad_charts_get_a_4xx_problem(client: TestClient, raw: bytes, status: int, says: str) -> None:
    response = client.post("/v1/code", content=raw, headers={**ALICE, "Content-Type": "application/json"})
    body = assert_problem(response, status)
    assert says.lower() in body["detail"].lower()


def test_a_body_over_the_limit_is_413(client: TestClient) -> None:
    big = json.dumps({"text": "Essential hypertension. " * 50_000}).encode()  # ~1.2 MB > 1 MB default
    response = client.post("/v1/code", content=big, headers={**ALICE, "Content-Type": "application/json"})
    body = assert_problem(response, 413)
    assert "limit" in body["detail"]


def test_a_streamed_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(30):
            yield b" " * 50_000

    response = client.post(
        "/v1/code", content=chunks(), headers={**ALICE, "Content-Type": "application/json"}
    )
    assert_problem(response, 413)


def test_a_chart_longer_than_the_chart_limit_is_422(client: TestClient) -> None:
    text = "HTN. " * 41_000  # 205,000 characters, under the body limit, over the chart limit
    response = client.post("/v1/code", json={"text": text}, headers=ALICE)
    assert "limit" in assert_problem(response, 422)["detail"]


def test_an_unsupported_media_type_is_415(client: TestClient) -> None:
    response = client.post(
        "/v1/code", content=b"<chart/>", headers={**ALICE, "Content-Type": "application/xml"}
    )
    assert_problem(response, 415)


def test_chart_text_never_reaches_the_logs(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    marker = "Zyxwvut-marker-7731"
    caplog.set_level("DEBUG")
    chart = {**CHART, "id": None, "text": f"{marker} patient.\nA/P: Essential hypertension ({marker})."}
    assert client.post("/v1/code", json=chart, headers=ALICE).status_code == 200
    assert client.post("/v1/code", json={"text": marker, "setting": "moon"}, headers=ALICE).status_code == 422
    assert marker not in caplog.text
    assert "/v1/code" in caplog.text  # the request itself is logged (route, status, time)
