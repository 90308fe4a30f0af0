"""Confidence per code: a logistic model over how well the words fit the code, how the code was made,
its assertion, how much evidence it has and what the rule tool said about it.

The weights (data/confidence_weights.json) are fitted on evals/gold by `python -m evals.fit_confidence`
(logistic regression of "the code is in gold" on these features); they are data, not tuned per chart.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources

from agents.state import Proposal
from knowledge.schema import Finding

FEATURES = (
    "bias",
    "match",
    "coverage",
    "margin",
    "evidence",
    "combination",
    "supplement",
    "llm",
    "uncertain",
    "history",
    "family",
    "error",
    "warning",
    "principal",
    "diagnosis_section",
)


@lru_cache(maxsize=1)
def weights() -> dict[str, float]:
    text = resources.files("agents.data").joinpath("confidence_weights.json").read_text(encoding="utf-8")
    return {k: float(v) for k, v in json.loads(text)["weights"].items()}


def features(proposal: Proposal, findings: list[Finding]) -> dict[str, float]:
    f = proposal.features
    mine = [x for x in findings if proposal.code in x.codes]
    return {
        "bias": 1.0,
        "match": proposal.match,
        "coverage": f.get("coverage", 0.8),
        "margin": min(f.get("margin", 0.1), 0.4),
        "evidence": float(min(len(proposal.evidence) or len(proposal.quotes), 3)),
        "combination": float(proposal.source == "combination"),
        "supplement": float(proposal.source == "supplement"),
        "llm": float(proposal.source == "llm"),
        "uncertain": float(proposal.assertion == "uncertain"),
        "history": float(proposal.assertion == "historical"),
        "family": float(proposal.assertion == "family"),
        "error": float(sum(1 for x in mine if x.severity == "error")),
        "warning": float(sum(1 for x in mine if x.severity == "warning")),
        "principal": float(proposal.principal),
        "diagnosis_section": f.get("diagnosis_section", 1.0),
    }


def confidence(proposal: Proposal, findings: list[Finding]) -> float:
    w = weights()
    z = sum(w.get(name, 0.0) * value for name, value in features(proposal, findings).items())
    return round(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))), 3)
