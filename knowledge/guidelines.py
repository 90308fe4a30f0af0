"""The guideline corpus: the ICD-10-CM Official Guidelines FY2026 as rules in our own words.

Each record in knowledge/data/guidelines.jsonl has a stable id keyed by the official section
number (I.A.15, I.C.4.a.2, IV.H, with "-2", "-3" when a section has several rules), a title, the
rule, and the codes or code ranges it governs.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from importlib import resources

from pydantic import BaseModel, Field

from knowledge.codeset import get_codeset
from knowledge.errors import KnowledgeError

GUIDELINES_FILE = "guidelines.jsonl"
ID_PATTERN = re.compile(r"^(I|II|III|IV)(\.[A-Za-z0-9]+)*(-\d+)?$")


class GuidelineRule(BaseModel):
    id: str = Field(pattern=ID_PATTERN.pattern)
    section: str
    title: str
    rule: str
    codes: list[str] = Field(default_factory=list)
    chapter: str | None = None

    def governs(self, code: str) -> bool:
        codeset = get_codeset()
        return any(codeset.in_range(code, spec) for spec in self.codes)

    @property
    def document(self) -> str:
        return f"{self.section} {self.title}. {self.rule}"


def corpus_text() -> str:
    return resources.files("knowledge.data").joinpath(GUIDELINES_FILE).read_text(encoding="utf-8")


def corpus_hash() -> str:
    return hashlib.sha256(corpus_text().encode()).hexdigest()[:16]


@cache
def load_guidelines() -> tuple[GuidelineRule, ...]:
    rules = []
    for number, line in enumerate(corpus_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            rules.append(GuidelineRule.model_validate(json.loads(line)))
        except (ValueError, TypeError) as exc:
            raise KnowledgeError(f"{GUIDELINES_FILE} line {number}: {exc}") from exc
    return tuple(rules)


@cache
def guideline_index() -> dict[str, GuidelineRule]:
    return {rule.id: rule for rule in load_guidelines()}


def rules_for_code(code: str) -> list[GuidelineRule]:
    """The rules whose code ranges include `code`, most specific section first."""
    hits = [rule for rule in load_guidelines() if rule.codes and rule.governs(code)]
    return sorted(hits, key=lambda r: -r.section.count("."))
