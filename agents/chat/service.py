"""ChatService: threads about a chart, answered as a stream of ChatEvents.

    svc = ChatService(settings)
    thread_id = svc.create_thread(chart)            # chart or None -> uuid hex
    for event in svc.stream(thread_id, "why E11.22?"):
        ...                                         # token* tool* (error) token* message done
    svc.close()

Thread memory is the LangGraph checkpointer on the configured database (SQLite under the data
directory, or PostgreSQL), so any service instance on the same database continues any thread.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import ValidationError

from agents.chat.context import ChatContext
from agents.chat.events import EVENT_TYPES, ChatEvent
from agents.chat.graph import build_graph
from agents.chat.tools import DEFAULT_REVIEWER
from agents.llm.provider import llm_configured, make_client
from agents.services import get_services
from agents.store.checkpointer import close_checkpointer, open_checkpointer
from knowledge.errors import ChartError, ChartproofError, InputError, NotFoundError
from knowledge.schema import Chart
from knowledge.settings import Settings, get_settings

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4000
TOKEN_DELAY = 0.01  # seconds between chunks of a non-streamed answer, so a page visibly streams
_THREAD_ID = re.compile(r"^[0-9a-f]{32}$")


class ChatService:
    """Chat threads over one checkpointer. Safe to share between threads of one process."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        checkpointer: BaseCheckpointSaver | None = None,
        schema: str | None = None,
        token_delay: float = TOKEN_DELAY,
    ) -> None:
        """`checkpointer`: use this saver (the caller closes it) instead of opening the configured one;
        `schema` (PostgreSQL) puts the checkpoint tables in that schema."""
        self.settings = settings or get_settings()
        self._owns_saver = checkpointer is None
        self._saver = (
            checkpointer if checkpointer is not None else open_checkpointer(self.settings, schema=schema)
        )
        self._graph = build_graph(self._saver)
        self._client = make_client(self.settings) if llm_configured(self.settings) else None
        self._token_delay = token_delay

    # -- threads ------------------------------------------------------------------------------------------
    def create_thread(self, chart: Chart | dict[str, Any] | None = None, audit_id: str | None = None) -> str:
        """A new thread about `chart` (or about nothing in particular); its id is a uuid hex. With an
        `audit_id` the thread starts from that coding run (its chart unless one is given, and its
        codes), and decisions made in the chat are recorded on that audit record (NotFoundError
        when there is no such record)."""
        if isinstance(chart, dict):
            try:
                chart = Chart.model_validate(chart)
            except ValidationError as exc:
                raise ChartError(f"the chart is not valid: {exc.errors()[0]['msg']}") from exc
        result: dict[str, Any] | None = None
        if audit_id is not None:
            record = get_services(self.settings).store().get(audit_id)
            result = record.result
            if chart is None:
                chart = Chart.model_validate(record.chart)
        thread_id = uuid.uuid4().hex
        values: dict[str, Any] = {
            "chart": chart.model_dump(mode="json") if chart is not None else None,
            "result": result,
            "audit_id": audit_id,
            "messages": [],
        }
        # Written as the router's output: the thread exists, and its next turn starts at START.
        self._graph.update_state(self._config(thread_id), values, as_node="router")
        log.info("chat thread created thread=%s chart=%s", thread_id, chart is not None)
        return thread_id

    def get_thread(self, thread_id: str) -> dict[str, Any]:
        """The thread as it stands: chart, latest result, audit id, and the conversation."""
        values = self._values(thread_id)
        return {
            "thread_id": thread_id,
            "chart": values.get("chart"),
            "result": values.get("result"),
            "audit_id": values.get("audit_id"),
            "messages": _conversation(values.get("messages", [])),
        }

    def stream(self, thread_id: str, content: str, *, reviewer: str | None = None) -> Iterator[ChatEvent]:
        """The assistant's answer to `content` as events. Checks the thread and the message before
        returning (NotFoundError, InputError), so an API can answer 404/422 before it streams."""
        if not isinstance(content, str) or not content.strip():
            raise InputError("the message is empty")
        if len(content) > MAX_MESSAGE_CHARS:
            raise InputError(f"the message is longer than {MAX_MESSAGE_CHARS} characters")
        self._values(thread_id)
        who = (reviewer or DEFAULT_REVIEWER).strip()[:200] or DEFAULT_REVIEWER
        return self._turn(thread_id, content.strip(), who)

    def close(self) -> None:
        if self._owns_saver:
            close_checkpointer(self._saver)
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> ChatService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------------------
    def _turn(self, thread_id: str, content: str, reviewer: str) -> Iterator[ChatEvent]:
        context = ChatContext(
            settings=self.settings, reviewer=reviewer, client=self._client, token_delay=self._token_delay
        )
        values: dict[str, Any] = {}
        try:
            for mode, chunk in self._graph.stream(
                {"messages": [HumanMessage(content=content)]},
                self._config(thread_id),
                context=context,
                stream_mode=["custom", "values"],
            ):
                if mode == "custom":
                    if isinstance(chunk, dict) and chunk.get("type") in EVENT_TYPES:
                        yield ChatEvent(**chunk)
                else:
                    values = chunk
        except ChartproofError as exc:
            log.warning("chat turn failed thread=%s: %s", thread_id, type(exc).__name__)
            yield ChatEvent(type="error", data={"message": str(exc), "fallback": False})
            yield ChatEvent(type="done", data={"thread_id": thread_id, "audit_id": None})
            return
        except Exception as exc:  # never a half-open stream: say so and end it
            log.error("chat turn crashed thread=%s: %s", thread_id, type(exc).__name__)
            message = "the assistant failed on this message; please try again"
            yield ChatEvent(type="error", data={"message": message, "fallback": False})
            yield ChatEvent(type="done", data={"thread_id": thread_id, "audit_id": None})
            return
        last = values.get("messages", [])[-1:] or [None]
        answer = last[0].content if isinstance(last[0], AIMessage) else ""
        audit_id = values.get("audit_id")
        yield ChatEvent(
            type="message",
            data={
                "role": "assistant",
                "content": answer,
                "mode": values.get("mode", "router"),
                "audit_id": audit_id,
            },
        )
        yield ChatEvent(type="done", data={"thread_id": thread_id, "audit_id": audit_id})

    def _values(self, thread_id: str) -> dict[str, Any]:
        if not isinstance(thread_id, str) or not _THREAD_ID.match(thread_id):
            raise NotFoundError(f"no chat thread '{str(thread_id)[:64]}'")
        snapshot = self._graph.get_state(self._config(thread_id))
        if snapshot.created_at is None:
            raise NotFoundError(f"no chat thread '{thread_id}'")
        return dict(snapshot.values)

    @staticmethod
    def _config(thread_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": thread_id}}


def _conversation(messages: list[Any]) -> list[dict[str, str]]:
    """The coder's messages and the assistant's answers (tool traffic left out)."""
    out = []
    for message in messages:
        if isinstance(message, HumanMessage):
            out.append({"role": "user", "content": str(message.content)})
        elif isinstance(message, AIMessage) and not message.tool_calls and message.content:
            out.append({"role": "assistant", "content": str(message.content)})
    return out
