"""Per-turn context of the chat graph (not checkpointed): settings, who is asking, the LLM client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.chat.tools import DEFAULT_REVIEWER
from knowledge.settings import Settings


@dataclass(frozen=True)
class ChatContext:
    settings: Settings
    reviewer: str = DEFAULT_REVIEWER  # recorded with every review decision made in the chat
    client: Any = None  # an openai.OpenAI when an LLM is configured; None = the deterministic router
    token_delay: float = 0.0  # seconds between chunks of an answer that was not streamed by a model
