"""Every error the API returns is application/problem+json (RFC 9457), mapped here once.

chartproof's own errors carry their HTTP status (knowledge/errors.py); request validation is 422
(400 for a body that is not JSON at all); anything unexpected is a bare 500 whose body and log line
never carry the request's content (a chart's text must not reach a log or leak back in a trace).
"""

from __future__ import annotations

import json
import logging
import traceback
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from agents.store import DuplicateAuditError
from knowledge.errors import (
    ChartError,
    ChartproofError,
    InputError,
    KnowledgeError,
    ModelError,
    NotFoundError,
    StorageError,
)

log = logging.getLogger("chartproof.api")

PROBLEM_JSON = "application/problem+json"
_TYPE_BASE = "urn:chartproof:problem:"

# (type slug, title) by error class, most specific first.
_KINDS: list[tuple[type[ChartproofError], str, str]] = [
    (DuplicateAuditError, "duplicate-audit-id", "Audit record already exists"),
    (ChartError, "invalid-chart", "Invalid chart"),
    (InputError, "invalid-input", "Invalid input"),
    (NotFoundError, "not-found", "Not found"),
    (KnowledgeError, "knowledge-unavailable", "Knowledge base unavailable"),
    (ModelError, "model-failed", "The language model failed"),
    (StorageError, "storage-unavailable", "Storage unavailable"),
]


class MalformedJSON(InputError):
    """A request body that is not JSON at all (400, unlike a well-formed but invalid one)."""

    status = 400


class ServiceUnavailable(ChartproofError):
    """A part of the service that is not installed or not ready (the chat agent, the engine)."""

    status = 503


def problem(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    type_: str = "about:blank",
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or _phrase(status),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_bytes(status: int, detail: str) -> bytes:
    """A problem document for middleware that answers before the app (413, 500)."""
    body = {"type": "about:blank", "title": _phrase(status), "status": status, "detail": detail}
    return json.dumps(body).encode()


def error_problem(exc: ChartproofError, instance: str | None = None) -> JSONResponse:
    slug, title = "error", "Error"
    for kind, kind_slug, kind_title in _KINDS:
        if isinstance(exc, kind):
            slug, title = kind_slug, kind_title
            break
    if isinstance(exc, ServiceUnavailable):
        slug, title = "unavailable", "Service unavailable"
    return problem(exc.status, one_line(str(exc)), title=title, type_=_TYPE_BASE + slug, instance=instance)


def one_line(message: str) -> str:
    lines = [line for line in message.strip().splitlines() if line.strip()]
    return lines[0][:1000] if lines else ""


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def safe_traceback(exc: BaseException) -> str:
    """The stack of an unexpected error (files, lines, functions) and its type, but not its message
    nor any local value, which may quote a chart."""
    frames = [
        f'  File "{f.filename}", line {f.lineno}, in {f.name}'
        for f in traceback.extract_tb(exc.__traceback__)
    ]
    return "\n".join([*frames, f"{type(exc).__module__}.{type(exc).__qualname__}"])


# -- handlers ----------------------------------------------------------------------------------------


async def _chartproof_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ChartproofError)
    if exc.status >= 500:
        log.warning("%s %s -> %d %s", request.method, request.url.path, exc.status, type(exc).__name__)
    return error_problem(exc, instance=request.url.path)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": [str(p) for p in err.get("loc", ())],
            "msg": str(err.get("msg", "")).removeprefix("Value error, "),
            "type": err.get("type", ""),
        }
        for err in exc.errors()
    ]  # no "input": it could be a chart's text
    if any(err["type"] == "json_invalid" for err in errors):
        return problem(
            400,
            "the request body is not valid JSON",
            title="Malformed JSON",
            type_=_TYPE_BASE + "malformed-json",
            instance=request.url.path,
        )
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(p for p in first["loc"] if p != "body") or "request"
    return problem(
        422,
        f"{where}: {first['msg']}",
        title="Invalid input",
        type_=_TYPE_BASE + "invalid-input",
        instance=request.url.path,
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    if detail == _phrase(exc.status_code):
        detail = None
    return problem(exc.status_code, detail, instance=request.url.path, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ChartproofError, _chartproof_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


# The OpenAPI description of the problem responses, for `responses=` on routes.
_PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": _phrase(status),
            "content": {PROBLEM_JSON: {"schema": _PROBLEM_SCHEMA}},
        }
        for status in statuses
    }
