"""What a chat turn streams to its caller: tokens of the answer, one event per tool call, the full
message, and done (or an error first, when the LLM failed and the built-in assistant answers).

    token    {"text": "a few words "}
    tool     {"name": "explain_code", "arguments": {...}, "summary": "E11.22: 2 evidence spans", "ok": true}
    error    {"message": "...", "fallback": true}
    message  {"role": "assistant", "content": "...", "mode": "router" | "llm", "audit_id": ...}
    done     {"thread_id": "...", "audit_id": ...}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

EventType = Literal["token", "tool", "message", "done", "error"]
EVENT_TYPES: frozenset[str] = frozenset(get_args(EventType))
WORDS_PER_TOKEN = 4  # words per "token" event when an answer is streamed in chunks
_WORD = re.compile(r"\s*\S+\s*")


class ChatEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: EventType
    data: dict[str, Any] = Field(default_factory=dict)

    def sse(self) -> str:
        """The event as one server-sent-events frame."""
        return f"event: {self.type}\ndata: {json.dumps(self.data, ensure_ascii=False)}\n\n"


def chunks(text: str, words: int = WORDS_PER_TOKEN) -> Iterator[str]:
    """The text in pieces of a few words, whitespace kept, so that "".join(chunks(t)) == t."""
    pieces = _WORD.findall(text)
    if "".join(pieces) != text:  # leading whitespace only, or nothing but whitespace
        pieces = [text]
    for i in range(0, len(pieces), words):
        yield "".join(pieces[i : i + words])


def token(text: str) -> dict[str, Any]:
    return {"type": "token", "data": {"text": text}}


def tool(name: str, arguments: dict[str, Any], summary: str, ok: bool) -> dict[str, Any]:
    return {"type": "tool", "data": {"name": name, "arguments": arguments, "summary": summary, "ok": ok}}


def error(message: str, fallback: bool = True) -> dict[str, Any]:
    return {"type": "error", "data": {"message": message, "fallback": fallback}}
