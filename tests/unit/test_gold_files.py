"""Every gold chart in evals/gold/ is valid: schema, billable FY2026 codes, verbatim evidence, one
principal, no Excludes1 pair, no external cause codes, and the mix of settings and specialties."""

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from knowledge.codeset import get_codeset
from knowledge.rules import make_context
from knowledge.rules.excludes import excludes1_conflicts

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests" / "data" / "gold.schema.json").read_text())
GOLD = [
    (path.name, n, json.loads(line))
    for path in sorted((ROOT / "evals" / "gold").glob("*.jsonl"))
    for n, line in enumerate(path.read_text().splitlines(), 1)
    if line.strip()
]


def test_gold_set_size_and_mix() -> None:
    charts = [g for _, _, g in GOLD]
    assert len(charts) >= 60
    assert len({g["id"] for g in charts}) == len(charts)
    assert len({g["specialty"] for g in charts}) >= 14
    settings = Counter(g["setting"] for g in charts)
    assert 0.3 <= settings["outpatient"] / len(charts) <= 0.5
    assert 0.25 <= settings["inpatient"] / len(charts) <= 0.45
    assert 0.15 <= settings["emergency"] / len(charts) <= 0.35
    assert 0.15 <= sum(g["gold"]["should_escalate"] for g in charts) / len(charts) <= 0.45


@pytest.mark.parametrize(("name", "line", "chart"), GOLD, ids=[f"{n}:{i}" for n, i, _ in GOLD])
def test_gold_chart(name: str, line: int, chart: dict) -> None:
    jsonschema.validate(chart, SCHEMA)
    cs = get_codeset()
    codes = [c["code"] for c in chart["gold"]["codes"]]
    assert 3 <= len(codes) <= 10 and len(set(codes)) == len(codes)
    assert sum(bool(c.get("principal")) for c in chart["gold"]["codes"]) == 1
    for entry in chart["gold"]["codes"]:
        assert cs.is_billable(entry["code"]), entry["code"]
        assert entry["code"][0] not in "VWXY", "external cause codes are not in gold"
        for quote in entry["evidence"]:
            assert quote in chart["text"], (entry["code"], quote)
    assert excludes1_conflicts(make_context(codes)) == []


@pytest.mark.parametrize(("name", "line", "chart"), GOLD, ids=[f"{n}:{i}" for n, i, _ in GOLD])
def test_gold_code_sets_raise_no_rule_error(name: str, line: int, chart: dict) -> None:
    """An expert's code set is clean: the rule tool must not raise a false alarm on it."""
    from knowledge.rules import check_codes

    entries = sorted(chart["gold"]["codes"], key=lambda c: not c.get("principal"))
    findings = check_codes([c["code"] for c in entries], age=chart["patient"]["age"],
                           sex=chart["patient"]["sex"], setting=chart["setting"], chart_text=chart["text"])
    assert [f.message for f in findings if f.severity == "error"] == []
