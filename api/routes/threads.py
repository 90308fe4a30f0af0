"""Chat threads about a chart: create one, then post messages and read the answer as a
text/event-stream (event = the ChatEvent type: token, tool, message, done, error; data = JSON).

An error event with "fallback": true is followed by the built-in assistant's answer; one with
"fallback": false ends the stream."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.bodies import ChartSchema, chart_from_data
from api.deps import CallerDep, StateDep
from api.errors import one_line, problems
from knowledge.errors import ChartproofError

log = logging.getLogger("chartproof.api")
router = APIRouter(prefix="/v1", tags=["chat"])

_END = object()


class ThreadRequest(BaseModel):
    """`{"chart": {...}}`, or the chart itself (a body with "text"), or nothing."""

    model_config = ConfigDict(extra="allow")

    chart: Annotated[dict[str, Any], ChartSchema] | None = Field(
        default=None, description="The chart to talk about (optional; a thread can start without one)."
    )
    audit_id: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{32}$",
        description="An existing coding run: the thread starts from its chart and codes, and decisions "
        "made in the chat are recorded on that audit record.",
    )

    def chart_data(self) -> dict[str, Any] | None:
        if self.chart is not None:
            return self.chart
        extra = self.model_extra or {}
        return {k: v for k, v in extra.items() if k != "audit_id"} if "text" in extra else None


class ThreadCreated(BaseModel):
    thread_id: str


class MessageRequest(BaseModel):
    content: str = Field(min_length=1, max_length=4000, examples=["why E11.22 and not E11.9?"])

    @field_validator("content")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the message is empty")
        return value


@router.post(
    "/threads",
    response_model=ThreadCreated,
    status_code=201,
    summary="Start a chat thread",
    responses=problems(400, 401, 413, 422, 503),
)
async def create_thread(state: StateDep, body: ThreadRequest | None = None) -> ThreadCreated:
    data = body.chart_data() if body is not None else None
    chart = chart_from_data(data) if data is not None else None
    chat = await run_in_threadpool(state.chat)
    audit_id = body.audit_id if body is not None else None
    thread_id = await run_in_threadpool(chat.create_thread, chart, audit_id)
    return ThreadCreated(thread_id=str(thread_id))


def _event(kind: str, data: Any) -> ServerSentEvent:
    return ServerSentEvent(data=json.dumps(data, ensure_ascii=False, default=str), event=kind)


def _parts(event: Any) -> tuple[str, Any]:
    if isinstance(event, dict):
        return str(event.get("type", "message")), event.get("data", {})
    return str(getattr(event, "type", "message")), getattr(event, "data", {})


@router.post(
    "/threads/{thread_id}/messages",
    summary="Ask the assistant; the answer streams back as server-sent events",
    responses={
        200: {
            "description": "A text/event-stream of events: token, tool, message, done (or error).",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **problems(400, 401, 404, 413, 422, 503),
    },
)
async def post_message(
    thread_id: Annotated[str, Path(min_length=1, max_length=128)],
    body: MessageRequest,
    state: StateDep,
    caller: CallerDep,
) -> EventSourceResponse:
    chat = await run_in_threadpool(state.chat)
    # Decisions the assistant records (accept, reject, edit) name the caller's API key as reviewer.
    opened = await run_in_threadpool(partial(chat.stream, thread_id, body.content, reviewer=caller.name))
    stream: Iterator[Any] = iter(opened)
    # The first event is read before answering, so an unknown thread is a 404, not a broken stream.
    first = await run_in_threadpool(next, stream, _END)

    async def events() -> AsyncIterator[ServerSentEvent]:
        event, last = first, None
        try:
            while event is not _END:
                last, data = _parts(event)
                yield _event(last, data)
                if last == "done":
                    break
                event = await run_in_threadpool(next, stream, _END)
        except ChartproofError as exc:
            last = "error"
            yield _event("error", {"message": one_line(str(exc)), "status": exc.status, "fallback": False})
        except Exception as exc:  # a broken tool must not kill the connection without a word
            log.error("chat stream failed on thread %s: %s", thread_id[:40], type(exc).__name__)
            last = "error"
            yield _event(
                "error",
                {"message": "the assistant failed; it has been logged", "status": 500, "fallback": False},
            )
        finally:  # on a client that went away too; the generator may still be running in its thread
            closer = getattr(stream, "close", None)
            if callable(closer):
                with suppress(ValueError):
                    closer()
        if last not in ("done", "error"):
            yield _event("done", {})

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store"})
