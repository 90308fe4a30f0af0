"""Assertion of clinical mentions: affirmed, negated, historical, family, hypothetical, uncertain.

medspaCy's ConText algorithm with its default cues plus ours (data/context_rules.tsv: "ruled out",
"likely", "r/o", "s/p" and other cues clinical notes use). Targets are the spans the extractor found;
ConText decides which cues in the same sentence reach them.
"""

from __future__ import annotations

import csv
import threading
from functools import lru_cache
from importlib import resources
from typing import Any

from agents.state import Assertion, Span

# ConText attributes to our assertion labels, in precedence order when several apply.
_PRECEDENCE: tuple[tuple[str, Assertion], ...] = (
    ("is_negated", "negated"),
    ("is_family", "family"),
    ("is_hypothetical", "hypothetical"),
    ("is_uncertain", "uncertain"),
    ("is_historical", "historical"),
)
# Default cues we drop: ": no" ("Fever: no") because notes write "CXR: no consolidation" far more
# often than review-of-systems lines in that form.
_DROPPED = {": no"}


@lru_cache(maxsize=1)
def _pipeline() -> tuple[Any, Any, Any]:
    from loguru import logger

    logger.disable("PyRuSH")
    import medspacy
    from medspacy.context import ConText, ConTextRule

    nlp = medspacy.load()
    context = ConText(nlp, name="chartproof_context", rules=None)
    text = resources.files("agents.data").joinpath("context_rules.tsv").read_text(encoding="utf-8")
    ours = [
        ConTextRule(row["literal"], row["category"], direction=row["direction"])
        for row in csv.DictReader(text.splitlines(), delimiter="\t")
    ]
    # "pneumonia, probable." / "sepsis - suspected\n": a trailing cue reaches back to what it closes.
    for word in ("probable", "possible", "suspected", "likely", "presumed", "questionable"):
        for end in ({"IS_PUNCT": True}, {"IS_SPACE": True}):
            pattern = [{"LOWER": word}, end]
            ours.append(
                ConTextRule(
                    f"{word} (closing)",
                    "POSSIBLE_EXISTENCE",
                    direction="BACKWARD",
                    pattern=pattern,
                    max_scope=6,
                )
            )
    replaced = {rule.literal.lower() for rule in ours} | _DROPPED
    defaults = ConTextRule.from_json(context.DEFAULT_RULES_FILEPATH)
    context.add([r for r in defaults if r.literal.lower() not in replaced] + ours)
    return nlp, nlp.get_pipe("medspacy_pyrush"), context


# spaCy pipelines and PyRuSH keep per-call state: one chart at a time per process.
_LOCK = threading.Lock()


def warm_up() -> None:
    _pipeline()


def assert_spans(text: str, spans: list[Span]) -> list[Assertion]:
    """The assertion of each span of `text`. Overlapping spans are judged in separate passes."""
    labels: list[Assertion] = ["affirmed"] * len(spans)
    if not spans:
        return labels
    with _LOCK:
        return _judge(text, spans, labels)


def _judge(text: str, spans: list[Span], labels: list[Assertion]) -> list[Assertion]:
    nlp, splitter, context = _pipeline()
    doc = _with_line_breaks(splitter(nlp.make_doc(text)))
    pending = sorted(range(len(spans)), key=lambda i: (spans[i].start, -spans[i].end))
    while pending:
        batch: list[tuple[int, Any]] = []
        later: list[int] = []
        for i in pending:
            span = doc.char_span(spans[i].start, spans[i].end, label="PROBLEM", alignment_mode="expand")
            if span is None:
                continue
            if any(span.start < other.end and other.start < span.end for _, other in batch):
                later.append(i)
            else:
                batch.append((i, span))
        doc.ents = [span for _, span in batch]
        doc = context(doc)
        found = {(e.start, e.end): e for e in doc.ents}
        for i, span in batch:
            ent = found.get((span.start, span.end))
            if ent is not None:
                labels[i] = _label(ent)
        pending = later
    return labels


def _with_line_breaks(doc: Any) -> Any:
    """A cue never reaches across a line break or a semicolon: notes put one statement per line."""
    for i in range(1, len(doc)):
        previous = doc[i - 1]
        if "\n" in previous.text or "\n" in previous.whitespace_ or previous.text == ";":
            doc[i].is_sent_start = True
    return doc


_CATEGORY_LABEL: dict[str, Assertion] = {
    "NEGATED_EXISTENCE": "negated",
    "FAMILY": "family",
    "HYPOTHETICAL": "hypothetical",
    "POSSIBLE_EXISTENCE": "uncertain",
    "HISTORICAL": "historical",
}


def _label(ent: Any) -> Assertion:
    """The assertion from the cues outside the target: a cue inside it is part of the diagnosis's own
    wording ("osteoporosis without fracture", "migraine without aura")."""
    outside = {
        _CATEGORY_LABEL.get(m.category.upper())
        for m in ent._.modifiers
        if not (ent.start <= m.modifier_span[0] and m.modifier_span[1] <= ent.end)
    }
    for _, label in _PRECEDENCE:
        if label in outside:
            return label
    return "affirmed"
