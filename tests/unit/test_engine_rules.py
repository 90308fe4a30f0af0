"""The offline engine's deterministic parts: supplements, repairs, diabetes type, policy, gaps, HCC."""

from __future__ import annotations

from agents.documentation_gaps import find_gaps
from agents.engine import supplements
from agents.engine.diabetes import with_control_status, with_documented_type
from agents.engine.offline import family_code
from agents.engine.repairs import repair
from agents.hcc import hcc_for
from agents.policy import decide, load_policy
from agents.sections import split_sections
from agents.state import Proposal, Quote
from knowledge.rules import check_codes
from knowledge.schema import CodeSuggestion, Evidence, Finding


def codes_of(facts: list[supplements.Fact]) -> list[str]:
    return [f.code for f in facts]


def test_long_term_drugs_need_a_matching_diagnosis_and_ongoing_use() -> None:
    text = "Meds: metformin 500 mg BID, apixaban 5 mg BID, insulin glargine 20 u qHS.\nAllergies: aspirin."
    sections = split_sections(text)
    assert sorted(codes_of(supplements.medications(text, sections, {"E11.9"}))) == [
        "Z79.01",
        "Z79.4",
        "Z79.84",
    ]
    assert codes_of(supplements.medications(text, sections, set())) == ["Z79.01"]  # no diabetes: no Z79.4/84
    assert "Z79.4" not in codes_of(supplements.medications(text, sections, {"E10.9"}))  # not with type 1
    stopped = "Plan: stopped metformin. Start apixaban today."
    assert supplements.medications(stopped, split_sections(stopped), {"E11.9"}) == []


def test_short_courses_are_not_long_term() -> None:
    text = "Plan: prednisone 40 mg x 5 days; azithromycin.\nMeds: prednisone 5 mg daily long-term."
    found = supplements.medications(text, split_sections(text), set())
    assert codes_of(found) == ["Z79.52"]
    assert text[found[0].start : found[0].end] == "prednisone"
    assert found[0].start > text.index("Meds")


def test_tobacco_current_former_never() -> None:
    assert codes_of(supplements.tobacco("SH: smokes 1 ppd.", [])) == ["F17.210"]
    assert codes_of(supplements.tobacco("SH: former smoker - quit 2009.", [])) == ["Z87.891"]
    assert codes_of(supplements.tobacco("SH: vapes daily.", [])) == ["F17.290"]
    assert supplements.tobacco("SH: never smoker.", []) == []


def test_bmi_only_with_a_weight_diagnosis_and_never_in_pregnancy() -> None:
    text = "Exam: BMI 33.6."
    assert codes_of(supplements.bmi(text, {"E66.811"}, 50)) == ["Z68.33"]
    assert supplements.bmi(text, {"I10"}, 50) == []
    assert supplements.bmi(text, {"E66.9", "O99.212"}, 30) == []
    assert codes_of(supplements.bmi("BMI 44.2", {"E66.01"}, 50)) == ["Z68.41"]
    assert codes_of(supplements.bmi("BMI 97th percentile", {"E66.9"}, 12)) == ["Z68.54"]


def test_weeks_of_gestation_need_a_pregnancy_code() -> None:
    assert codes_of(supplements.gestation("G2P1 at 28w2d.", {"O24.410"})) == ["Z3A.28"]
    assert codes_of(supplements.gestation("IUP 7 weeks gestation", {"O20.0"})) == ["Z3A.01"]
    assert supplements.gestation("28w2d", {"I10"}) == []


def test_allergy_status_and_immunization() -> None:
    text = "Allergies: penicillin (hives), sulfa.\nMeds: none."
    assert sorted(codes_of(supplements.allergies(text, split_sections(text)))) == ["Z88.0", "Z88.2"]
    assert supplements.allergies("Allergies: NKDA.", split_sections("Allergies: NKDA.")) == []
    assert codes_of(supplements.immunizations("Tdap given today.")) == ["Z23"]
    assert supplements.immunizations("Tdap declined today.") == []


def test_diabetes_type_follows_the_chart() -> None:
    assert with_documented_type("E08.42", "diabetic polyneuropathy", "DM2 for years") == "E11.42"
    assert with_documented_type("E11.9", "diabetes", "type 1 diabetes since age 9") == "E10.9"
    assert with_documented_type("E11.9", "diabetes", "no type written") == "E11.9"
    assert with_documented_type("E09.9", "steroid-induced diabetes", "type 2") == "E09.9"
    assert with_control_status("E11.9", "DM2, poorly controlled") == "E11.65"
    assert with_control_status("E11.22", "DM2 with CKD, uncontrolled") == "E11.22"


def test_family_history_follows_the_condition() -> None:
    assert family_code("C18.9") == "Z80.0"
    assert family_code("I21.9") == "Z82.49"
    assert family_code("E11.9") == "Z83.3"
    assert family_code("J45.909") == "Z82.5"
    assert family_code("Z83.3") == "Z83.3"
    assert family_code("J18.9") is None  # a relative's pneumonia is not family history


def _proposal(code: str, rank: int, principal: bool = False, match: float = 0.8) -> Proposal:
    return Proposal(code=code, quotes=[Quote(text=code)], rank=rank, principal=principal, match=match)


def _repaired(codes: list[str], setting: str = "outpatient") -> list[str]:
    proposals = [_proposal(c, i, i == 0) for i, c in enumerate(codes)]
    findings = check_codes(codes, setting=setting)
    repaired, _ = repair(proposals, findings, setting)
    return [p.code for p in repaired]


def test_combination_repairs() -> None:
    assert _repaired(["I10", "N18.31"]) == ["I12.9", "N18.31"]
    assert _repaired(["E11.9", "E11.22", "N18.31"]) == ["E11.22", "N18.31"]
    assert _repaired(["I50.21", "I50.22"]) == ["I50.23"]
    assert set(_repaired(["I13.10", "I50.23", "N18.32"])) == {"I13.0", "I50.23", "N18.32"}


def test_repairs_drop_integral_symptoms_duplicates_and_the_weaker_excludes1_code() -> None:
    proposals = [_proposal("J18.9", 0, True), _proposal("R05.9", 1)]
    findings = [Finding(rule="symptom_integral", severity="warning", message="", codes=["R05.9", "J18.9"])]
    assert [p.code for p in repair(proposals, findings, "outpatient")[0]] == ["J18.9"]
    strong, weak = _proposal("E11.9", 0, True, 0.9), _proposal("E10.9", 1, match=0.5)
    findings = [Finding(rule="excludes1", severity="error", message="", codes=["E11.9", "E10.9"])]
    assert [p.code for p in repair([strong, weak], findings, "outpatient")[0]] == ["E11.9"]


def _suggestion(code: str, confidence: float = 0.9) -> CodeSuggestion:
    return CodeSuggestion(
        code=code, description=code, evidence=[Evidence(start=0, end=1, text="x")], confidence=confidence
    )


def test_policy_routes_with_reasons_and_priority() -> None:
    policy = load_policy()
    clean = decide(
        policy,
        codes=[_suggestion("I10")],
        findings=[],
        gaps=[],
        conflicts=[],
        setting="outpatient",
        specialty="cardiology",
        text="HTN",
    )
    assert not clean.required and clean.priority <= 20
    error = Finding(rule="excludes1", severity="error", message="", codes=["E11.9"])
    routed = decide(
        policy,
        codes=[_suggestion("I10", 0.2)],
        findings=[error],
        gaps=[],
        conflicts=["diabetes_type"],
        setting="inpatient",
        specialty=None,
        text="HTN",
    )
    assert routed.required
    assert {"rule_error:excludes1", "low_confidence:I10", "conflicting_documentation"} <= set(routed.reasons)
    assert routed.priority > clean.priority
    assert (
        "specialty_policy:pathology"
        in decide(
            policy,
            codes=[_suggestion("I10")],
            findings=[],
            gaps=[],
            conflicts=[],
            setting="outpatient",
            specialty="pathology",
            text="",
        ).reasons
    )


def test_documentation_gaps_ask_non_leading_questions() -> None:
    gaps = find_gaps([_suggestion("I50.9"), _suggestion("N18.9")], "CHF, CKD")
    topics = {g.topic for g in gaps}
    assert topics == {"heart failure type and acuity", "CKD stage"}
    assert all("undetermined" in g.query for g in gaps)
    assert find_gaps([_suggestion("I50.23")], "acute on chronic systolic HF") == []


def test_hcc_v28() -> None:
    assert hcc_for("E11.22") == "HCC37"
    assert hcc_for("I10") is None


def test_pregnancy_codes_take_the_documented_trimester() -> None:
    from agents.engine.offline import _with_trimester

    smoking = _proposal("O99.330", 0, True)
    weeks = _proposal("Z3A.08", 1)
    assert [p.code for p in _with_trimester([smoking, weeks], "IUP at 8w2d")] == ["O99.331", "Z3A.08"]
    words = _with_trimester([_proposal("O26.90", 0, True)], "Headache in the third trimester")
    assert words[0].code == "O26.93"
    assert _with_trimester([_proposal("O99.330", 0, True)], "no weeks written")[0].code == "O99.330"
