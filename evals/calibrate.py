"""Per-specialty confidence thresholds: how a team phases in automation one specialty at a time.

For each specialty, the policy holds the lowest confidence threshold t (among the distinct predicted
confidences) at which the predicted codes with confidence >= t reach the target precision (share of
them that are in gold). A null threshold means no threshold reaches the target: keep that specialty in
review. "default" is the same computed over all specialties together.
"""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.report import atomic_write_text
from evals.scoring import build_charts, chart_points
from knowledge.errors import InputError


def threshold_for(codes: list[tuple[float, bool]], target_precision: float) -> dict[str, Any]:
    """{"threshold", "codes", "precision_at_threshold"} for (confidence, correct) pairs.

    threshold: the lowest distinct confidence t whose codes with confidence >= t have precision >=
    target (None when none does); codes: how many codes were considered; precision_at_threshold: that
    precision (None with no threshold).
    """
    for t in sorted({confidence for confidence, _ in codes}):
        kept = [correct for confidence, correct in codes if confidence >= t]
        precision = sum(kept) / len(kept)
        if precision >= target_precision:
            return {"threshold": t, "codes": len(codes), "precision_at_threshold": precision}
    return {"threshold": None, "codes": len(codes), "precision_at_threshold": None}


def calibrate(gold: Sequence[dict[str, Any]], results: Sequence[dict[str, Any]],
              target_precision: float = 0.95) -> dict[str, Any]:
    """A threshold policy per specialty and overall ("default") for `target_precision` (in (0, 1]).

    Uses every predicted ICD-10-CM code that carries a numeric confidence; a code is correct when it is
    in the chart's gold set. InputError for the same fatal input problems as score().
    """
    if isinstance(target_precision, bool) or not isinstance(target_precision, int | float) \
            or not 0 < target_precision <= 1:
        raise InputError(f"target precision must be a number in (0, 1], got {target_precision!r}")
    by_specialty: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for chart in chart_points(build_charts(gold, results)):
        pairs = by_specialty[chart["specialty"]]  # every gold specialty gets an entry, even with no codes
        for code in chart["codes"]:
            if code["confidence"] is not None and math.isfinite(code["confidence"]):
                pairs.append((code["confidence"], code["correct"]))
    everything = [pair for pairs in by_specialty.values() for pair in pairs]
    return {
        "target_precision": float(target_precision),
        "specialties": {
            name: threshold_for(by_specialty[name], target_precision) for name in sorted(by_specialty)
        },
        "default": threshold_for(everything, target_precision),
    }


def write_policy(policy: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a calibrate() policy as indented JSON, atomically (temp file + os.replace)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write_text(path, json.dumps(policy, indent=1) + "\n")
    except OSError as exc:
        raise InputError(f"cannot write policy file {path}: {exc.strerror or exc}") from exc
