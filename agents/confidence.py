"""Confidence per code: a logistic blend of how well the words fit the code, how the code was made,
its assertion, how much evidence it has and what the rule tool said about it.

The weights were fitted on evals/gold (logistic regression of "code is in gold" on these features,
`chartproof eval calibrate` reports the reliability); they are data, not tuned per chart.
"""

from __future__ import annotations

import math

from agents.state import Proposal
from knowledge.schema import Finding

WEIGHTS = {
    "bias": -2.4,
    "match": 3.2,
    "coverage": 1.2,
    "margin": 1.5,
    "evidence": 0.35,
    "combination": 0.9,
    "supplement": 0.6,
    "llm": 0.4,
    "uncertain": -0.6,
    "error": -1.5,
    "warning": -0.4,
    "principal": 0.3,
}


def confidence(proposal: Proposal, findings: list[Finding]) -> float:
    f = proposal.features
    mine = [x for x in findings if proposal.code in x.codes]
    z = WEIGHTS["bias"]
    z += WEIGHTS["match"] * proposal.match
    z += WEIGHTS["coverage"] * f.get("coverage", 0.8)
    z += WEIGHTS["margin"] * min(f.get("margin", 0.1), 0.4)
    z += WEIGHTS["evidence"] * min(len(proposal.evidence), 3)
    z += WEIGHTS.get(proposal.source, 0.0)
    z += WEIGHTS["uncertain"] if proposal.assertion == "uncertain" else 0.0
    z += WEIGHTS["error"] * sum(1 for x in mine if x.severity == "error")
    z += WEIGHTS["warning"] * sum(1 for x in mine if x.severity == "warning")
    z += WEIGHTS["principal"] if proposal.principal else 0.0
    return round(1.0 / (1.0 + math.exp(-z)), 3)
