"""The evaluation scorer on small hand-built cases where the right number is obvious."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.calibrate import calibrate, threshold_for, write_policy
from evals.report import reliability_bins, summary_table, tradeoff_curve, write_report
from evals.scoring import (
    POINTS_KEY,
    REPORT_KEYS,
    load_gold,
    load_results,
    quote_occurrences,
    schema,
    score,
    score_files,
)
from knowledge.errors import InputError

ROOT = Path(__file__).resolve().parents[2]

TEXT = "A/P: Essential hypertension. Hyperlipidemia. GERD. Essential hypertension, controlled."


# ---------------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------------


def gold_chart(chart_id: str, codes: list[Any], *, specialty: str = "cardiology", escalate: bool = False,
               text: str = TEXT) -> dict[str, Any]:
    """A gold chart. `codes` items: "I10", or (code, [quotes]) or (code, [quotes], principal)."""
    items = []
    for index, entry in enumerate(codes):
        if isinstance(entry, str):
            entry = (entry, ["Essential hypertension"])
        code, quotes, *rest = entry
        items.append({"code": code, "evidence": quotes, "principal": rest[0] if rest else index == 0})
    return {
        "id": chart_id, "setting": "outpatient", "specialty": specialty,
        "patient": {"age": 60, "sex": "F"}, "text": text,
        "gold": {"codes": items, "should_escalate": escalate},
    }


def span(quote: str, text: str = TEXT, occurrence: int = 0) -> dict[str, Any]:
    """An evidence span over the `occurrence`-th place `quote` appears in `text`."""
    start = quote_occurrences(text, quote)[occurrence][0]
    return {"start": start, "end": start + len(quote), "text": quote}


def code(value: str, *, evidence: list[dict[str, Any]] | None = None, confidence: float = 0.9,
         principal: bool | None = None, **extra: Any) -> dict[str, Any]:
    item = {
        "code": value, "system": "ICD-10-CM", "description": f"description of {value}",
        "evidence": evidence if evidence is not None else [span("Essential hypertension")],
        "confidence": confidence, **extra,
    }
    if principal is not None:
        item["principal"] = principal
    return item


def result(chart_id: str | None, codes: list[Any], *, required: bool = False,
           findings: list[dict[str, Any]] | None = None, latency: float | None = None,
           tokens: dict[str, Any] | None = None) -> dict[str, Any]:
    """A CodingResult. `codes` items: a code string or a dict from code()."""
    meta: dict[str, Any] = {"engine": "offline", "knowledge_version": "ICD-10-CM 2026-04-01"}
    if latency is not None:
        meta["latency_ms"] = latency
    if tokens is not None:
        meta["tokens"] = tokens
    return {
        "chart_id": chart_id,
        "codes": [code(c) if isinstance(c, str) else c for c in codes],
        "findings": findings or [],
        "review": {"required": required, "reasons": []},
        "meta": meta,
    }


def finding(severity: str) -> dict[str, Any]:
    return {"rule": "excludes1", "severity": severity, "message": "m", "codes": ["I10"]}


def run(gold: list[dict[str, Any]], results: list[dict[str, Any]]) -> dict[str, Any]:
    return score(gold, results, with_ragas=False)


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


# ---------------------------------------------------------------------------------------------
# Code metrics
# ---------------------------------------------------------------------------------------------


def test_micro_precision_recall_f1() -> None:
    gold = [gold_chart("c1", ["I10", "E78.5"]), gold_chart("c2", ["E11.9"])]
    results = [result("c1", ["I10", "K21.9"]), result("c2", ["E11.9", "Z79.84"])]
    report = run(gold, results)  # TP 2, FP 2, FN 1
    assert report["micro_precision"] == pytest.approx(0.5)
    assert report["micro_recall"] == pytest.approx(2 / 3)
    assert report["micro_f1"] == pytest.approx(4 / 7)
    assert report["charts"] == 2


def test_codes_are_sets_per_chart() -> None:
    report = run([gold_chart("c1", ["I10"])], [result("c1", ["I10", "I10"])])
    assert report["micro_precision"] == 1.0
    assert report["perfect_chart_rate"] == 1.0


def test_no_codes_anywhere_gives_zero_not_an_error() -> None:
    report = run([gold_chart("c1", [])], [result("c1", [])])
    assert (report["micro_precision"], report["micro_recall"], report["micro_f1"]) == (0.0, 0.0, 0.0)
    assert report["perfect_chart_rate"] == 1.0


def test_category_f1_uses_three_character_categories() -> None:
    report = run([gold_chart("c1", ["E11.9", "I10"])], [result("c1", ["E11.65", "I11.9"])])
    assert report["micro_f1"] == 0.0
    assert report["category_f1"] == pytest.approx(0.5)  # E11 right, I11 vs I10 wrong


def test_per_specialty_and_macro_f1() -> None:
    gold = [
        gold_chart("c1", ["I10", "E78.5"], specialty="cardiology"),
        gold_chart("c2", ["I10"], specialty="cardiology"),
        gold_chart("e1", ["E11.9"], specialty="endocrinology"),
    ]
    results = [result("c1", ["I10"]), result("c2", ["I10"]), result("e1", ["E10.9"])]
    report = run(gold, results)
    cardiology = report["per_specialty"]["cardiology"]
    assert cardiology["charts"] == 2
    assert cardiology["precision"] == 1.0
    assert cardiology["recall"] == pytest.approx(2 / 3)
    assert cardiology["f1"] == pytest.approx(0.8)
    endocrinology = report["per_specialty"]["endocrinology"]
    assert endocrinology == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "charts": 1}
    assert report["macro_f1_by_specialty"] == pytest.approx(0.4)


# ---------------------------------------------------------------------------------------------
# Evidence
# ---------------------------------------------------------------------------------------------


def test_quote_occurrences_finds_every_occurrence() -> None:
    assert [s for s, _ in quote_occurrences(TEXT, "Essential hypertension")] == [5, 51]
    assert quote_occurrences("aaa", "aa") == [(0, 2), (1, 3)]
    assert quote_occurrences(TEXT, "") == []


def test_evidence_overlap_counts_any_occurrence_of_a_gold_quote() -> None:
    gold = [gold_chart("c1", [("I10", ["Essential hypertension"]), ("E78.5", ["Hyperlipidemia"])])]
    results = [result("c1", [
        code("I10", evidence=[span("Essential hypertension, controlled")]),  # overlaps the 2nd occurrence
        code("E78.5", evidence=[span("GERD")]),  # real text, wrong place
        code("K21.9", evidence=[span("GERD")]),  # not in gold: not counted
    ])]
    report = run(gold, results)
    assert report["evidence_overlap_rate"] == pytest.approx(0.5)
    assert report["evidence_spans_not_verbatim"] == 0


def test_evidence_overlap_is_null_without_true_positives() -> None:
    report = run([gold_chart("c1", ["I10"])], [result("c1", ["E11.9"])])
    assert report["evidence_overlap_rate"] is None


def test_non_verbatim_and_out_of_range_spans_are_counted() -> None:
    wrong_text = {"start": 5, "end": 27, "text": "essential hypertension"}  # case differs
    out_of_range = {"start": 80, "end": 900, "text": "x"}
    results = [result("c1", [code("I10", evidence=[wrong_text, out_of_range])])]
    report = run([gold_chart("c1", ["I10"])], results)
    assert report["evidence_spans_not_verbatim"] == 2
    assert report["evidence_overlap_rate"] == 1.0  # offsets still overlap the gold quote


# ---------------------------------------------------------------------------------------------
# Escalation, principal, routing, rules, cost
# ---------------------------------------------------------------------------------------------


def test_escalation_precision_and_recall() -> None:
    gold = [gold_chart("c1", ["I10"], escalate=True), gold_chart("c2", ["I10"]),
            gold_chart("c3", ["I10"], escalate=True)]
    results = [result("c1", ["I10"], required=True), result("c2", ["I10"], required=True),
               result("c3", ["I10"], required=False)]
    report = run(gold, results)
    assert report["escalation_precision"] == pytest.approx(0.5)
    assert report["escalation_recall"] == pytest.approx(0.5)


def test_escalation_is_null_when_undefined() -> None:
    report = run([gold_chart("c1", ["I10"])], [result("c1", ["I10"], required=False)])
    assert report["escalation_precision"] is None
    assert report["escalation_recall"] is None
    report = run([gold_chart("c1", ["I10"])], [result("c1", ["I10"], required=True)])
    assert report["escalation_precision"] == 0.0
    assert report["escalation_recall"] is None


def test_principal_accuracy_with_and_without_flags() -> None:
    gold = [
        gold_chart("c1", [("E78.5", ["Hyperlipidemia"], False), ("I10", ["Essential hypertension"], True)]),
        gold_chart("c2", ["I10", "E78.5"]),
        gold_chart("c3", ["I10", "E78.5"]),
    ]
    results = [
        result("c1", [code("E78.5", principal=False), code("I10", principal=True)]),  # flagged: right
        result("c2", [code("I10"), code("E78.5")]),  # no flags: first listed, right
        result("c3", [code("E78.5"), code("I10")]),  # no flags: first listed, wrong
    ]
    assert run(gold, results)["principal_accuracy"] == pytest.approx(2 / 3)


def test_perfect_automation_and_auto_accepted_rates() -> None:
    gold = [gold_chart(f"c{i}", ["I10"]) for i in range(4)]
    results = [
        result("c0", ["I10"], required=False),  # auto, perfect
        result("c1", ["I10", "E78.5"], required=False),  # auto, not perfect
        result("c2", ["I10"], required=True),  # review, perfect
        result("c3", ["E78.5"], required=True),  # review, not perfect
    ]
    report = run(gold, results)
    assert report["perfect_chart_rate"] == 0.5
    assert report["automation_rate"] == 0.5
    assert report["auto_accepted_perfect_rate"] == 0.5


def test_auto_accepted_perfect_rate_is_null_when_nothing_is_auto_accepted() -> None:
    report = run([gold_chart("c1", ["I10"])], [result("c1", ["I10"], required=True)])
    assert report["automation_rate"] == 0.0
    assert report["auto_accepted_perfect_rate"] is None


def test_rule_errors_left_counts_error_findings() -> None:
    gold = [gold_chart("c1", ["I10"]), gold_chart("c2", ["I10"])]
    results = [
        result("c1", ["I10"], findings=[finding("error"), finding("warning")]),
        result("c2", ["I10"], findings=[finding("error"), finding("info")]),
    ]
    assert run(gold, results)["rule_errors_left"] == 2


def test_latency_percentiles_and_tokens() -> None:
    gold = [gold_chart(f"c{i}", ["I10"]) for i in range(4)]
    results = [
        result("c0", ["I10"], latency=10, tokens={"prompt": 100, "completion": 10}),
        result("c1", ["I10"], latency=20, tokens={"prompt": 300, "completion": 30}),
        result("c2", ["I10"], latency=30),
        result("c3", ["I10"], latency=40),
    ]
    report = run(gold, results)
    assert report["latency_ms"] == {"p50": pytest.approx(25.0), "p95": pytest.approx(38.5)}
    assert report["tokens"] == {"total": {"completion": 40.0, "prompt": 400.0},
                                "per_chart": {"completion": 20.0, "prompt": 200.0}}


def test_latency_and_tokens_are_null_when_absent() -> None:
    report = run([gold_chart("c1", ["I10"])], [result("c1", ["I10"], tokens={})])
    assert report["latency_ms"] is None
    assert report["tokens"] is None
    assert any("latency_ms" in note for note in report["skipped"])


# ---------------------------------------------------------------------------------------------
# Matching and input problems
# ---------------------------------------------------------------------------------------------


def test_matching_by_line_order_without_chart_ids() -> None:
    gold = [gold_chart("c1", ["I10"]), gold_chart("c2", ["E78.5"])]
    report = run(gold, [result(None, ["I10"]), result(None, ["E78.5"])])
    assert report["perfect_chart_rate"] == 1.0


def test_matching_by_id_ignores_order() -> None:
    gold = [gold_chart("c1", ["I10"]), gold_chart("c2", ["E78.5"])]
    report = run(gold, [result("c2", ["E78.5"]), result("c1", ["I10"])])
    assert report["perfect_chart_rate"] == 1.0


def test_mismatched_ids_name_the_first_unmatched_id(tmp_path: Path) -> None:
    gold = [gold_chart("c1", ["I10"]), gold_chart("c2", ["I10"])]
    with pytest.raises(InputError, match="'zz-9' matches no gold chart"):
        run(gold, [result("c1", ["I10"]), result("zz-9", ["I10"]), result("zz-10", ["I10"])])
    gold_file = write_jsonl(tmp_path / "gold.jsonl", gold)
    lines = [result("c1", ["I10"]), "", result("zz-9", ["I10"])]  # a blank line 2: the id is on line 3
    results_file = write_jsonl(tmp_path / "results.jsonl", lines)
    with pytest.raises(InputError, match=r"results\.jsonl line 3: chart_id 'zz-9'"):
        score_files(gold_file, results_file, with_ragas=False)


def test_ids_on_some_lines_only_and_repeated_ids_are_fatal() -> None:
    gold = [gold_chart("c1", ["I10"]), gold_chart("c2", ["I10"])]
    with pytest.raises(InputError, match="no chart_id while other result lines have one"):
        run(gold, [result("c1", ["I10"]), result(None, ["I10"])])
    with pytest.raises(InputError, match="'c1' already given"):
        run(gold, [result("c1", ["I10"]), result("c1", ["I10"])])
    with pytest.raises(InputError, match="3 result lines for 2 gold charts"):
        run(gold, [result(None, ["I10"])] * 3)


def test_gold_chart_without_result_is_scored_as_no_codes_in_review() -> None:
    gold = [gold_chart("c1", ["I10"]), gold_chart("c2", ["E78.5"])]
    report = run(gold, [result("c1", ["I10"])])
    assert report["charts"] == 2
    assert report["micro_recall"] == 0.5
    assert report["automation_rate"] == 0.5
    assert any("c2" in note and "no result line" in note for note in report["skipped"])


def test_malformed_gold_line_names_the_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "gold.jsonl", [gold_chart("c1", ["I10"]), '{"id": "c2", "text": '])
    with pytest.raises(InputError, match=r"gold\.jsonl line 2: not valid JSON"):
        load_gold(path)
    broken = gold_chart("c2", ["I10"])
    del broken["text"]
    path = write_jsonl(tmp_path / "gold.jsonl", [gold_chart("c1", ["I10"]), broken])
    with pytest.raises(InputError, match=r"gold\.jsonl line 2: gold chart breaks gold\.schema\.json.*'text'"):
        load_gold(path)


def test_unreadable_and_empty_gold_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read gold file"):
        load_gold(tmp_path / "missing.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(InputError, match="no gold charts"):
        load_gold(tmp_path / "empty.jsonl")


@pytest.mark.parametrize("bad", ["E119", "e11.9", "E11.", "11.9", "E11.22222", "I10 ", 5])
def test_code_in_the_wrong_shape_is_fatal(tmp_path: Path, bad: Any) -> None:
    broken = result("c1", ["I10"])
    broken["codes"][0]["code"] = bad
    path = write_jsonl(tmp_path / "results.jsonl", [result("c0", ["I10"]), broken])
    with pytest.raises(InputError, match=r"results\.jsonl line 2: codes\[0\].*not a dotted ICD-10-CM code"):
        load_results(path)
    with pytest.raises(InputError, match="not a dotted ICD-10-CM code"):
        run([gold_chart("c1", ["I10"])], [broken])


@pytest.mark.parametrize("good", ["I10", "E11.22", "S72.001A", "QA0.0101", "Z3A.28", "F02.B0"])
def test_dotted_codes_are_accepted(good: str) -> None:
    assert run([gold_chart("c1", [good])], [result("c1", [good])])["micro_f1"] == 1.0


def test_malformed_result_json_is_fatal(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "results.jsonl", [result("c1", ["I10"]), "{oops", "[1]"])
    with pytest.raises(InputError, match=r"line 2: not valid JSON"):
        load_results(path)


def test_schema_breaking_result_is_counted_and_still_scored() -> None:
    gold = [gold_chart("c1", ["I10"]), gold_chart("c2", ["E78.5"])]
    broken = result("c2", ["E78.5"])
    del broken["codes"][0]["confidence"]
    del broken["meta"]
    report = run(gold, [result("c1", ["I10"]), broken])
    assert report["schema_errors"] == 1
    assert report["micro_f1"] == 1.0
    assert any("breaks result.schema.json" in note for note in report["skipped"])


def test_result_without_review_flag_goes_to_review() -> None:
    broken = result("c1", ["I10"])
    del broken["review"]
    report = run([gold_chart("c1", ["I10"])], [broken])
    assert report["schema_errors"] == 1
    assert report["automation_rate"] == 0.0


def test_codes_of_other_systems_are_not_scored() -> None:
    cpt = {**code("I10"), "code": "99213", "system": "CPT"}
    report = run([gold_chart("c1", ["I10"])], [result("c1", ["I10", cpt])])
    assert report["micro_precision"] == 1.0
    assert any("another system" in note for note in report["skipped"])


# ---------------------------------------------------------------------------------------------
# Report shape, schemas, real gold files
# ---------------------------------------------------------------------------------------------


def test_report_keys_are_exactly_the_contract() -> None:
    report = run([gold_chart("c1", ["I10"])], [result("c1", ["I10"])])
    assert [k for k in report if k != POINTS_KEY] == list(REPORT_KEYS)
    assert set(REPORT_KEYS) == {
        "micro_precision", "micro_recall", "micro_f1", "category_f1", "per_specialty",
        "macro_f1_by_specialty", "evidence_overlap_rate", "evidence_spans_not_verbatim", "schema_errors",
        "escalation_precision", "escalation_recall", "principal_accuracy", "perfect_chart_rate",
        "automation_rate", "auto_accepted_perfect_rate", "rule_errors_left", "latency_ms", "tokens", "charts",
        "ragas", "skipped",
    }


@pytest.mark.parametrize("name", ["gold", "result"])
def test_packaged_schemas_are_the_contract(name: str) -> None:
    contract = json.loads((ROOT / "tests" / "data" / f"{name}.schema.json").read_text())
    assert schema(name) == contract
    with pytest.raises(InputError, match="unknown schema"):
        schema("chart")


def test_the_real_gold_files_load() -> None:
    charts = [c for path in sorted((ROOT / "evals" / "gold").glob("*.jsonl")) for c in load_gold(path)]
    assert len(charts) >= 60


def test_spec_example_scores(tmp_path: Path) -> None:
    example = json.loads((ROOT / "tests" / "data" / "examples" / "result-example.json").read_text())
    results = write_jsonl(tmp_path / "results.jsonl", [example])
    report = score_files(ROOT / "tests" / "data" / "examples" / "gold-example.jsonl", results,
                         with_ragas=False)
    assert report["per_specialty"]["emergency_medicine"]["f1"] == 1.0
    assert report["evidence_spans_not_verbatim"] == 0
    assert report["schema_errors"] == 0


# ---------------------------------------------------------------------------------------------
# ragas
# ---------------------------------------------------------------------------------------------


def test_ragas_evidence_similarity_and_guideline_ids() -> None:
    gold = [gold_chart("c1", ["I10", ("E78.5", ["Hyperlipidemia"])])]
    gold[0]["gold"]["codes"][0]["guideline_refs"] = ["I.C.9.a", "I.B.1"]
    results = [result("c1", [
        code("I10", guideline_refs=["I.C.9.a"]),
        code("E78.5", evidence=[span("Hyperlipidemia")]),
    ])]
    ragas = score(gold, results)["ragas"]
    assert ragas["evidence_similarity"] == pytest.approx(1.0)
    assert ragas["evidence_similarity_metric"] in ("NonLLMStringSimilarity", "ExactMatch")
    assert ragas["evidence_spans"] == 2
    assert ragas["id_based_context_precision"] == pytest.approx(1.0)
    assert ragas["id_based_context_recall"] == pytest.approx(0.5)
    assert ragas["guideline_codes"] == 1


def test_ragas_skips_guideline_ids_and_llm_metrics_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHARTPROOF_LLM_BASE_URL", raising=False)
    report = score([gold_chart("c1", ["I10"])], [result("c1", ["I10"])])
    assert report["ragas"]["id_based_context_precision"] is None
    assert any("no gold code carries a guideline_refs list" in note for note in report["skipped"])
    assert any("Faithfulness" in note and "no LLM configured" in note for note in report["skipped"])


# ---------------------------------------------------------------------------------------------
# write_report and plot data
# ---------------------------------------------------------------------------------------------


def _points_case() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    gold = [gold_chart("c1", ["I10"]), gold_chart("c2", ["I10"], specialty="endocrinology"),
            gold_chart("c3", ["E78.5"], specialty="endocrinology")]
    results = [
        result("c1", [code("I10", confidence=0.95)], required=False),
        result("c2", [code("I10", confidence=0.85), code("E11.9", confidence=0.55)], required=False),
        result("c3", [code("E78.5", confidence=0.65)], required=True),
    ]
    return gold, results


def test_write_report_writes_every_file(tmp_path: Path) -> None:
    gold, results = _points_case()
    report = run(gold, results)
    written = write_report(report, tmp_path / "out")
    names = {p.name for p in written}
    assert names == {"report.json", "report.md", "f1_by_specialty.png", "reliability.png",
                     "automation_tradeoff.png"}
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert list(saved) == list(REPORT_KEYS)
    assert saved["micro_f1"] == report["micro_f1"]
    for path in written:
        assert path.stat().st_size > 0
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "| micro F1 |" in markdown and "| endocrinology |" in markdown
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]
    assert (tmp_path / "out" / "report.json").stat().st_mode & 0o777 == 0o644
    assert "micro F1" in summary_table(report)


def test_write_report_from_json_skips_the_per_code_plots(tmp_path: Path) -> None:
    gold, results = _points_case()
    saved = json.loads((write_report(run(gold, results), tmp_path / "a")[0]).read_text())
    assert {p.name for p in write_report(saved, tmp_path / "b")} == {"report.json", "report.md",
                                                                       "f1_by_specialty.png"}


def test_reliability_bins_and_tradeoff_curve() -> None:
    gold, results = _points_case()
    points = run(gold, results)[POINTS_KEY]
    bins = {round(b["low"], 1): (b["count"], b["accuracy"]) for b in reliability_bins(points)}
    assert bins == {0.5: (1, 0.0), 0.6: (1, 1.0), 0.8: (1, 1.0), 0.9: (1, 1.0)}
    curve = {c["threshold"]: (c["automation_rate"], c["auto_accepted_perfect_rate"])
             for c in tradeoff_curve(points)}
    assert curve[0.0] == (pytest.approx(2 / 3), 0.5)  # c1 perfect, c2 has an extra code
    assert curve[0.85] == (pytest.approx(1 / 3), 1.0)  # c2's E11.9 at 0.55 sends it to review
    assert curve[0.95] == (pytest.approx(1 / 3), 1.0)


# ---------------------------------------------------------------------------------------------
# calibrate
# ---------------------------------------------------------------------------------------------


def row(threshold: float | None, codes: int, precision: float | None) -> dict[str, Any]:
    return {"threshold": threshold, "codes": codes, "precision_at_threshold": precision}


def test_threshold_for_picks_the_lowest_confidence_reaching_the_target() -> None:
    codes = [(0.5, False), (0.6, True), (0.7, False), (0.8, True), (0.9, True)]
    assert threshold_for(codes, 0.75) == row(0.6, 5, 0.75)
    assert threshold_for(codes, 0.95) == row(0.8, 5, 1.0)
    assert threshold_for([(0.9, False)], 0.5) == row(None, 1, None)


def test_calibrate_per_specialty_and_default(tmp_path: Path) -> None:
    gold = [
        gold_chart("c1", ["I10"]),
        gold_chart("c2", ["E78.5"]),
        gold_chart("e1", ["E11.9"], specialty="endocrinology"),
        gold_chart("o1", ["C50.911"], specialty="oncology"),
    ]
    results = [
        result("c1", [code("I10", confidence=0.9), code("E78.5", confidence=0.6)]),  # FP at 0.6
        result("c2", [code("E78.5", confidence=0.7)]),
        result("e1", [code("E11.9", confidence=0.4), code("E11.65", confidence=0.99)]),  # FP at the top
        result("o1", []),
    ]
    policy = calibrate(gold, results, target_precision=0.95)
    assert policy["target_precision"] == 0.95
    assert policy["specialties"]["cardiology"] == row(0.7, 3, 1.0)
    assert policy["specialties"]["endocrinology"] == row(None, 2, None)
    assert policy["specialties"]["oncology"] == row(None, 0, None)
    assert policy["default"]["codes"] == 5
    assert policy["default"]["threshold"] is None  # the 0.99 FP keeps every threshold below target
    loose = calibrate(gold, results, target_precision=0.6)
    assert loose["default"] == row(0.4, 5, 0.6)
    path = write_policy(policy, tmp_path / "policy" / "thresholds.json")
    assert json.loads(path.read_text()) == policy
    with pytest.raises(InputError, match="target precision"):
        calibrate(gold, results, target_precision=1.5)
