"""The chat agent's system prompt: instructions, then the thread's chart and current codes.

The template is a `$name` string.Template, so chart text full of braces or dollar signs goes in
verbatim. Its version (sha256 prefix) is reported with every LLM answer, like the coding prompts.
The chart is cut to fit the token budget (the tools can still search all of it).
"""

from __future__ import annotations

import json
from string import Template

from agents.llm.tokens import count_tokens
from knowledge.schema import Chart, CodingResult
from prompts import load_prompt

_PROMPT = load_prompt("chat_assistant")  # prompts/chat_assistant.md, a `$name` string.Template
TEMPLATE = _PROMPT.text
VERSION = _PROMPT.version
_NO_CHART = "(this thread has no chart: answer questions about codes and guidelines only)"
_CUT = "\n[... the chart continues; use search_chart to read the rest ...]"


def system_prompt(chart: Chart | None, result: CodingResult | None, budget: int) -> str:
    """The system message for this thread, with the chart cut to about half of `budget` tokens."""
    if result is not None and result.codes:
        codes = ", ".join(f"{s.code} ({s.description})" for s in result.codes)
        codes += f"; audit id {result.meta.audit_id}" if result.meta.audit_id else ""
    else:
        codes = "not coded yet (code_chart codes it)"
    if chart is None:
        values = {"setting": "unknown", "patient": "unknown", "chart_id": "none", "chart": _NO_CHART}
    else:
        patient = json.dumps(chart.patient.model_dump(mode="json", exclude_none=True))
        values = {
            "setting": chart.setting,
            "patient": patient,
            "chart_id": chart.id or "none",
            "chart": _fit(chart.text, budget // 2),
        }
    return Template(TEMPLATE).substitute(codes=codes, **values)


def _fit(text: str, budget: int) -> str:
    if count_tokens(text) <= budget:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix within the budget
        middle = (low + high + 1) // 2
        if count_tokens(text[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    return text[:low] + _CUT
