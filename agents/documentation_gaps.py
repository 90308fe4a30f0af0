"""Documentation gaps: where the chart blocks a more specific or compliant code, a suggested
non-leading provider query (open question, every clinically reasonable option, "undetermined").

Gaps are data (data/documentation_gaps.jsonl): codes that trigger them, optional patterns the text
must or must not contain, the topic and the query.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from knowledge.codeset import get_codeset
from knowledge.schema import CodeSuggestion, DocumentationGap


@dataclass(frozen=True)
class GapRule:
    id: str
    topic: str
    query: str
    guideline: str
    when: tuple[str, ...] = ()
    prefix: tuple[str, ...] = ()
    title_any: tuple[str, ...] = ()
    requires_text: re.Pattern[str] | None = None
    unless_text: re.Pattern[str] | None = None
    unless_codes: tuple[str, ...] = ()

    def triggered_by(self, code: str) -> bool:
        if code in self.when:
            return True
        if self.prefix and code.startswith(self.prefix):
            title = get_codeset().title(code).lower()
            return any(t in title for t in self.title_any)
        return False


@lru_cache(maxsize=1)
def gap_rules() -> tuple[GapRule, ...]:
    text = resources.files("agents.data").joinpath("documentation_gaps.jsonl").read_text(encoding="utf-8")
    rules = []
    for line in text.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        rules.append(
            GapRule(
                id=row["id"],
                topic=row["topic"],
                query=row["query"],
                guideline=row.get("guideline", ""),
                when=tuple(row.get("when", ())),
                prefix=tuple(row.get("prefix", ())),
                title_any=tuple(row.get("title_any", ())),
                requires_text=re.compile(row["requires_text"], re.I) if row.get("requires_text") else None,
                unless_text=re.compile(row["unless_text"], re.I) if row.get("unless_text") else None,
                unless_codes=tuple(row.get("unless_codes", ())),
            )
        )
    return tuple(rules)


def find_gaps(codes: list[CodeSuggestion], text: str) -> list[DocumentationGap]:
    present = {c.code for c in codes}
    gaps: list[DocumentationGap] = []
    for rule in gap_rules():
        hits = [c for c in codes if rule.triggered_by(c.code)]
        if not hits:
            continue
        if rule.requires_text and not rule.requires_text.search(text):
            continue
        if rule.unless_text and rule.unless_text.search(text):
            continue
        if any(c in present for c in rule.unless_codes):
            continue
        evidence = [e.model_dump() for c in hits for e in c.evidence[:1]]
        gaps.append(DocumentationGap(topic=rule.topic, query=rule.query, evidence=evidence))
    return gaps
