"""The chat tools on really coded sample charts (built indexes, offline engine, SQLite audit store).

The data directory is private to this module (its own audit database, so decisions and records are
only ours) and reaches the shared, already built indexes through a symlink `index` -> the shared
index directory: nothing is rebuilt and the shared audit database is left alone.
"""

from __future__ import annotations

import os

import pytest

from agents.chat.tools import (
    ThreadView,
    check_codes,
    code_chart,
    explain_code,
    lookup_codes,
    record_decision,
    run_tool,
)
from agents.services import get_services
from knowledge.schema import Chart
from knowledge.settings import Settings

pytestmark = pytest.mark.integration

CKD = Chart(
    id="chat-ckd",
    text=(
        "ASSESSMENT AND PLAN\n67 y/o F with type 2 diabetes mellitus with diabetic chronic kidney disease, "
        "CKD stage 3b. eGFR 38. Essential hypertension, controlled on lisinopril. No chest pain.\n"
    ),
    setting="outpatient",
    patient={"age": 67, "sex": "F"},
)
FOLLOW_UP = Chart(  # the spec's example ex-001: I10, E78.5, K21.9, Z82.49
    id="chat-ex-001",
    text=(
        "FOLLOW-UP VISIT\nS: 58 y/o F for BP and lipid follow-up. Occasional heartburn after large meals, "
        "relieved by omeprazole. Denies chest pain or dyspnea. Father had an MI at 54.\n"
        "Meds: lisinopril 10 mg daily, atorvastatin 20 mg, omeprazole 20 mg.\nO: BP 128/78, BMI 27.\nA/P:\n"
        "1. Essential hypertension - controlled, continue lisinopril.\n"
        "2. Hyperlipidemia - continue atorvastatin, lipid panel in 6 months.\n"
        "3. GERD without esophagitis - continue PPI.\n"
        "4. Family history of premature coronary disease - discussed risk.\n"
    ),
    setting="outpatient",
    specialty="family_medicine",
    patient={"age": 58, "sex": "F"},
)


@pytest.fixture(scope="module")
def settings(built_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    path = tmp_path_factory.mktemp("chat-tools")
    os.symlink(built_settings.index_dir, path / "index")
    return Settings(data_dir=path)


@pytest.fixture(scope="module")
def ckd(settings: Settings) -> ThreadView:
    """The CKD chart, coded once for the read-only tests of this module."""
    view = ThreadView(settings=settings, chart=CKD)
    out = code_chart(view)
    assert out.ok and out.result is not None and view.result is out.result
    return view


def fresh(settings: Settings, chart: Chart = FOLLOW_UP, reviewer: str = "dana") -> ThreadView:
    return ThreadView(settings=settings, chart=chart, reviewer=reviewer)


def test_code_chart_lists_codes_with_evidence_and_audit(ckd: ThreadView, settings: Settings) -> None:
    out = code_chart(ckd)  # already coded: shown again, not recoded
    assert out.result is None and out.summary.startswith("current codes:")
    codes = {c["code"]: c for c in out.data["codes"]}
    assert {"E11.22", "N18.32"} <= set(codes)
    for code in codes.values():
        for span in code["evidence"]:
            assert CKD.text[span["start"] : span["end"]] == span["text"]
    assert f"**E11.22** {codes['E11.22']['description']}" in out.text
    audit_id = out.data["audit_id"]
    assert audit_id and audit_id in out.text
    assert get_services(settings).store().get(audit_id).chart["id"] == "chat-ckd"


def test_recode_writes_a_new_audit_record(settings: Settings) -> None:
    view = fresh(settings, CKD)
    first = code_chart(view).data["audit_id"]
    again = code_chart(view, recode=True)
    assert again.result is not None and again.data["audit_id"] != first


def test_why_e11_22_and_not_e11_9(ckd: ThreadView) -> None:
    out = explain_code(ckd, "e11.22", versus="E11.9")
    assert out.ok and out.data["proposed"] is True
    assert "Type 2 diabetes mellitus with diabetic chronic kidney disease" in out.text
    assert "Type 2 diabetes mellitus without complications" in out.text
    assert any(e["text"] == "CKD stage 3b" for e in out.data["evidence"])
    assert "The chart supports E11.22 with" in out.text and '"CKD stage 3b"' in out.text
    assert out.data["guidelines"] and all(g["rule"] for g in out.data["guidelines"])
    assert out.data["versus"]["code"] == "E11.9"


def test_explain_a_code_that_was_not_proposed(ckd: ThreadView) -> None:
    out = explain_code(ckd, "E11.65")
    assert out.ok and out.data["proposed"] is False
    assert "is not among the proposed codes" in out.text
    assert "E11.22" in out.data["related_proposed"]  # what was proposed in its category instead


def test_lookup(settings: Settings) -> None:
    out = lookup_codes(ThreadView(settings=settings), "left hip fracture, initial encounter")
    codes = [r["code"] for r in out.data["results"]]
    assert len(codes) == 5 and any(c.startswith("S72.") and c.endswith("A") for c in codes)
    assert f"1. **{codes[0]}**" in out.text


def test_check_defaults_to_the_threads_codes(ckd: ThreadView) -> None:
    out = check_codes(ckd)
    assert out.data["codes"] == [c.code for c in ckd.result.codes]
    explicit = check_codes(ckd, ["E11.9", "E11.22"])
    assert any(f["rule"] == "combination_code" for f in explicit.data["findings"])


def test_accept_records_a_decision_coding_first(settings: Settings) -> None:
    view = fresh(settings)
    out = record_decision(view, "accept", note="looks right")
    assert out.ok and out.result is not None  # coded on the way
    record = get_services(settings).store().get(out.data["audit_id"])
    assert [(d.decision, d.codes, d.reviewer, d.note) for d in record.decisions] == [
        ("accept", None, "dana", "looks right")
    ]
    assert record.status == "accepted"
    assert record.final_codes == [c.code for c in out.result.codes]


def test_accept_all_but_then_reject_one_more_edit_cumulatively(settings: Settings) -> None:
    view = fresh(settings)
    code_chart(view)
    proposed = [c.code for c in view.result.codes]
    assert {"I10", "E78.5"} <= set(proposed), proposed

    first = run_tool("record_decision", {"decision": "edit", "remove": ["I10"]}, view)
    second = run_tool("record_decision", {"decision": "edit", "remove": ["E78.5"]}, view)
    assert first.ok and second.ok, (first.text, second.text)
    record = get_services(settings).store().get(view.audit_id)
    assert [d.codes for d in record.decisions] == [
        [c for c in proposed if c != "I10"],
        [c for c in proposed if c not in ("I10", "E78.5")],
    ]
    assert record.status == "edited" and record.final_codes == record.decisions[-1].codes
    assert "removed E78.5" in second.text

    missing = run_tool("record_decision", {"decision": "edit", "remove": ["I10"]}, view)
    assert not missing.ok and "I10 is not in the code set" in missing.text
    exact = run_tool("record_decision", {"decision": "accept", "codes": ["I10", "K21.9"]}, view)
    assert exact.ok and exact.data["final_codes"] == ["I10", "K21.9"]
    rejected = run_tool("record_decision", {"decision": "reject"}, view)
    assert rejected.ok and rejected.data["status"] == "rejected"
    assert len(get_services(settings).store().get(view.audit_id).decisions) == 4


def test_decisions_that_make_no_sense_are_refused(settings: Settings) -> None:
    view = fresh(settings)
    code_chart(view)
    everything = [c.code for c in view.result.codes]
    for arguments, expected in [
        ({"decision": "edit", "remove": everything}, "leaves no codes"),
        ({"decision": "edit"}, "an edit needs the final codes"),
        ({"decision": "edit", "add": ["E11.99.9"]}, "not shaped like"),
        ({"decision": "edit", "add": ["E11"]}, "E11 is a heading, not a billable code"),
        ({"decision": "edit", "add": ["E11.99"]}, "E11.99 is not a valid ICD-10-CM code"),
        ({"decision": "maybe"}, "Input should be 'accept', 'reject' or 'edit'"),
    ]:
        out = run_tool("record_decision", arguments, view)
        assert not out.ok and expected in out.text, (arguments, out.text)
    assert get_services(settings).store().get(view.audit_id).decisions == []
