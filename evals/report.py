"""Writing a scored report: report.json, report.md and PNG plots, each file replaced atomically.

Plots are drawn on a bare matplotlib Figure (the Agg renderer, no pyplot state), so writing a report
never opens a window and is safe from worker threads.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from evals.scoring import POINTS_KEY, public_report
from knowledge.errors import InputError

#: Headline metrics shown in report.md and by summary_table(), with their labels.
HEADLINE = (
    ("charts", "charts scored"),
    ("micro_precision", "micro precision"),
    ("micro_recall", "micro recall"),
    ("micro_f1", "micro F1"),
    ("category_f1", "category F1 (3-char)"),
    ("macro_f1_by_specialty", "macro F1 by specialty"),
    ("principal_accuracy", "principal accuracy"),
    ("perfect_chart_rate", "perfect chart rate"),
    ("automation_rate", "automation rate"),
    ("auto_accepted_perfect_rate", "auto-accepted perfect rate"),
    ("escalation_precision", "escalation precision"),
    ("escalation_recall", "escalation recall"),
    ("evidence_overlap_rate", "evidence overlap rate"),
    ("evidence_spans_not_verbatim", "evidence spans not verbatim"),
    ("schema_errors", "schema errors"),
    ("rule_errors_left", "rule errors left"),
    ("latency_ms", "latency ms (p50 / p95)"),
)

RELIABILITY_BINS = 10


# ---------------------------------------------------------------------------------------------
# Atomic files
# ---------------------------------------------------------------------------------------------


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], object]) -> Path:
    """Write `path` through a temporary file in the same directory, then os.replace it into place:
    readers see the old file or the complete new one, never half of one. The file keeps the mode of the
    one it replaces, else gets 0644 (a temporary file alone would be 0600)."""
    path = Path(path)
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = 0o644
    handle = tempfile.NamedTemporaryFile(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """atomic_write() of `data`."""
    return atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """atomic_write() of UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    """A metric value for people: 3 decimals, 'n/a' for an undefined metric, p50 / p95 for latency."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and {"p50", "p95"} <= value.keys():
        return f"{value['p50']:.1f} / {value['p95']:.1f}"
    return json.dumps(value)


def _specialty_rows(report: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    return [
        (name, str(m["charts"]), _fmt(m["precision"]), _fmt(m["recall"]), _fmt(m["f1"]))
        for name, m in sorted(report.get("per_specialty", {}).items())
    ]


def _aligned(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [str(c).rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        return "  ".join(cells).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def summary_table(report: dict[str, Any]) -> str:
    """The headline metrics and the per-specialty table as aligned plain text for a terminal."""
    headline = [(label, _fmt(report.get(key))) for key, label in HEADLINE if key in report]
    lines = _aligned(("metric", "value"), headline)
    specialties = _specialty_rows(report)
    if specialties:
        lines += ["", *_aligned(("specialty", "charts", "precision", "recall", "f1"), specialties)]
    return "\n".join(lines)


def _md_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def render_markdown(report: dict[str, Any]) -> str:
    """report.md: headline metrics, per-specialty table, tokens, ragas metrics and what was skipped."""
    lines = ["# Evaluation report", ""]
    headline = [(label, _fmt(report.get(key))) for key, label in HEADLINE if key in report]
    lines += _md_table(("metric", "value"), headline)
    lines += ["", "## By specialty", ""]
    lines += _md_table(("specialty", "charts", "precision", "recall", "F1"), _specialty_rows(report))
    tokens = report.get("tokens")
    if tokens:
        token_rows = [(k, _fmt(v), _fmt(tokens["per_chart"].get(k))) for k, v in tokens["total"].items()]
        lines += ["", "## Tokens", "", *_md_table(("key", "total", "per chart"), token_rows)]
    ragas = report.get("ragas") or {}
    if ragas:
        ragas_rows = [(k, _fmt(v)) for k, v in ragas.items()]
        lines += ["", "## ragas (no LLM)", "", *_md_table(("metric", "value"), ragas_rows)]
    if report.get("skipped"):
        lines += ["", "## Skipped", "", *(f"- {note}" for note in report["skipped"])]
    lines += ["", "Plots: f1_by_specialty.png, reliability.png, automation_tradeoff.png.", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Plot data
# ---------------------------------------------------------------------------------------------


def reliability_bins(points: list[dict[str, Any]], bins: int = RELIABILITY_BINS) -> list[dict[str, Any]]:
    """Predicted codes with a confidence, in `bins` equal-width bins over [0, 1] (1.0 in the last bin):
    per non-empty bin its range, count, mean confidence and the share of its codes that are in gold."""
    grouped: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for chart in points:
        for code in chart["codes"]:
            if code["confidence"] is None:
                continue
            confidence = min(max(code["confidence"], 0.0), 1.0)
            grouped[min(int(confidence * bins), bins - 1)].append((confidence, code["correct"]))
    return [
        {
            "low": i / bins,
            "high": (i + 1) / bins,
            "count": len(members),
            "mean_confidence": sum(c for c, _ in members) / len(members),
            "accuracy": sum(ok for _, ok in members) / len(members),
        }
        for i, members in enumerate(grouped)
        if members
    ]


def tradeoff_curve(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Automation against quality as a review threshold t moves over the predicted confidences (and 0).

    At threshold t a chart is auto-accepted when its result did not require review and every code has
    confidence >= t (a missing confidence counts as 0). Per t: automation_rate (auto-accepted share of
    all charts) and auto_accepted_perfect_rate (perfect share of those, None when there are none).
    """
    confidences = {c["confidence"] for p in points for c in p["codes"] if c["confidence"] is not None}
    curve = []
    for t in sorted(confidences | {0.0}):
        auto = [
            p for p in points
            if not p["review_required"] and all((c["confidence"] or 0.0) >= t for c in p["codes"])
        ]
        curve.append({
            "threshold": t,
            "automation_rate": len(auto) / len(points) if points else 0.0,
            "auto_accepted_perfect_rate": sum(p["perfect"] for p in auto) / len(auto) if auto else None,
        })
    return curve


# ---------------------------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------------------------


def _figure(width: float = 7.0, height: float = 4.5) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def _note(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")


def plot_f1_by_specialty(report: dict[str, Any]) -> bytes:
    """Horizontal bars: micro F1 per specialty, with the chart count beside each bar."""
    per = sorted(report.get("per_specialty", {}).items(), key=lambda kv: kv[1]["f1"])
    fig = _figure(7.0, max(2.5, 0.35 * len(per) + 1.2))
    ax = fig.subplots()
    if per:
        names = [name for name, _ in per]
        f1s = [m["f1"] for _, m in per]
        bars = ax.barh(names, f1s, color="#4c72b0")
        ax.bar_label(bars, labels=[f"{f:.2f} (n={m['charts']})" for f, (_, m) in zip(f1s, per, strict=True)],
                     padding=3, fontsize=8)
    else:
        _note(ax, "no specialties scored")
    ax.set_xlim(0, 1.15)
    ax.set_xlabel("micro F1 (exact code)")
    ax.set_title("F1 by specialty")
    return _png(fig)


def plot_reliability(points: list[dict[str, Any]]) -> bytes:
    """Reliability diagram: per confidence bin, the share of predicted codes that are in gold."""
    fig = _figure(5.5, 5.0)
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], linestyle="--", color="0.6", label="perfectly calibrated")
    bins = reliability_bins(points)
    if bins:
        ax.plot([b["mean_confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o",
                color="#c44e52", label="predicted codes")
        for b in bins:
            below = b["accuracy"] > 0.5  # keep the label inside the axes
            ax.annotate(f"n={b['count']}", (b["mean_confidence"], b["accuracy"]), textcoords="offset points",
                        xytext=(4, -10 if below else 5), fontsize=7)
    else:
        _note(ax, "no predicted code carries a confidence")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("confidence")
    ax.set_ylabel("share correct (code in gold)")
    ax.set_title("Reliability of code confidence")
    ax.legend(loc="upper left", fontsize=8)
    return _png(fig)


def plot_automation_tradeoff(points: list[dict[str, Any]]) -> bytes:
    """Automation rate against auto-accepted perfect rate as the confidence threshold rises."""
    fig = _figure(6.0, 4.5)
    ax = fig.subplots()
    curve = [c for c in tradeoff_curve(points) if c["auto_accepted_perfect_rate"] is not None]
    if curve:
        ax.plot([c["automation_rate"] for c in curve], [c["auto_accepted_perfect_rate"] for c in curve],
                marker="o", markersize=3, color="#55a868")
        for c in (curve[0], curve[len(curve) // 2], curve[-1]):
            ax.annotate(f"t={c['threshold']:.2f}", (c["automation_rate"], c["auto_accepted_perfect_rate"]),
                        textcoords="offset points", xytext=(4, 4), fontsize=7)
    else:
        _note(ax, "no chart is auto-accepted at any threshold")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("automation rate (auto-accepted charts)")
    ax.set_ylabel("auto-accepted perfect rate")
    ax.set_title("Automation vs quality over review threshold")
    return _png(fig)


# ---------------------------------------------------------------------------------------------
# write_report()
# ---------------------------------------------------------------------------------------------


def write_report(report: dict[str, Any], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write report.json (indent 1, private keys stripped), report.md and the PNG plots into out_dir.

    f1_by_specialty.png is always drawn; reliability.png and automation_tradeoff.png need the per-code
    data score() returns under its private key and are left out for a report read back from JSON.
    Returns the paths written, in that order.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create report directory {out}: {exc.strerror or exc}") from exc
    public = public_report(report)
    points = report.get(POINTS_KEY)
    files: list[tuple[str, Callable[[], bytes]]] = [
        ("report.json", lambda: (json.dumps(public, indent=1) + "\n").encode("utf-8")),
        ("report.md", lambda: render_markdown(public).encode("utf-8")),
        ("f1_by_specialty.png", lambda: plot_f1_by_specialty(public)),
    ]
    if points is not None:
        files += [
            ("reliability.png", lambda: plot_reliability(points)),
            ("automation_tradeoff.png", lambda: plot_automation_tradeoff(points)),
        ]
    written = []
    for name, render in files:
        data = render()
        try:
            written.append(atomic_write_bytes(out / name, data))
        except OSError as exc:
            raise InputError(f"cannot write {out / name}: {exc.strerror or exc}") from exc
    return written
