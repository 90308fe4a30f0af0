"""medspaCy ConText with our cues: every assertion label, and cues that must not reach a target."""

from __future__ import annotations

import pytest

from agents.assertion import assert_spans
from agents.state import Span


def judge(text: str, *targets: str) -> list[str]:
    spans = [Span(start=text.index(t), end=text.index(t) + len(t)) for t in targets]
    return assert_spans(text, spans)


@pytest.mark.parametrize(
    ("text", "target", "label"),
    [
        ("Denies chest pain.", "chest pain", "negated"),
        ("hs-troponin flat; NSTEMI ruled out.", "NSTEMI", "negated"),
        ("CXR: no consolidation.", "consolidation", "negated"),
        ("Chest pressure - likely stable angina.", "stable angina", "uncertain"),
        ("RLQ pain, r/o appendicitis", "appendicitis", "uncertain"),
        ("Father had an MI at 54.", "MI", "family"),
        ("h/o colon cancer s/p hemicolectomy", "colon cancer", "historical"),
        ("Return if fever develops.", "fever", "hypothetical"),
        ("Essential hypertension, controlled.", "Essential hypertension", "affirmed"),
        ("Mixed hyperlipidemia - not at goal", "Mixed hyperlipidemia", "affirmed"),
    ],
)
def test_labels(text: str, target: str, label: str) -> None:
    assert judge(text, target) == [label]


def test_a_cue_does_not_cross_a_line_break_or_a_contrast() -> None:
    text = "Denies chest pain\nDyspnea on exertion. No cough but has wheezing."
    assert judge(text, "chest pain", "Dyspnea", "cough", "wheezing") == [
        "negated",
        "affirmed",
        "negated",
        "affirmed",
    ]


def test_overlapping_spans_are_judged_separately() -> None:
    text = "No evidence of pulmonary embolism."
    spans = [Span(start=15, end=33), Span(start=25, end=33)]
    assert assert_spans(text, spans) == ["negated", "negated"]
