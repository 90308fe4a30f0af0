"""The review policy (data/review_policy.json, or CHARTPROOF_REVIEW_POLICY): when a coded chart goes
to a human coder, with machine-readable reasons, and its work-queue priority (0-100)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from knowledge.codeset import get_codeset
from knowledge.errors import InputError
from knowledge.schema import CodeSuggestion, DocumentationGap, Finding, Review


@dataclass(frozen=True)
class Policy:
    raw: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.raw.get("version", "unversioned"))

    def threshold(self, setting: str, specialty: str | None) -> float:
        value = float(self.raw.get("default", {}).get("min_confidence", 0.5))
        value = float(self.raw.get("settings", {}).get(setting, {}).get("min_confidence", value))
        spec = self.raw.get("specialties", {}).get(specialty or "", {})
        return float(spec.get("min_confidence", value))

    def always_review(self, specialty: str | None) -> bool:
        spec = self.raw.get("specialties", {}).get(specialty or "", {})
        return bool(spec.get("always_review", self.raw.get("default", {}).get("always_review", False)))

    def enabled(self, reason: str) -> bool:
        return reason in self.raw.get("review_on", [])


@lru_cache(maxsize=4)
def load_policy(path: str | None = None) -> Policy:
    try:
        if path:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        else:
            raw = json.loads(resources.files("agents.data").joinpath("review_policy.json").read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read the review policy {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise InputError("the review policy must be a JSON object")
    return Policy(raw)


def high_risk(policy: Policy, codes: list[CodeSuggestion], text: str) -> list[str]:
    codeset = get_codeset()
    found = []
    for rule in policy.raw.get("high_risk", []):
        by_code = any(
            any(codeset.in_range(c.code, spec) for spec in rule.get("codes", [])) for c in codes
        ) or (rule.get("code_pattern") and any(re.search(rule["code_pattern"], c.code) for c in codes))
        if not by_code:
            continue
        if rule.get("text") and not re.search(rule["text"], text, re.IGNORECASE):
            continue
        found.append(rule["id"])
    return found


def decide(
    policy: Policy,
    *,
    codes: list[CodeSuggestion],
    findings: list[Finding],
    gaps: list[DocumentationGap],
    conflicts: list[str],
    setting: str,
    specialty: str | None,
    text: str,
    fallback: str | None = None,
) -> Review:
    reasons: list[str] = []
    weights = policy.raw.get("priority", {})
    priority = float(weights.get("base", 30))
    errors = sorted({f.rule for f in findings if f.severity == "error"})
    if errors and policy.enabled("rule_error"):
        reasons += [f"rule_error:{rule}" for rule in errors]
        priority += weights.get("rule_error", 25)
    if gaps and policy.enabled("documentation_gap"):
        reasons.append("documentation_gap")
        priority += weights.get("documentation_gap", 10) * min(len(gaps), 3)
    if conflicts and policy.enabled("conflicting_documentation"):
        reasons.append("conflicting_documentation")
        reasons += [f"conflict:{c}" for c in conflicts]
        priority += weights.get("conflicting_documentation", 20)
    risks = high_risk(policy, codes, text)
    if risks and policy.enabled("high_risk"):
        reasons += [f"high_risk:{r}" for r in risks]
        priority += weights.get("high_risk", 25)
    threshold = policy.threshold(setting, specialty)
    low = [c.code for c in codes if c.confidence < threshold]
    if low and policy.enabled("low_confidence"):
        reasons += [f"low_confidence:{code}" for code in low]
        priority += weights.get("low_confidence", 10)
    if not codes and policy.enabled("no_codes"):
        reasons.append("no_codes")
    if policy.always_review(specialty) and policy.enabled("specialty_policy"):
        reasons.append(f"specialty_policy:{specialty}")
    if fallback and policy.enabled("engine_fallback"):
        reasons.append("engine_fallback")
    if setting == "inpatient":
        priority += weights.get("inpatient", 10)
    priority += weights.get("per_hcc", 5) * sum(1 for c in codes if c.hcc)
    required = bool(reasons)
    if not required:
        priority = min(priority, weights.get("auto_accept_max", 20))
    return Review(required=required, reasons=reasons, priority=int(max(0, min(100, round(priority)))))
