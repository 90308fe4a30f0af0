"""Scoring core of the offline evaluation harness: gold charts against CodingResult lines.

Inputs are two JSONL files: gold charts (``evals/schemas/gold.schema.json``) and coding results
(``evals/schemas/result.schema.json``, one CodingResult per line). ``score()`` turns them into one
flat report dict whose keys are listed in ``REPORT_KEYS``.

What stops a run (``InputError`` naming the file and line) and what is only counted:

Fatal, because the number would be meaningless or unattributable:
  * a file that cannot be read, a line that is not valid JSON, or a line that is not a JSON object;
  * a gold line that breaks gold.schema.json, a gold code not in dotted ICD-10-CM shape, a repeated
    gold chart id, a gold file with no charts;
  * a result code that is not a dotted ICD-10-CM code string (``E11.22``, ``S72.001A``,
    ``QA0.0101``): a ``codes`` item that is not an object, has no ``code``, or whose code is undotted,
    lower case or otherwise malformed. Codes whose ``system`` is ICD-10-PCS, HCPCS or CPT are not
    shape-checked; they are left out of scoring and a line in ``skipped`` says so;
  * result chart ids that match no gold chart, a chart id given twice, some lines carrying a chart id
    while others do not, or (without chart ids) more result lines than gold charts.

Counted in ``schema_errors`` (one per result line) and scored with what the line has: any other
failure of result.schema.json, e.g. a missing ``confidence``/``description``/``system``/``meta``, an
empty ``evidence`` list, a confidence outside [0, 1], an unknown severity. Missing pieces are read
conservatively: no ``review.required`` boolean means the chart goes to review, a missing or non-numeric
confidence is left out of the confidence plots and calibration, a missing evidence list gives no spans.

Gold charts with no result line (by id, or past the end when matching by line order) are scored as a
result with no codes that goes to review, and ``skipped`` names them.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
from jsonschema.exceptions import best_match

from knowledge.errors import InputError

#: A dotted ICD-10-CM code: E11.22, S72.001A, QA0.0101, I10.
CODE_RE = re.compile(r"^[A-Z](?:[0-9][0-9A-Z]|[A-Z][0-9])(\.[0-9A-Z]{1,4})?$")

#: Code systems a result may carry that are not ICD-10-CM: not shape-checked, not scored.
OTHER_SYSTEMS = frozenset({"ICD-10-PCS", "HCPCS", "CPT"})

#: The top-level keys of a report, in the order they are written.
REPORT_KEYS = (
    "micro_precision",
    "micro_recall",
    "micro_f1",
    "category_f1",
    "per_specialty",
    "macro_f1_by_specialty",
    "evidence_overlap_rate",
    "evidence_spans_not_verbatim",
    "schema_errors",
    "escalation_precision",
    "escalation_recall",
    "principal_accuracy",
    "perfect_chart_rate",
    "automation_rate",
    "auto_accepted_perfect_rate",
    "rule_errors_left",
    "latency_ms",
    "tokens",
    "charts",
    "ragas",
    "skipped",
)

#: Private key of score()'s answer holding per-chart, per-code data for plots and calibration.
POINTS_KEY = "_points"

_SCHEMA_NAMES = ("gold", "result")
_MAX_SCHEMA_NOTES = 5


# ---------------------------------------------------------------------------------------------
# Reading and validating
# ---------------------------------------------------------------------------------------------


class Rows(list):
    """A list of JSON objects read from a JSONL file that remembers each one's file and line number."""

    def __init__(self, rows: Iterable[dict[str, Any]] = (), source: str | None = None,
                 lines: Sequence[int] | None = None) -> None:
        super().__init__(rows)
        self.source = source
        self.lines = list(lines) if lines is not None else None


def _where(rows: Sequence[dict[str, Any]], index: int, kind: str) -> str:
    """Where row `index` came from, for messages: 'path line 7' when read from a file, else 'result 3'."""
    source = getattr(rows, "source", None)
    lines = getattr(rows, "lines", None)
    if source is not None and lines is not None and index < len(lines):
        return f"{source} line {lines[index]}"
    return f"{kind} {index + 1}"


def schema(name: str) -> dict[str, Any]:
    """The JSON schema `name` ('gold' or 'result') from the package data directory evals/schemas/."""
    if name not in _SCHEMA_NAMES:
        raise InputError(f"unknown schema {name!r}: expected one of {', '.join(_SCHEMA_NAMES)}")
    text = resources.files("evals").joinpath("schemas", f"{name}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(name))


def _schema_problem(name: str, obj: Any) -> str | None:
    """The most relevant way `obj` breaks schema `name`, as 'at codes/0: ...', or None when it is valid."""
    error = best_match(_validator(name).iter_errors(obj))
    if error is None:
        return None
    at = "/".join(str(part) for part in error.absolute_path) or "top level"
    return f"at {at}: {error.message}"


def _read_jsonl(path: str | os.PathLike[str], kind: str) -> Rows:
    """The JSON objects of a JSONL file, blank lines ignored; InputError for unreadable files or lines."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"cannot read {kind} file {path}: {reason}") from exc
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{path} line {number}: not valid JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise InputError(f"{path} line {number}: expected a JSON object, got {type(row).__name__}")
        rows.append(row)
        lines.append(number)
    return Rows(rows, source=str(path), lines=lines)


def _check_gold_chart(chart: dict[str, Any], where: str) -> None:
    problem = _schema_problem("gold", chart)
    if problem:
        raise InputError(f"{where}: gold chart breaks gold.schema.json {problem}")
    for item in chart["gold"]["codes"]:
        if not CODE_RE.match(item["code"]):
            raise InputError(
                f"{where}: gold code {item['code']!r} is not a dotted ICD-10-CM code (e.g. E11.22)"
            )


def _check_gold(gold: Sequence[dict[str, Any]]) -> None:
    if not gold:
        where = getattr(gold, "source", None)
        raise InputError(f"no gold charts to score{f' in {where}' if where else ''}")
    seen: dict[str, str] = {}
    for index, chart in enumerate(gold):
        where = _where(gold, index, "gold chart")
        if not isinstance(chart, dict):
            raise InputError(f"{where}: expected a JSON object")
        _check_gold_chart(chart, where)
        if chart["id"] in seen:
            raise InputError(f"{where}: gold chart id {chart['id']!r} already used at {seen[chart['id']]}")
        seen[chart["id"]] = where


def _is_scored(item: Any) -> bool:
    """Whether a result `codes` item is scored: every item except those of another code system."""
    return not (isinstance(item, dict) and item.get("system") in OTHER_SYSTEMS)


def _check_result_codes(result: Any, where: str) -> None:
    """InputError when a result is not an object or one of its ICD-10-CM codes is not in dotted shape."""
    if not isinstance(result, dict):
        raise InputError(f"{where}: expected a JSON object (a CodingResult)")
    codes = result.get("codes")
    if not isinstance(codes, list):
        return  # a schema error, counted: scored as no codes
    for position, item in enumerate(codes):
        if not _is_scored(item):
            continue
        code = item.get("code") if isinstance(item, dict) else item
        if not isinstance(item, dict) or not isinstance(code, str) or not CODE_RE.match(code):
            raise InputError(
                f"{where}: codes[{position}] {code!r} is not a dotted ICD-10-CM code string "
                "(e.g. E11.22, S72.001A); fix the result file before scoring"
            )


def load_gold(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a gold JSONL file; every line must satisfy gold.schema.json (InputError naming the line)."""
    rows = _read_jsonl(path, "gold")
    _check_gold(rows)
    return rows


def load_results(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a results JSONL file (one CodingResult per line).

    Fatal: unreadable file, invalid JSON, a line that is not an object, a code in the wrong shape. Other
    result.schema.json failures are left for score() to count in `schema_errors`.
    """
    rows = _read_jsonl(path, "results")
    for index, result in enumerate(rows):
        _check_result_codes(result, _where(rows, index, "result"))
    return rows


# ---------------------------------------------------------------------------------------------
# Matching results to gold charts
# ---------------------------------------------------------------------------------------------


def match(gold: Sequence[dict[str, Any]], results: Sequence[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """For each gold chart, in gold order, its result (None when it has none).

    By chart_id when the results carry ids, else by line order. InputError for an id that matches no
    gold chart (the first one is named), a repeated id, ids on some lines only, or more id-less result
    lines than gold charts.
    """
    ids = [r.get("chart_id") for r in results]
    if all(i is None for i in ids):
        if len(results) > len(gold):
            raise InputError(
                f"{_where(results, len(gold), 'result')}: results carry no chart_id, so they are matched "
                f"to gold charts by line order, but there are {len(results)} result lines for "
                f"{len(gold)} gold charts"
            )
        return list(results) + [None] * (len(gold) - len(results))
    missing = ids.index(None) if None in ids else -1
    if missing >= 0:
        raise InputError(
            f"{_where(results, missing, 'result')}: no chart_id while other result lines have one; "
            "give every line a chart_id, or none to match by line order"
        )
    by_id: dict[str, int] = {}
    gold_ids = {chart["id"] for chart in gold}
    for index, chart_id in enumerate(ids):
        if not isinstance(chart_id, str) or chart_id not in gold_ids:
            where = _where(results, index, "result")
            raise InputError(f"{where}: chart_id {chart_id!r} matches no gold chart")
        if chart_id in by_id:
            where, first = _where(results, index, "result"), _where(results, by_id[chart_id], "result")
            raise InputError(f"{where}: chart_id {chart_id!r} already given at {first}")
        by_id[chart_id] = index
    return [results[by_id[chart["id"]]] if chart["id"] in by_id else None for chart in gold]


# ---------------------------------------------------------------------------------------------
# A result read leniently
# ---------------------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    """`value` as a float when it is a JSON number (not a boolean), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class _Span:
    start: int | None
    end: int | None
    text: str | None


@dataclass
class _Code:
    code: str
    principal: bool
    confidence: float | None
    spans: list[_Span]
    guideline_refs: list[str]


@dataclass
class _Result:
    codes: list[_Code] = field(default_factory=list)
    other_system_codes: int = 0
    review_required: bool = True
    rule_errors: int = 0
    latency_ms: float | None = None
    tokens: dict[str, int | float] = field(default_factory=dict)


def _read_span(raw: Any) -> _Span:
    if not isinstance(raw, dict):
        return _Span(None, None, None)
    text = raw.get("text")
    return _Span(_int(raw.get("start")), _int(raw.get("end")), text if isinstance(text, str) else None)


def _read_code(raw: dict[str, Any]) -> _Code:
    evidence = raw.get("evidence")
    refs = raw.get("guideline_refs")
    return _Code(
        code=raw["code"],
        principal=raw.get("principal") is True,
        confidence=_number(raw.get("confidence")),
        spans=[_read_span(s) for s in evidence] if isinstance(evidence, list) else [],
        guideline_refs=[r for r in refs if isinstance(r, str)] if isinstance(refs, list) else [],
    )


def _read_result(raw: dict[str, Any] | None) -> _Result:
    """A result with defaults for what is missing; None (no result line) goes to review with no codes."""
    if raw is None:
        return _Result()
    codes, findings = _list(raw.get("codes")), _list(raw.get("findings"))
    review, meta = _dict(raw.get("review")), _dict(raw.get("meta"))
    tokens = _dict(meta.get("tokens"))
    required = review.get("required")
    return _Result(
        codes=[_read_code(c) for c in codes if _is_scored(c)],
        other_system_codes=sum(not _is_scored(c) for c in codes),
        review_required=required if isinstance(required, bool) else True,
        rule_errors=sum(isinstance(f, dict) and f.get("severity") == "error" for f in findings),
        latency_ms=_number(meta.get("latency_ms")),
        tokens={k: v for k, v in tokens.items() if _number(v) is not None},
    )


@dataclass
class _Chart:
    """One gold chart with its (leniently read) result."""

    gold: dict[str, Any]
    result: _Result
    has_result: bool

    @property
    def chart_id(self) -> str:
        return self.gold["id"]

    @property
    def specialty(self) -> str:
        return self.gold["specialty"]

    @property
    def text(self) -> str:
        return self.gold["text"]

    @property
    def gold_codes(self) -> set[str]:
        return {c["code"] for c in self.gold["gold"]["codes"]}

    @property
    def predicted(self) -> set[str]:
        return {c.code for c in self.result.codes}

    @property
    def perfect(self) -> bool:
        return self.predicted == self.gold_codes

    def gold_quotes(self, code: str) -> list[str]:
        return [q for c in self.gold["gold"]["codes"] if c["code"] == code for q in c["evidence"]]

    def spans_of(self, code: str) -> list[_Span]:
        return [s for c in self.result.codes if c.code == code for s in c.spans]


# ---------------------------------------------------------------------------------------------
# Metric helpers
# ---------------------------------------------------------------------------------------------


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, 0.0 when the denominator is 0 (the P/R/F1 convention)."""
    return numerator / denominator if denominator else 0.0


def _share(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, None when the denominator is 0 (a rate that is undefined)."""
    return numerator / denominator if denominator else None


def prf(pairs: Iterable[tuple[set[str], set[str]]]) -> dict[str, float]:
    """Micro precision, recall and F1 over (gold set, predicted set) pairs, one pair per chart.

    TP counts items in both sets, FP predicted only, FN gold only; P = TP/(TP+FP), R = TP/(TP+FN),
    F1 = 2PR/(P+R), each 0.0 when its denominator is 0.
    """
    tp = fp = fn = 0
    for gold, predicted in pairs:
        tp += len(gold & predicted)
        fp += len(predicted - gold)
        fn += len(gold - predicted)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * precision * recall, precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1}


def _categories(codes: set[str]) -> set[str]:
    return {code[:3] for code in codes}


def quote_occurrences(text: str, quote: str) -> list[tuple[int, int]]:
    """Every (start, end) at which `quote` occurs in `text`, overlapping occurrences included."""
    found: list[tuple[int, int]] = []
    if not quote:
        return found
    at = text.find(quote)
    while at != -1:
        found.append((at, at + len(quote)))
        at = text.find(quote, at + 1)
    return found


def _overlaps(span: _Span, occurrences: list[tuple[int, int]]) -> bool:
    if span.start is None or span.end is None:
        return False
    return any(span.start < q_end and q_start < span.end for q_start, q_end in occurrences)


def _is_verbatim(span: _Span, text: str) -> bool:
    """text == chart_text[start:end] with 0 <= start <= end <= len(chart_text)."""
    if span.start is None or span.end is None or span.text is None:
        return False
    if not 0 <= span.start <= span.end <= len(text):
        return False
    return text[span.start:span.end] == span.text


def _principal(codes: list[Any], flag: Callable[[Any], bool], code_of: Callable[[Any], str]) -> str | None:
    """The first code flagged principal, else the first code listed, else None."""
    for item in codes:
        if flag(item):
            return code_of(item)
    return code_of(codes[0]) if codes else None


# ---------------------------------------------------------------------------------------------
# The metrics
# ---------------------------------------------------------------------------------------------


def code_metrics(charts: list[_Chart]) -> dict[str, float]:
    """micro_precision/recall/f1 on exact codes and category_f1 on 3-character categories."""
    exact = prf((c.gold_codes, c.predicted) for c in charts)
    category = prf((_categories(c.gold_codes), _categories(c.predicted)) for c in charts)
    return {
        "micro_precision": exact["precision"],
        "micro_recall": exact["recall"],
        "micro_f1": exact["f1"],
        "category_f1": category["f1"],
    }


def specialty_metrics(charts: list[_Chart]) -> dict[str, Any]:
    """per_specialty micro P/R/F1 and chart count; macro_f1_by_specialty, the mean of those F1."""
    groups: dict[str, list[_Chart]] = defaultdict(list)
    for chart in charts:
        groups[chart.specialty].append(chart)
    per: dict[str, dict[str, Any]] = {}
    for specialty in sorted(groups):
        members = groups[specialty]
        per[specialty] = {**prf((c.gold_codes, c.predicted) for c in members), "charts": len(members)}
    macro = float(np.mean([v["f1"] for v in per.values()])) if per else None
    return {"per_specialty": per, "macro_f1_by_specialty": macro}


def evidence_metrics(charts: list[_Chart]) -> dict[str, Any]:
    """evidence_overlap_rate: share of TP codes with a span overlapping an occurrence of one of that
    code's gold quotes in the chart text (None when there are no TP codes);
    evidence_spans_not_verbatim: spans whose text is not chart_text[start:end] (or offsets out of range)."""
    tp = overlapping = not_verbatim = 0
    for chart in charts:
        for predicted in chart.result.codes:
            not_verbatim += sum(not _is_verbatim(span, chart.text) for span in predicted.spans)
        for value in sorted(chart.predicted & chart.gold_codes):
            tp += 1
            occurrences = [o for q in chart.gold_quotes(value) for o in quote_occurrences(chart.text, q)]
            overlapping += any(_overlaps(span, occurrences) for span in chart.spans_of(value))
    return {"evidence_overlap_rate": _share(overlapping, tp), "evidence_spans_not_verbatim": not_verbatim}


def escalation_metrics(charts: list[_Chart]) -> dict[str, float | None]:
    """Precision and recall of review.required against gold should_escalate (positive = escalate);
    precision is None with no predicted positives, recall None with no gold positives."""
    tp = sum(c.result.review_required and c.gold["gold"]["should_escalate"] for c in charts)
    predicted = sum(c.result.review_required for c in charts)
    actual = sum(bool(c.gold["gold"]["should_escalate"]) for c in charts)
    return {"escalation_precision": _share(tp, predicted), "escalation_recall": _share(tp, actual)}


def principal_accuracy(charts: list[_Chart]) -> float:
    """Share of charts whose predicted principal (first code flagged principal, else first listed)
    equals the gold principal (the gold code flagged principal, else the first gold code)."""
    hits = 0
    for chart in charts:
        gold_codes = chart.gold["gold"]["codes"]
        gold = _principal(gold_codes, lambda c: c.get("principal") is True, lambda c: c["code"])
        predicted = _principal(chart.result.codes, lambda c: c.principal, lambda c: c.code)
        hits += gold == predicted
    return hits / len(charts)


def routing_metrics(charts: list[_Chart]) -> dict[str, Any]:
    """perfect_chart_rate (predicted set == gold set), automation_rate (review.required false),
    auto_accepted_perfect_rate (perfect share of auto-accepted charts, None when none), rule_errors_left."""
    auto = [c for c in charts if not c.result.review_required]
    return {
        "perfect_chart_rate": sum(c.perfect for c in charts) / len(charts),
        "automation_rate": len(auto) / len(charts),
        "auto_accepted_perfect_rate": _share(sum(c.perfect for c in auto), len(auto)),
        "rule_errors_left": sum(c.result.rule_errors for c in charts),
    }


def cost_metrics(charts: list[_Chart]) -> dict[str, Any]:
    """latency_ms p50/p95 over results carrying meta.latency_ms (linear interpolation), and meta.tokens
    summed per key ("total") and averaged per key over the charts reporting it ("per_chart")."""
    latencies = [c.result.latency_ms for c in charts if c.result.latency_ms is not None]
    latency = None
    if latencies:
        p50, p95 = np.percentile(latencies, [50, 95])
        latency = {"p50": float(p50), "p95": float(p95)}
    totals: dict[str, int | float] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for chart in charts:
        for key, value in chart.result.tokens.items():
            totals[key] += value
            counts[key] += 1
    tokens = None
    if totals:
        keys = sorted(totals)
        tokens = {
            "total": {k: totals[k] for k in keys},
            "per_chart": {k: totals[k] / counts[k] for k in keys},
        }
    return {"latency_ms": latency, "tokens": tokens}


def chart_points(charts: list[_Chart]) -> list[dict[str, Any]]:
    """Per chart: id, specialty, review flag, perfect flag and each predicted code (first listing of a
    repeated code) with its confidence and whether it is in gold. Feeds the plots and calibration."""
    points = []
    for chart in charts:
        seen: set[str] = set()
        codes = []
        for code in chart.result.codes:
            if code.code in seen:
                continue
            seen.add(code.code)
            correct = code.code in chart.gold_codes
            codes.append({"code": code.code, "confidence": code.confidence, "correct": correct})
        points.append({
            "chart_id": chart.chart_id,
            "specialty": chart.specialty,
            "review_required": chart.result.review_required,
            "perfect": chart.perfect,
            "codes": codes,
        })
    return points


# ---------------------------------------------------------------------------------------------
# ragas (no LLM): evidence text similarity and guideline-id precision/recall
# ---------------------------------------------------------------------------------------------


def _run_async(factory: Callable[[], Any]) -> Any:
    """Run the coroutine made by `factory`, in a worker thread when an event loop is already running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def _llm_skip_note() -> str:
    if os.environ.get("CHARTPROOF_LLM_BASE_URL"):
        return ("ragas Faithfulness (LLM-judged) skipped: an LLM is configured (CHARTPROOF_LLM_BASE_URL) "
                "but LLM-judged metrics are not wired in this version")
    return ("ragas Faithfulness (LLM-judged) skipped: no LLM configured "
            "(set CHARTPROOF_LLM_BASE_URL to enable LLM-judged metrics)")


def _evidence_pairs(charts: list[_Chart]) -> list[tuple[str, list[str]]]:
    """(predicted evidence text, gold quotes of the same code) for every span of every TP code."""
    pairs = []
    for chart in charts:
        for code in sorted(chart.predicted & chart.gold_codes):
            quotes = chart.gold_quotes(code)
            pairs += [(s.text, quotes) for s in chart.spans_of(code) if s.text is not None and quotes]
    return pairs


def _guideline_pairs(charts: list[_Chart]) -> list[tuple[list[str], list[str]]]:
    """(predicted guideline_refs, gold guideline_refs) for each TP code whose gold code lists refs."""
    pairs = []
    for chart in charts:
        for gold_code in chart.gold["gold"]["codes"]:
            refs = gold_code.get("guideline_refs")
            if gold_code["code"] not in chart.predicted or not isinstance(refs, list) or not refs:
                continue
            same = [c for c in chart.result.codes if c.code == gold_code["code"]]
            predicted = [r for c in same for r in c.guideline_refs]
            pairs.append((predicted, [str(r) for r in refs]))
    return pairs


def _gold_has_guideline_refs(charts: list[_Chart]) -> bool:
    return any(isinstance(c.get("guideline_refs"), list) for ch in charts for c in ch.gold["gold"]["codes"])


def ragas_metrics(charts: list[_Chart]) -> tuple[dict[str, Any], list[str]]:
    """ragas metrics that need no LLM, and lines saying what was skipped.

    evidence_similarity: for each evidence span of a TP code, the best ragas string score of its text
    against the gold quotes of that code, averaged over spans (None without spans). The score is
    NonLLMStringSimilarity (1 - normalized Levenshtein distance) when rapidfuzz is installed, else
    ExactMatch; `evidence_similarity_metric` names the class used.
    id_based_context_precision / recall: ragas IDBasedContextPrecision / IDBasedContextRecall of a TP
    code's guideline_refs against its gold guideline_refs, averaged over TP codes whose gold code lists
    refs (precision leaves out codes that cite none). Only when gold codes carry `guideline_refs`.
    """
    out: dict[str, Any] = {
        "evidence_similarity": None,
        "evidence_similarity_metric": None,
        "evidence_spans": 0,
        "id_based_context_precision": None,
        "id_based_context_recall": None,
        "guideline_codes": 0,
    }
    skipped = [_llm_skip_note()]
    os.environ["RAGAS_DO_NOT_TRACK"] = "true"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ragas.dataset_schema import SingleTurnSample
            from ragas.metrics import IDBasedContextPrecision, IDBasedContextRecall
            from ragas.metrics.collections import ExactMatch, NonLLMStringSimilarity
    except Exception as exc:  # noqa: BLE001 - any import failure only costs the ragas part
        skipped.append(f"ragas metrics skipped: cannot import ragas ({type(exc).__name__}: {exc})")
        return out, skipped

    try:
        similarity: Any = NonLLMStringSimilarity()
    except ImportError:
        similarity = ExactMatch()
        skipped.append("ragas NonLLMStringSimilarity skipped: rapidfuzz is not installed; "
                       "evidence_similarity uses ragas ExactMatch (1.0 when a span equals a gold quote)")
    evidence = _evidence_pairs(charts)
    guideline = _guideline_pairs(charts)
    if not _gold_has_guideline_refs(charts):
        skipped.append("ragas IDBasedContextPrecision/IDBasedContextRecall skipped: no gold code carries "
                       "a guideline_refs list")
    elif not guideline:
        skipped.append("ragas IDBasedContextPrecision/IDBasedContextRecall skipped: no correctly predicted "
                       "code has gold guideline_refs")

    async def run() -> tuple[list[float], list[float], list[float]]:
        scores = []
        for text, quotes in evidence:
            results = [await similarity.ascore(reference=q, response=text) for q in quotes]
            scores.append(max(float(r.value) for r in results))
        precision_metric, recall_metric = IDBasedContextPrecision(), IDBasedContextRecall()
        precisions, recalls = [], []
        for predicted, reference in guideline:
            retrieved: list[str | int] = list(predicted)
            expected: list[str | int] = list(reference)
            sample = SingleTurnSample(retrieved_context_ids=retrieved, reference_context_ids=expected)
            recalls.append(float(await recall_metric.single_turn_ascore(sample)))
            if predicted:
                precisions.append(float(await precision_metric.single_turn_ascore(sample)))
        return scores, precisions, recalls

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores, precisions, recalls = _run_async(run)
    except Exception as exc:  # noqa: BLE001 - a ragas failure must not sink the rest of the report
        skipped.append(f"ragas metrics skipped: ragas failed while scoring ({type(exc).__name__}: {exc})")
        return out, skipped
    out["evidence_similarity_metric"] = type(similarity).__name__
    out["evidence_spans"] = len(scores)
    out["evidence_similarity"] = float(np.mean(scores)) if scores else None
    out["guideline_codes"] = len(guideline)
    out["id_based_context_precision"] = float(np.mean(precisions)) if precisions else None
    out["id_based_context_recall"] = float(np.mean(recalls)) if recalls else None
    return out, skipped


# ---------------------------------------------------------------------------------------------
# score()
# ---------------------------------------------------------------------------------------------


def _schema_errors(results: Sequence[dict[str, Any]]) -> tuple[int, list[str]]:
    """How many result lines break result.schema.json, and a note for the first few."""
    count, notes = 0, list[str]()
    for index, result in enumerate(results):
        problem = _schema_problem("result", result)
        if problem is None:
            continue
        count += 1
        if len(notes) < _MAX_SCHEMA_NOTES:
            notes.append(f"{_where(results, index, 'result')} breaks result.schema.json {problem}; "
                         "counted in schema_errors and scored with what it has")
    if count > len(notes):
        notes.append(f"... and {count - len(notes)} more result lines break result.schema.json")
    return count, notes


def build_charts(gold: Sequence[dict[str, Any]], results: Sequence[dict[str, Any]]) -> list[_Chart]:
    """Validate gold and results (fatal failures raise InputError); pair each gold chart with its result."""
    _check_gold(gold)
    for index, result in enumerate(results):
        _check_result_codes(result, _where(results, index, "result"))
    matched = match(gold, results)
    return [_Chart(g, _read_result(r), r is not None) for g, r in zip(gold, matched, strict=True)]


def _coverage_notes(charts: list[_Chart]) -> list[str]:
    notes: list[str] = []
    missing = [c.chart_id for c in charts if not c.has_result]
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        have = "gold chart has" if len(missing) == 1 else "gold charts have"
        notes.append(f"{len(missing)} {have} no result line ({shown}): scored as no codes, routed to review")
    other = sum(c.result.other_system_codes for c in charts)
    if other:
        plural = "s" if other != 1 else ""
        notes.append(f"{other} result code{plural} of another system (ICD-10-PCS, HCPCS, CPT) not scored: "
                     "gold holds ICD-10-CM codes only")
    if all(c.result.latency_ms is None for c in charts):
        notes.append("latency_ms: no result carries meta.latency_ms")
    if all(not c.result.tokens for c in charts):
        notes.append("tokens: no result carries numeric meta.tokens")
    return notes


def score(gold: Sequence[dict[str, Any]], results: Sequence[dict[str, Any]], *,
          with_ragas: bool = True) -> dict[str, Any]:
    """Score coding results against gold charts; see REPORT_KEYS and each metric function's docstring.

    Raises InputError for the fatal failures listed in this module's docstring. The answer has the
    REPORT_KEYS plus the private POINTS_KEY (per-code data for plots), which write_report() strips.
    No value is rounded.
    """
    charts = build_charts(gold, results)
    schema_errors, schema_notes = _schema_errors(results)
    if with_ragas:
        ragas, ragas_notes = ragas_metrics(charts)
    else:
        ragas, ragas_notes = {}, ["ragas metrics not computed (with_ragas=False)"]
    report: dict[str, Any] = {
        **code_metrics(charts),
        **specialty_metrics(charts),
        **evidence_metrics(charts),
        "schema_errors": schema_errors,
        **escalation_metrics(charts),
        "principal_accuracy": principal_accuracy(charts),
        **routing_metrics(charts),
        **cost_metrics(charts),
        "charts": len(charts),
        "ragas": ragas,
        "skipped": _coverage_notes(charts) + schema_notes + ragas_notes,
    }
    report = {key: report[key] for key in REPORT_KEYS}
    report[POINTS_KEY] = chart_points(charts)
    return report


def score_files(gold_path: str | os.PathLike[str], results_path: str | os.PathLike[str], *,
                with_ragas: bool = True) -> dict[str, Any]:
    """score() on a gold JSONL file and a results JSONL file, with messages naming files and lines."""
    return score(load_gold(gold_path), load_results(results_path), with_ragas=with_ragas)


def public_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report without private keys (those starting with '_'), as written to report.json."""
    return {k: v for k, v in report.items() if not k.startswith("_")}
