"""Grounding maps quotes to exact offsets; chart input in every accepted form, bad input refused."""

from __future__ import annotations

import base64
import json

import pytest

from agents.documents import read_chart
from agents.grounding import locate
from knowledge.errors import ChartError

TEXT = "HTN stable.\nAssessment: Essential  hypertension; HTN again."


def test_exact_quote_nearest_to_the_hint() -> None:
    first = locate(TEXT, "HTN")
    second = locate(TEXT, "HTN", hint=50)
    assert first is not None and second is not None
    assert (first.start, second.start) == (0, TEXT.rindex("HTN"))
    assert TEXT[second.start : second.end] == second.text == "HTN"


def test_whitespace_and_case_tolerant_match_returns_the_original_text() -> None:
    found = locate(TEXT, "essential hypertension")
    assert found is not None
    assert found.text == "Essential  hypertension" == TEXT[found.start : found.end]


def test_a_quote_not_in_the_chart_is_not_found() -> None:
    assert locate(TEXT, "atrial fibrillation") is None
    assert locate(TEXT, "   ") is None


def _document(note: str | None) -> dict:
    attachment = {"contentType": "text/plain"}
    if note is not None:
        attachment["data"] = base64.b64encode(note.encode()).decode()
    return {
        "resourceType": "DocumentReference",
        "id": "doc-1",
        "status": "current",
        "content": [{"attachment": attachment}],
    }


def test_plain_text_chart_json_and_fhir() -> None:
    assert read_chart(b"A/P: HTN").text == "A/P: HTN"
    chart = read_chart(json.dumps({"id": "c1", "text": "HTN", "setting": "inpatient", "gold": {}}))
    assert (chart.id, chart.setting) == ("c1", "inpatient")
    assert read_chart(json.dumps(_document("A/P: asthma"))).text == "A/P: asthma"
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": _document("Note one.")},
            {"resource": _document("Note two.")},
            {"resource": {"resourceType": "Patient", "gender": "female", "birthDate": "1960-01-01"}},
        ],
    }
    chart = read_chart(json.dumps(bundle), date_of_service="2026-06-01")
    assert chart.text == "Note one.\n\nNote two."
    assert (chart.patient.sex, chart.patient.age) == ("F", 66)


def test_overrides_win_over_the_file() -> None:
    chart = read_chart(
        json.dumps({"text": "HTN", "setting": "inpatient"}), setting="emergency", age=40, sex="M"
    )
    assert (chart.setting, chart.patient.age, chart.patient.sex) == ("emergency", 40, "M")


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "empty"),
        (b"  \n ", "empty"),
        (b"\x00\x01\x02binary", "binary"),
        (b"\xff\xfe\xfa", "UTF-8"),
        (b'{"text": "HTN",', "not valid JSON"),
        (json.dumps({"text": ""}).encode(), "empty"),
        (json.dumps({"text": 5}).encode(), "must be a string"),
        (json.dumps({"text": "x", "setting": "icu"}).encode(), "unknown setting"),
        (json.dumps({"text": "x", "patient": {"age": 400}}).encode(), "out of range"),
        (json.dumps(_document(None)).encode(), "no note text"),
        (json.dumps({"resourceType": "Observation", "status": "final"}).encode(), "not supported"),
        (b"[1, 2]", "JSON object"),
    ],
)
def test_bad_input_is_one_clear_chart_error(raw: bytes, words: str) -> None:
    with pytest.raises(ChartError) as caught:
        read_chart(raw)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)
