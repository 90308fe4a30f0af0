"""extract: clinical statements with their assertion (medspaCy ConText), candidate codes for each
affirmed one from the hybrid index, and the guideline rules that govern the top candidates."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agents.assertion import assert_spans
from agents.context import RunContext
from agents.engine.statements import core_span, statements
from agents.sections import section_at
from agents.services import get_services
from agents.state import Candidate, CodingState, Mention, Section, Span
from knowledge.guidelines import rules_for_code


def extract(state: CodingState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    chart = state["chart"]
    found = statements(chart.text, state["sections"])
    cores = [core_span(chart.text, s.start, s.end) for s in found]
    part_cores = [[core_span(chart.text, a, b) for a, b in s.parts] for s in found]
    spans = [Span(start=a, end=b) for a, b in cores]
    spans += [Span(start=a, end=b) for ps in part_cores for a, b in ps]
    judged = assert_spans(chart.text, spans)
    labels, rest = judged[: len(found)], iter(judged[len(found) :])
    part_labels = [[next(rest) for _ in ps] for ps in part_cores]
    mentions = [
        Mention(
            start=s.start,
            end=s.end,
            text=s.text,
            assertion=label,
            section=s.section,
            section_title=_title(state["sections"], s.start),
            line=s.line,
            item=s.item,
            first=s.first,
            parts=[Span(start=a, end=b) for a, b in s.parts],
            part_assertions=plabels,
        )
        for s, label, plabels in zip(found, labels, part_labels, strict=True)
    ]
    services = get_services(runtime.context.settings if runtime.context else None)
    k = runtime.context.top_k if runtime.context else 5
    candidates: dict[int, list[Candidate]] = {}
    refs: dict[int, list[str]] = {}
    for i, mention in enumerate(mentions):
        if mention.assertion in ("negated", "hypothetical"):
            continue
        match = services.offline.matcher.top(mention.text)
        if match is None:
            continue
        ranked = [(match.code, match.description, match.score)]
        ranked += [(code, "", score) for code, score in match.alternatives[: k - 1]]
        codeset = services.offline.codeset
        candidates[i] = [Candidate(code=c, description=d or codeset.title(c), score=s) for c, d, s in ranked]
        refs[i] = [rule.id for rule in rules_for_code(match.code)[:2]]
    return {"mentions": mentions, "candidates": candidates, "guideline_refs": refs}


def _title(sections: list[Section], offset: int) -> str:
    found = section_at(sections, offset)
    return found.title if found is not None else ""
