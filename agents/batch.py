"""Batch coding: one chart (or gold chart) per input line, one CodingResult per output line, same
order. Safe to interrupt and rerun: it resumes after the last complete output line and never leaves a
half-written line. A line that cannot be read is reported with its line number and gets a placeholder
result (no codes, review required, reason input_error) so the output stays aligned with the input."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agents.coder import code_chart
from agents.context import RunContext
from agents.documents import chart_from_json
from knowledge.errors import ChartError, ChartproofError, InputError
from knowledge.schema import CodingResult, Meta, Review


@dataclass
class BatchReport:
    total: int = 0
    coded: int = 0
    resumed: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 JSON lines") from exc
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc


def completed_lines(out: Path) -> int:
    """Complete lines already in OUT; a trailing partial line (an interrupted write) is cut off."""
    if not out.exists():
        return 0
    data = out.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with out.open("r+b") as handle:
            handle.truncate(cut)
        data = data[:cut]
    return data.count(b"\n")


def run_batch(
    source: Path,
    out: Path,
    context: RunContext | None = None,
    on_error: Callable[[int, str], None] | None = None,
    progress: Callable[[Iterator[int], int], Iterator[int]] | None = None,
) -> BatchReport:
    lines = [line for line in read_lines(source)]
    report = BatchReport(total=sum(1 for line in lines if line.strip()))
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    out.parent.mkdir(parents=True, exist_ok=True)
    done = completed_lines(out)
    if done > len(numbered):
        raise InputError(f"{out} has more lines ({done}) than {source} has charts ({len(numbered)})")
    report.resumed = done
    indices: Iterator[int] = iter(range(done, len(numbered)))
    if progress is not None:
        indices = progress(indices, len(numbered) - done)
    with out.open("a", encoding="utf-8") as handle:
        for index in indices:
            line_no, line = numbered[index]
            result = _code_line(line, line_no, context, report, on_error)
            handle.write(result.model_dump_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    return report


def _code_line(
    line: str,
    line_no: int,
    context: RunContext | None,
    report: BatchReport,
    on_error: Callable[[int, str], None] | None,
) -> CodingResult:
    chart_id = None
    try:
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ChartError(f"not valid JSON: {exc.msg} at column {exc.colno}") from exc
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            chart_id = data["id"]
        chart = chart_from_json(data, source=f"line {line_no}")
        result = code_chart(chart, context)
        report.coded += 1
        return result
    except ChartproofError as exc:
        message = str(exc)
        if not message.startswith(f"line {line_no}"):
            message = f"line {line_no}: {message}"
        report.errors.append((line_no, message))
        if on_error is not None:
            on_error(line_no, message)
        return CodingResult(
            chart_id=chart_id,
            codes=[],
            findings=[],
            review=Review(required=True, reasons=["input_error"], priority=0),
            meta=Meta(engine="none", error=message),
        )
