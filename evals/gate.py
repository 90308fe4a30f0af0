"""Promotion gate: compare a candidate report with a base report and say which gate rules break.

A gate is a JSON object {metric: {rule: limit, ...}, ...}. Rules:
  max_drop   the candidate may be at most `limit` below the base (higher is better: F1, rates)
  max_rise   the candidate may be at most `limit` above the base (lower is better: error counts)
  max_value  the candidate may be at most `limit`
  min_value  the candidate must be at least `limit`
A metric that is null (undefined, e.g. no auto-accepted charts) on either side breaks no rule; a metric
the gate names that is missing from a report breaks it (usually a typo in the gate file).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from knowledge.errors import InputError

DEFAULT_GATE: dict[str, dict[str, float]] = {
    "micro_f1": {"max_drop": 0.01},
    "auto_accepted_perfect_rate": {"max_drop": 0.01},
    "rule_errors_left": {"max_rise": 0},
    "schema_errors": {"max_value": 0},
    "evidence_spans_not_verbatim": {"max_value": 0},
}

RULES = ("max_drop", "max_rise", "max_value", "min_value")

#: Slack for float noise, so that a drop of exactly the allowed amount passes.
EPSILON = 1e-9

Row = tuple[str, float | None, float | None, float | None]

#: Report keys holding an object or a list (latency_ms and tokens may also be null): never compared.
STRUCTURED = frozenset({"per_specialty", "latency_ms", "tokens", "ragas", "skipped"})


def _read_json(path: str | os.PathLike[str], kind: str) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"cannot read {kind} {path}: {reason}") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputError(f"{kind} {path} is not valid JSON ({exc})") from exc


def _is_limit(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_gate(gate: Any, source: str = "gate") -> dict[str, dict[str, float]]:
    """`gate` if it has the shape {metric: {rule: number}}, else InputError saying what is wrong."""
    if not isinstance(gate, dict) or not gate:
        raise InputError(f"{source}: expected a JSON object of metric rules, e.g. {json.dumps(DEFAULT_GATE)}")
    for metric, rules in gate.items():
        if not isinstance(rules, dict) or not rules:
            raise InputError(
                f"{source}: rules for {metric!r} must be an object such as {{\"max_drop\": 0.01}}"
            )
        for rule, limit in rules.items():
            if rule not in RULES:
                raise InputError(
                    f"{source}: unknown rule {rule!r} for {metric!r}; use one of {', '.join(RULES)}"
                )
            if not _is_limit(limit):
                raise InputError(f"{source}: {metric}.{rule} must be a number, got {json.dumps(limit)}")
    return gate


def load_gate(path: str | os.PathLike[str]) -> dict[str, dict[str, float]]:
    """Read a JSON gate file of DEFAULT_GATE's shape; InputError when unreadable or malformed."""
    return check_gate(_read_json(path, "gate file"), f"gate file {path}")


def load_report(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a report.json; InputError when it is unreadable, not JSON or not a JSON object."""
    report = _read_json(path, "report")
    if not isinstance(report, dict):
        raise InputError(f"report {path}: expected a JSON object as written by write_report")
    return report


def _is_metric(value: Any) -> bool:
    """A top-level numeric metric: a number, or null for an undefined one (dicts, lists, text are not)."""
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def rows_for(base: dict[str, Any], cand: dict[str, Any]) -> list[Row]:
    """(metric, base, candidate, candidate - base) for every numeric top-level metric in either report;
    a metric that is null (undefined) has None for its value and delta."""
    keys = [k for k in base if _is_metric(base[k])]
    keys += [k for k in cand if _is_metric(cand[k]) and k not in keys]
    rows = []
    for key in keys:
        if key.startswith("_") or key in STRUCTURED:
            continue
        b = base.get(key) if _is_metric(base.get(key)) else None
        c = cand.get(key) if _is_metric(cand.get(key)) else None
        rows.append((key, b, c, c - b if b is not None and c is not None else None))
    return rows


def _check_rule(metric: str, rule: str, limit: float, base: Any, cand: Any) -> str | None:
    """A failure message when `rule` breaks for `metric`, else None."""
    if base is None or cand is None:
        return None
    if rule == "max_drop" and base - cand > limit + EPSILON:
        return (f"{metric} fell by {base - cand:.4f} ({base:.4f} -> {cand:.4f}); "
                f"the gate allows at most {limit:g}")
    if rule == "max_rise" and cand - base > limit + EPSILON:
        return (f"{metric} rose by {cand - base:g} ({base:g} -> {cand:g}); "
                f"the gate allows at most {limit:g}")
    if rule == "max_value" and cand > limit + EPSILON:
        return f"{metric} is {cand:g} in the candidate; the gate allows at most {limit:g}"
    if rule == "min_value" and cand < limit - EPSILON:
        return f"{metric} is {cand:g} in the candidate; the gate requires at least {limit:g}"
    return None


def compare(base: dict[str, Any], cand: dict[str, Any],
            gate: dict[str, dict[str, float]] | None = None) -> tuple[list[Row], list[str]]:
    """Rows for every numeric metric and the failures of each gate rule (DEFAULT_GATE when gate is None)."""
    gate = check_gate(DEFAULT_GATE if gate is None else gate)
    failures = []
    for metric, rules in gate.items():
        for rule, limit in rules.items():
            needs_base = rule in ("max_drop", "max_rise")
            missing = [name for name, report in (("base", base), ("candidate", cand))
                       if metric not in report and (name == "candidate" or needs_base)]
            if missing:
                failures.append(f"{metric}: gate rule {rule} cannot be checked, the metric is missing "
                                f"from the {' and '.join(missing)} report (a typo in the gate file?)")
                continue
            b, c = base.get(metric), cand.get(metric)
            if not (_is_metric(c) and (_is_metric(b) or not needs_base)):
                failures.append(f"{metric}: gate rule {rule} needs a number, the report holds something else")
                continue
            message = _check_rule(metric, rule, limit, b, c)
            if message:
                failures.append(message)
    return rows_for(base, cand), failures


def _cell(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:+d}" if signed else str(value)
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def format_comparison(rows: list[Row], failures: list[str]) -> str:
    """A side-by-side table (metric, base, candidate, delta), then one PASS line or FAIL lines."""
    table = [("metric", "base", "candidate", "delta")]
    table += [(m, _cell(b), _cell(c), _cell(d, signed=True)) for m, b, c, d in rows]
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    lines = []
    for number, row in enumerate(table):
        lines.append("  ".join([row[0].ljust(widths[0])] + [v.rjust(w) for v, w in zip(row[1:], widths[1:],
                                                                                       strict=True)]))
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    if failures:
        lines += [f"FAIL: {message}" for message in failures]
    else:
        lines.append("PASS: every gate rule holds")
    return "\n".join(lines)
