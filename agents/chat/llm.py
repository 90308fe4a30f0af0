"""One model turn of the chat agent over the openai client: messages and tool schemas in, the text
and tool calls out, with the text streamed token by token when the server streams.

The request asks for a stream; a server that answers with one JSON body instead (some
OpenAI-compatible servers, the test stub) is read as a plain completion, and the caller chunks the
text. Every transport or server failure is a ModelError, so the graph can fall back to the
deterministic assistant.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from knowledge.errors import ModelError
from knowledge.settings import Settings

log = logging.getLogger(__name__)

MAX_ANSWER_TOKENS = 1024


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it


@dataclass
class Completion:
    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    streamed: bool = False  # the content already went out as tokens
    usage: dict[str, int] = field(default_factory=dict)


def complete(
    client: openai.OpenAI,
    settings: Settings,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    on_token: Callable[[str], None],
    *,
    final: bool = False,
) -> Completion:
    """Ask the model; `final` forbids further tool calls (tool_choice "none")."""
    request: dict[str, Any] = {
        "model": settings.llm_model,
        "messages": messages,
        "tools": tools,
        "tool_choice": "none" if final else "auto",
        "temperature": 0,
        "max_tokens": MAX_ANSWER_TOKENS,
        "stream": True,
    }
    try:
        with client.chat.completions.with_streaming_response.create(**request) as response:
            if "text/event-stream" in response.headers.get("content-type", ""):
                return _from_stream(response.parse(), on_token)
            return _from_body(ChatCompletion.model_validate(json.loads(response.read())))
    except openai.APITimeoutError as exc:
        raise ModelError(f"the LLM did not answer within {settings.llm_timeout:g} s") from exc
    except openai.APIConnectionError as exc:
        raise ModelError(f"cannot reach the LLM server at {settings.llm_base_url}") from exc
    except openai.APIStatusError as exc:
        raise ModelError(f"the LLM server answered HTTP {exc.status_code}") from exc
    except openai.OpenAIError as exc:
        raise ModelError(f"the LLM call failed: {type(exc).__name__}") from exc
    except (ValueError, KeyError, TypeError) as exc:  # a body that is not a chat completion
        raise ModelError(f"the LLM server sent an unreadable answer ({type(exc).__name__})") from exc


def _from_body(completion: ChatCompletion) -> Completion:
    if not completion.choices:
        raise ModelError("the LLM answered with no choices")
    message = completion.choices[0].message
    calls = [
        ToolCall(id=c.id, name=c.function.name, arguments=c.function.arguments or "{}")
        for c in message.tool_calls or []
        if c.type == "function"
    ]
    usage = (
        completion.usage.model_dump(include={"prompt_tokens", "completion_tokens"})
        if completion.usage
        else {}
    )
    return Completion(content=message.content or "", tool_calls=calls, usage=usage)


def _from_stream(stream: Any, on_token: Callable[[str], None]) -> Completion:
    """Stream the text out as it comes; gather the tool calls' pieces by their index."""
    text: list[str] = []
    calls: dict[int, dict[str, str]] = {}
    usage: dict[str, int] = {}
    for chunk in stream:
        if getattr(chunk, "usage", None):
            usage = chunk.usage.model_dump(include={"prompt_tokens", "completion_tokens"})
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        if delta.content:
            text.append(delta.content)
            on_token(delta.content)
        for piece in delta.tool_calls or []:
            call = calls.setdefault(piece.index, {"id": "", "name": "", "arguments": ""})
            if piece.id:
                call["id"] = piece.id
            if piece.function is not None:
                call["name"] += piece.function.name or ""
                call["arguments"] += piece.function.arguments or ""
    tool_calls = [
        ToolCall(id=c["id"] or f"call_{i}", name=c["name"], arguments=c["arguments"] or "{}")
        for i, c in sorted(calls.items())
    ]
    return Completion(content="".join(text), tool_calls=tool_calls, streamed=True, usage=usage)
