"""Table-driven rule-tool cases (tests/data/rule_cases.jsonl), written by a coder independently of the
implementation: dirty sets must produce the expected rule ids (error or warning), clean sets no error."""

import json
from pathlib import Path

import pytest

from knowledge.rules import check_codes

CASES = [
    json.loads(line)
    for line in (Path(__file__).parents[1] / "data" / "rule_cases.jsonl").read_text().splitlines()
    if line.strip()
]


def run(case: dict) -> list:
    return check_codes(
        case["codes"],
        age=case["age"],
        sex=case["sex"],
        setting=case["setting"],
        chart_text=case.get("chart_text"),
        assertions=case.get("assertions") or None,
    )


def test_the_table_is_big_and_balanced() -> None:
    assert len(CASES) >= 80
    assert sum(c["clean"] for c in CASES) >= 35


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_rule_case(case: dict) -> None:
    findings = run(case)
    if case["clean"]:
        errors = [f"{f.rule}: {f.message}" for f in findings if f.severity == "error"]
        assert not errors, f"{case['why']} -> {errors}"
    else:
        found = {f.rule for f in findings if f.severity in ("error", "warning")}
        missing = set(case["expect"]) - found
        assert not missing, (
            f"{case['why']} -> missing {missing}, found {[f.rule + ': ' + f.message for f in findings]}"
        )
