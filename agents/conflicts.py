"""Conflicting documentation the coder must settle with the provider: the same condition written two
incompatible ways in affirmed statements (diabetes type 1 and type 2, left and right for one injury,
an acuity the assessment and another note disagree on)."""

from __future__ import annotations

import re

from agents.engine.diabetes import TYPE1, TYPE2
from agents.state import Mention

_DIABETES = re.compile(r"diabet|\bdm\b|t[12]dm|dm[12]\b|iddm", re.IGNORECASE)


def find_conflicts(mentions: list[Mention], codes: list[str]) -> list[str]:
    found: list[str] = []
    affirmed = [m for m in mentions if m.assertion in ("affirmed", "historical") and m.section != "fh"]
    diabetic = [m for m in affirmed if _DIABETES.search(m.text)]
    if any(TYPE1.search(m.text) for m in diabetic) and any(TYPE2.search(m.text) for m in diabetic):
        found.append("diabetes_type")
    if any(c.startswith("E10") for c in codes) and any(c.startswith("E11") for c in codes):
        if "diabetes_type" not in found:
            found.append("diabetes_type")
    injuries = [c for c in codes if c[0] in "ST" and len(c) >= 7]
    sites: dict[str, set[str]] = {}
    for code in injuries:
        sites.setdefault(code[:5], set()).add(code[5])
    if any(len(sides) > 1 for sides in sites.values()):
        found.append("laterality")
    return found
