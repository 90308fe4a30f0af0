"""prepare: the chart's sections and sentences, with offsets into the original text."""

from __future__ import annotations

import time
from typing import Any

from agents.sections import split_sections, split_sentences
from agents.state import CodingState


def prepare(state: CodingState) -> dict[str, Any]:
    text = state["chart"].text
    return {
        "sections": split_sections(text),
        "sentences": split_sentences(text),
        "revisions": 0,
        "dropped": [],
        "started": state.get("started") or time.time(),
    }
