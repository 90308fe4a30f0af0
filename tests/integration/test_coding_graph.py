"""The coding graph end to end on the offline engine, the LLM path through a scripted server, the
interactive review interrupt, and the audit record."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from agents.coder import code_chart
from agents.context import RunContext
from agents.documents import read_chart
from agents.graph import build_graph
from agents.services import get_services
from knowledge.schema import Chart
from knowledge.settings import Settings
from tests.fakes.openai_server import FakeOpenAIServer, Reply

DATA = Path(__file__).resolve().parents[1] / "data"
SCHEMA = json.loads((DATA / "result.schema.json").read_text())
NOTE = (DATA / "charts" / "clinic_note.txt").read_text()


def _chart(**fields: object) -> Chart:
    return read_chart(NOTE, age=62, sex="M", **fields)  # type: ignore[arg-type]


def _valid(result_json: dict) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(result_json)


def test_offline_engine_codes_a_clinic_note(coding_settings: Settings) -> None:
    chart = _chart()
    result = code_chart(chart, RunContext(engine="offline", settings=coding_settings))
    _valid(result.model_dump(mode="json"))
    codes = [c.code for c in result.codes]
    # combination codes by the "with" convention, the CKD stage, history and family history, Z79
    assert {"E11.22", "I12.9", "N18.31", "Z87.891", "Z80.0", "Z79.84", "E78.5"} <= set(codes)
    assert "I10" not in codes and "E11.9" not in codes
    assert "R07.9" not in codes  # chest pain is denied
    assert "J40" not in codes and "J20.9" not in codes  # "possibly early bronchitis" (outpatient, IV.H)
    assert "R05.9" in codes  # the symptom is coded instead
    assert sum(c.principal for c in result.codes) == 1 and result.codes[0].principal
    for code in result.codes:
        assert code.evidence and all(chart.text[e.start : e.end] == e.text for e in code.evidence)
        assert 0 <= code.confidence <= 1
    assert result.meta.engine == "offline" and result.meta.audit_id
    record = get_services(coding_settings).store().get(result.meta.audit_id)
    assert record.input_hash.startswith("sha256:") and record.result["codes"]


def test_setting_decides_uncertain_diagnoses(coding_settings: Settings) -> None:
    text = "Assessment:\n1. Community-acquired pneumonia, probable.\n2. Cough and fever.\n"
    context = RunContext(engine="offline", audit=False, settings=coding_settings)
    outpatient = code_chart(Chart(text=text, setting="outpatient"), context)
    inpatient = code_chart(Chart(text=text, setting="inpatient"), context)
    assert "J18.9" not in [c.code for c in outpatient.codes]
    assert {"R05.9", "R50.9"} <= {c.code for c in outpatient.codes}
    assert "J18.9" in [c.code for c in inpatient.codes]
    assert "R05.9" not in [c.code for c in inpatient.codes]  # integral to pneumonia (I.B.5)


def test_a_chart_with_nothing_codable_has_no_codes_and_goes_to_review(coding_settings: Settings) -> None:
    result = code_chart(
        Chart(text="Patient seen. Denies chest pain. Follow up in 1 year."),
        RunContext(audit=False, settings=coding_settings),
    )
    assert result.codes == []
    assert result.review.required and "no_codes" in result.review.reasons


def test_interactive_review_pauses_and_resumes(coding_settings: Settings) -> None:
    graph = build_graph(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t1"}}
    context = RunContext(engine="offline", interactive=True, settings=coding_settings)
    chart = Chart(text="Assessment:\n1. CHF.\n2. CKD.\n", setting="inpatient")  # gaps: HF type, CKD stage
    paused = graph.invoke({"chart": chart}, config=config, context=context)
    assert "__interrupt__" in paused
    payload = paused["__interrupt__"][0].value
    assert payload["review"]["required"] and payload["documentation_gaps"]
    keep = [c["code"] for c in payload["codes"]][:1]
    done = graph.invoke(
        Command(resume={"decision": "edit", "codes": keep, "reviewer": "pat"}), config=config, context=context
    )
    result = done["result"]
    assert [c.code for c in result.codes] == keep
    record = get_services(coding_settings).store().get(result.meta.audit_id)
    assert record.decisions[0].decision == "edit" and record.decisions[0].reviewer == "pat"
    assert record.status == "edited" and record.final_codes == keep


def _llm_settings(coding_settings: Settings, server: FakeOpenAIServer) -> Settings:
    return coding_settings.model_copy(
        update={
            "llm_base_url": server.base_url,
            "llm_model": "fake-model",
            "llm_timeout": 2.0,
            "llm_max_retries": 1,
        }
    )


def test_llm_path_grounds_quotes_and_drops_invented_evidence(
    coding_settings: Settings, openai_server: FakeOpenAIServer
) -> None:
    settings = _llm_settings(coding_settings, openai_server)
    openai_server.enqueue(
        {
            "codes": [
                {
                    "code": "I10",
                    "evidence": ["essential  hypertension"],
                    "rationale": "stated",
                    "principal": True,
                },
                {"code": "E78.5", "evidence": ["Hyperlipidemia"], "guideline_refs": ["I.B.1"]},
                {"code": "I48.91", "evidence": ["atrial fibrillation"]},  # not in the chart
                {"code": "R07.9", "evidence": ["chest pain"]},  # only negated in the chart
                {"code": "E11.99", "evidence": ["type 2 diabetes"]},  # not a code
            ]
        }
    )
    result = code_chart(_chart(), RunContext(engine="llm", audit=False, settings=settings))
    codes = {c.code: c for c in result.codes}
    assert result.meta.engine == "llm" and result.meta.model == "fake-model"
    assert result.meta.prompt_version
    assert "I48.91" not in codes and "R07.9" not in codes and "E11.99" not in codes
    assert codes["I10"].evidence[0].text == "Essential hypertension"
    assert "E78.5" in codes


def test_llm_failure_falls_back_to_the_offline_engine(
    coding_settings: Settings, openai_server: FakeOpenAIServer
) -> None:
    settings = _llm_settings(coding_settings, openai_server)
    openai_server.enqueue(Reply.error(503), Reply.error(503), Reply.error(503))
    result = code_chart(_chart(), RunContext(engine="auto", audit=False, settings=settings))
    dumped = result.model_dump(mode="json")
    _valid(dumped)
    assert dumped["meta"]["engine"] == "offline"
    assert dumped["meta"]["fallback"]
    assert "engine_fallback" in result.review.reasons
    assert "E11.22" in [c.code for c in result.codes]


@pytest.mark.parametrize("setting", ["outpatient", "inpatient", "emergency"])
def test_every_gold_example_gives_a_valid_result(coding_settings: Settings, setting: str) -> None:
    for line in (DATA / "examples" / "gold-example.jsonl").read_text().splitlines():
        row = json.loads(line)
        row["setting"] = setting
        chart = Chart.model_validate({k: v for k, v in row.items() if k != "gold"})
        result = code_chart(chart, RunContext(audit=False, settings=coding_settings))
        _valid(result.model_dump(mode="json"))
        assert result.chart_id == row["id"]
        for code in result.codes:
            assert all(chart.text[e.start : e.end] == e.text for e in code.evidence)
