"""What one app instance holds: settings, keys, metrics, the engine warm-up, the coding limiter and
the chat service. Built by create_app(), read by the dependencies in api/deps.py."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from api.auth import KeyRing
from api.config import ApiConfig
from api.errors import ServiceUnavailable, safe_traceback
from api.metrics import Metrics
from knowledge.errors import ChartproofError
from knowledge.settings import Settings

log = logging.getLogger("chartproof.api")

T = TypeVar("T")

# Loading the indexes and models is process-wide (agents caches them per data directory) and not
# safe to race: the first caller for a configuration does it under this lock, the others wait.
_READY_LOCK = threading.Lock()
_READY: set[tuple[Any, ...]] = set()


def _ready_key(settings: Settings) -> tuple[Any, ...]:
    return (str(settings.data_dir), settings.database_url, settings.llm_base_url, settings.chroma_url)


def ensure_ready(settings: Settings) -> None:
    """Load the search index, the engines and the audit store, and code one tiny chart so every lazy
    model is in memory (builds the indexes when they are missing). Idempotent; blocking."""
    key = _ready_key(settings)
    if key in _READY:
        return
    with _READY_LOCK:
        if key in _READY:
            return
        from agents.coder import code_chart
        from agents.context import RunContext
        from agents.services import get_services
        from knowledge.schema import Chart

        started = time.perf_counter()
        services = get_services(settings)
        services.store()
        code_chart(
            Chart(text="A/P: Essential hypertension, controlled."), RunContext(settings=settings, audit=False)
        )
        _READY.add(key)
        log.info("engine ready in %.1fs", time.perf_counter() - started)


def is_ready(settings: Settings) -> bool:
    return _ready_key(settings) in _READY


@dataclass
class ApiState:
    settings: Settings
    config: ApiConfig
    keys: KeyRing
    metrics: Metrics
    chat_factory: Callable[[Settings], Any] | None = None
    _chat: Any = None
    _chat_lock: threading.Lock = field(default_factory=threading.Lock)
    _limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = field(
        default_factory=weakref.WeakKeyDictionary
    )
    warm_error: str | None = None

    # -- the engine ------------------------------------------------------------------------------

    def store(self) -> Any:
        """The audit store the coding runs write to (blocking: call from a worker thread)."""
        from agents.services import get_services

        ensure_ready(self.settings)
        return get_services(self.settings).store()

    async def run_coding(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a CPU-bound coding call in a worker thread, at most config.code_concurrency at once."""
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters.setdefault(loop, asyncio.Semaphore(self.config.code_concurrency))
        async with limiter:
            return await run_in_threadpool(fn, *args)

    def warm_up(self) -> None:
        try:
            ensure_ready(self.settings)
            self.warm_error = None
        except ChartproofError as exc:
            self.warm_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            log.error("warm-up failed: %s", self.warm_error)
        except Exception as exc:  # reported by /healthz; requests retry the warm-up
            self.warm_error = type(exc).__name__
            log.error("warm-up failed: %s\n%s", type(exc).__name__, safe_traceback(exc))

    # -- chat ------------------------------------------------------------------------------------

    def chat(self) -> Any:
        """The chat service, built on first use (blocking: call from a worker thread)."""
        with self._chat_lock:
            if self._chat is None:
                factory = self.chat_factory or _default_chat_factory
                ensure_ready(self.settings)
                self._chat = factory(self.settings)
            return self._chat

    def close(self) -> None:
        with self._chat_lock:
            closer = getattr(self._chat, "close", None)
            if callable(closer):
                try:
                    closer()
                except Exception as exc:  # shutting down: say so and go on
                    log.warning("closing the chat service failed: %s", type(exc).__name__)
            self._chat = None


def _default_chat_factory(settings: Settings) -> Any:
    try:
        from agents.chat import ChatService
    except ImportError as exc:
        raise ServiceUnavailable("the chat assistant is not installed in this build") from exc
    return ChatService(settings)
