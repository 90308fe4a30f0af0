"""The promotion gate: comparing a candidate report with a base report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.gate import DEFAULT_GATE, compare, format_comparison, load_gate, load_report
from knowledge.errors import InputError


def report(**overrides: Any) -> dict[str, Any]:
    """A report.json-shaped dict with plausible values; keyword arguments replace metrics."""
    base: dict[str, Any] = {
        "micro_precision": 0.9, "micro_recall": 0.8, "micro_f1": 0.847, "category_f1": 0.9,
        "per_specialty": {"cardiology": {"precision": 0.9, "recall": 0.8, "f1": 0.847, "charts": 4}},
        "macro_f1_by_specialty": 0.847, "evidence_overlap_rate": 0.95, "evidence_spans_not_verbatim": 0,
        "schema_errors": 0, "escalation_precision": 0.7, "escalation_recall": 0.6, "principal_accuracy": 0.75,
        "perfect_chart_rate": 0.5, "automation_rate": 0.4, "auto_accepted_perfect_rate": 0.9,
        "rule_errors_left": 1, "latency_ms": {"p50": 40.0, "p95": 90.0}, "tokens": None, "charts": 4,
        "ragas": {"evidence_similarity": 1.0}, "skipped": ["something"],
    }
    return {**base, **overrides}


def test_a_report_compared_with_itself_passes() -> None:
    rows, failures = compare(report(), report(), DEFAULT_GATE)
    assert failures == []
    assert all(delta in (0, 0.0, None) for _, _, _, delta in rows)
    assert "PASS" in format_comparison(rows, failures)


def test_rows_cover_numeric_metrics_only() -> None:
    rows, _ = compare(report(), report(micro_f1=0.8), DEFAULT_GATE)
    metrics = [m for m, *_ in rows]
    assert "micro_f1" in metrics and "charts" in metrics and "escalation_recall" in metrics
    assert not {"per_specialty", "latency_ms", "tokens", "ragas", "skipped"} & set(metrics)
    micro = next(r for r in rows if r[0] == "micro_f1")
    assert micro[1:3] == (0.847, 0.8)
    assert micro[3] == pytest.approx(-0.047)


def test_micro_f1_falling_by_a_tenth_fails() -> None:
    rows, failures = compare(report(), report(micro_f1=0.747), DEFAULT_GATE)
    assert len(failures) == 1
    assert failures[0].startswith("micro_f1 fell by 0.1000")
    text = format_comparison(rows, failures)
    assert "FAIL: micro_f1" in text and "PASS" not in text


def test_a_drop_within_the_allowance_passes() -> None:
    _, failures = compare(report(micro_f1=0.85), report(micro_f1=0.84), DEFAULT_GATE)
    assert failures == []


def test_rule_errors_left_rising_fails() -> None:
    _, failures = compare(report(rule_errors_left=1), report(rule_errors_left=2), DEFAULT_GATE)
    assert failures == ["rule_errors_left rose by 1 (1 -> 2); the gate allows at most 0"]
    _, failures = compare(report(rule_errors_left=3), report(rule_errors_left=2), DEFAULT_GATE)
    assert failures == []


def test_schema_errors_above_zero_fail() -> None:
    _, failures = compare(report(), report(schema_errors=2), DEFAULT_GATE)
    assert failures == ["schema_errors is 2 in the candidate; the gate allows at most 0"]


def test_null_metric_is_not_a_max_drop_failure() -> None:
    _, failures = compare(report(auto_accepted_perfect_rate=0.9), report(auto_accepted_perfect_rate=None))
    assert failures == []
    _, failures = compare(report(auto_accepted_perfect_rate=None), report(auto_accepted_perfect_rate=0.1))
    assert failures == []


def test_gate_metric_missing_from_a_report_fails() -> None:
    cand = report()
    del cand["micro_f1"]
    _, failures = compare(report(), cand, DEFAULT_GATE)
    assert any("micro_f1" in f and "missing from the candidate report" in f for f in failures)


def test_custom_gate_file(tmp_path: Path) -> None:
    path = tmp_path / "gate.json"
    path.write_text(json.dumps({"micro_f1": {"max_drop": 0.2}, "principal_accuracy": {"min_value": 0.8}}))
    gate = load_gate(path)
    _, failures = compare(report(), report(micro_f1=0.747, schema_errors=5), gate)
    assert failures == ["principal_accuracy is 0.75 in the candidate; the gate requires at least 0.8"]


@pytest.mark.parametrize("content", [
    "{not json",
    "[]",
    "{}",
    '{"micro_f1": 0.01}',
    '{"micro_f1": {}}',
    '{"micro_f1": {"max_fall": 0.01}}',
    '{"micro_f1": {"max_drop": "0.01"}}',
    '{"micro_f1": {"max_drop": true}}',
])
def test_malformed_gate_file_is_an_input_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "gate.json"
    path.write_text(content)
    with pytest.raises(InputError, match="gate"):
        load_gate(path)


def test_missing_gate_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read gate file"):
        load_gate(tmp_path / "nope.json")


def test_load_report(tmp_path: Path) -> None:
    good = tmp_path / "report.json"
    good.write_text(json.dumps(report()))
    assert load_report(good)["micro_f1"] == 0.847
    bad = tmp_path / "bad.json"
    bad.write_text('{"micro_f1": ')
    with pytest.raises(InputError, match="not valid JSON"):
        load_report(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(InputError, match="expected a JSON object"):
        load_report(bad)
    with pytest.raises(InputError, match="cannot read report"):
        load_report(tmp_path / "missing.json")


def test_compare_on_scored_reports(tmp_path: Path) -> None:
    """End to end through score() and write_report(): the files a team would actually compare."""
    from evals.report import write_report
    from evals.scoring import score
    from tests.unit.test_eval_scoring import gold_chart, result

    gold = [gold_chart("c1", ["I10", "E78.5"]), gold_chart("c2", ["E11.9"])]
    good = score(gold, [result("c1", ["I10", "E78.5"]), result("c2", ["E11.9"])], with_ragas=False)
    worse = score(gold, [result("c1", ["I10"]), result("c2", ["E11.9"])], with_ragas=False)
    base = load_report(write_report(good, tmp_path / "base")[0])
    cand = load_report(write_report(worse, tmp_path / "cand")[0])
    assert compare(base, base, DEFAULT_GATE)[1] == []
    failures = compare(base, cand, DEFAULT_GATE)[1]
    assert [f.split(" ")[0] for f in failures] == ["micro_f1", "auto_accepted_perfect_rate"]
