"""The one call every surface uses to code a chart: CLI, batch, API, chat, evals."""

from __future__ import annotations

import time
from typing import Any

from agents.context import RunContext
from agents.graph import graph
from knowledge.schema import Chart, CodingResult


def code_chart(chart: Chart, context: RunContext | None = None) -> CodingResult:
    """Code one chart end to end (non-interactive): the CodingResult, audited unless context says not."""
    context = context or RunContext()
    state: dict[str, Any] = graph.invoke({"chart": chart, "started": time.time()}, context=context)
    return state["result"]
