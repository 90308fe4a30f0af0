"""The chat thread's state, kept by the LangGraph checkpointer: the conversation, the chart, and its
latest coding result with that run's audit id. The chart and result are stored as their JSON shapes
(chart.schema.json, result.schema.json) so any checkpointer serialises them as plain data."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

Mode = Literal["router", "llm"]


class ChatInput(TypedDict):
    """What one turn brings in: the coder's message."""

    messages: Annotated[list[AnyMessage], add_messages]


class ChatState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    chart: dict[str, Any] | None  # knowledge.schema.Chart as JSON; None for a thread without a chart
    result: dict[str, Any] | None  # the latest knowledge.schema.CodingResult as JSON
    audit_id: str | None  # that result's audit record, where review decisions go
    mode: Mode  # who wrote the last answer: the deterministic router or the LLM agent
