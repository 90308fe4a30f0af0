"""The FastAPI application: REST for review tools, SSE chat, the coder web page.

    create_app(settings)        # a new app (tests, embedding)
    uvicorn api.app:app         # the app for the process settings (CHARTPROOF_* environment)

`chartproof serve` is the usual way to start it.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from api.auth import KeyRing, parse_api_keys
from api.config import ApiConfig
from api.deps import require_caller
from api.errors import install_error_handlers
from api.metrics import Metrics
from api.middleware import BodyLimitMiddleware, RequestLogMiddleware
from api.routes import check, code, codes, health, reviews, threads
from api.state import ApiState
from knowledge.settings import Settings, get_settings

STATIC = Path(__file__).parent / "static"
VERSION = "0.1.0"

_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-cache",
}

DESCRIPTION = """\
chartproof codes clinical charts with ICD-10-CM and shows its work: every code carries the words of
the chart that support it, the guideline that governs it, the rule checks it passed and a confidence;
what needs a person goes to the review queue with reasons.

When the server has `CHARTPROOF_API_KEYS`, every `/v1` route needs an `X-API-Key` header.
Errors are `application/problem+json` (RFC 9457).
"""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state: ApiState = app.state.chartproof
    if state.config.warm_up:
        threading.Thread(target=state.warm_up, name="chartproof-warm-up", daemon=True).start()
    yield
    await run_in_threadpool(state.close)


def create_app(
    settings: Settings | None = None,
    config: ApiConfig | None = None,
    *,
    chat_factory: Callable[[Settings], Any] | None = None,
) -> FastAPI:
    """A new app. `chat_factory(settings)` builds the chat service (default: agents.chat.ChatService)."""
    settings = settings or get_settings()
    config = config or ApiConfig()
    metrics = Metrics()
    state = ApiState(
        settings=settings,
        config=config,
        keys=KeyRing(parse_api_keys(settings.api_keys)),
        metrics=metrics,
        chat_factory=chat_factory,
    )
    app = FastAPI(
        title="chartproof",
        version=VERSION,
        description=DESCRIPTION,
        lifespan=_lifespan,
        docs_url=None,  # served below from the swagger-ui package: no CDN, so it works offline
        redoc_url=None,
    )
    app.state.chartproof = state
    install_error_handlers(app)

    for module in (code, check, codes, reviews, threads):  # every /v1 route: the API key check
        app.include_router(module.router, dependencies=[Depends(require_caller)])
    app.include_router(health.router)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_docs(app)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html", headers=_PAGE_HEADERS)

    # Added last = outermost: the request log sees every answer, 413s and last-resort 500s included.
    app.add_middleware(BodyLimitMiddleware, max_bytes=config.max_body_bytes)
    app.add_middleware(RequestLogMiddleware, metrics=metrics)
    return app


def _add_docs(app: FastAPI) -> None:
    """OpenAPI docs at /docs with Swagger UI's files from the swagger-ui-bundle-v2 package (a CDN
    would leave the page blank on an offline machine); the CDN is only the fallback."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        swagger_ui_path = None
    assets: dict[str, str] = {}
    if swagger_ui_path is not None:
        app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
        assets = {
            "swagger_js_url": "/docs-assets/swagger-ui-bundle.js",
            "swagger_css_url": "/docs-assets/swagger-ui.css",
            "swagger_favicon_url": "/docs-assets/favicon-32x32.png",
        }

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="chartproof API", **assets)


def __getattr__(name: str) -> Any:
    """`api.app:app` for uvicorn, built on first access (not at import)."""
    if name == "app":
        app = create_app()
        globals()["app"] = app
        return app
    raise AttributeError(name)
