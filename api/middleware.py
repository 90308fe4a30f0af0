"""Pure ASGI middleware (no BaseHTTPMiddleware: it would buffer the SSE streams).

- RequestLogMiddleware: metrics and one log line per request (method, route template, status,
  milliseconds; never a body or a query string), a few security headers, and the last-resort 500
  that answers problem+json without a stack trace.
- BodyLimitMiddleware: 413 for a body over the configured size, declared or streamed.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEM_JSON, problem_bytes, safe_traceback
from api.metrics import Metrics

log = logging.getLogger("chartproof.api")

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


async def _send_problem(send: Send, status: int, detail: str) -> None:
    body = problem_bytes(status, detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    raw = scope.get("path", "")
    return raw if raw in ("/", "/healthz", "/metrics") else "unmatched"


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 500, "started": False, "first_byte": None}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                state["first_byte"] = time.perf_counter()
                message["headers"] = [*message.get("headers", []), *_SECURITY_HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:  # the last resort: nothing unexpected leaks out, not even a message
            log.error(
                "unhandled %s on %s %s\n%s",
                type(exc).__name__,
                scope.get("method"),
                _route_template(scope),
                safe_traceback(exc),
            )
            state["status"] = 500
            if not state["started"]:
                await _send_problem(send, 500, "an unexpected error occurred; it has been logged")
        finally:
            method = scope.get("method", "")
            route = _route_template(scope)
            ended = state["first_byte"] or time.perf_counter()
            self.metrics.requests.labels(method, route, str(state["status"])).inc()
            self.metrics.latency.labels(method, route).observe(ended - started)
            log.info(
                "%s %s %s %.1fms", method, route, state["status"], (time.perf_counter() - started) * 1000
            )


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await _send_problem(send, 400, "the Content-Length header is not a number")
                return
            if size > self.max_bytes:
                await self._too_large(send)
                return
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): read up to the limit here, then replay it to the app.
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            total += len(body)
            if total > self.max_bytes:
                await self._too_large(send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        await _send_problem(
            send, 413, f"the request body is larger than the limit of {self.max_bytes:,} bytes"
        )
