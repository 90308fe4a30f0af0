"""The chat assistant about a chart: a LangGraph graph (agents/chat/graph.py) answering with tools
(agents/chat/tools.py), by a deterministic intent router when no LLM is configured and by a
tool-calling LLM agent when one is; threads persist in the LangGraph checkpointer."""

from agents.chat.events import ChatEvent
from agents.chat.service import ChatService

__all__ = ["ChatEvent", "ChatService"]
