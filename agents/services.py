"""Long-lived objects a coding run uses (search index, engines, audit store, policy), built once per
data directory and shared by every run of the process (CLI batch, API workers)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.engine.offline import OfflineEngine
from agents.policy import Policy, load_policy
from knowledge.search import get_search
from knowledge.settings import Settings, get_settings


@dataclass
class Services:
    settings: Settings
    offline: OfflineEngine
    policy: Policy
    _store: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def store(self) -> Any:
        """The audit store (SQLite under the data directory, or PostgreSQL), opened on first use."""
        with self._lock:
            if self._store is None:
                from agents.store import open_store

                self._store = open_store(self.settings)
            return self._store

    def llm(self) -> Any | None:
        """The LLM proposer when an OpenAI-compatible server is configured, else None."""
        from agents.llm.provider import llm_configured

        if not llm_configured(self.settings):
            return None
        from agents.llm.proposer import LLMProposer

        return LLMProposer(self.settings)


_SERVICES: dict[tuple[Path, str | None, str | None], Services] = {}
_LOCK = threading.Lock()


def get_services(settings: Settings | None = None) -> Services:
    settings = settings or get_settings()
    key = (settings.data_dir, settings.database_url, settings.llm_base_url)
    with _LOCK:
        if key not in _SERVICES:
            _SERVICES[key] = Services(settings, OfflineEngine(get_search(settings)), load_policy())
        return _SERVICES[key]


def reset_services() -> None:
    with _LOCK:
        for services in _SERVICES.values():
            if services._store is not None:
                services._store.close()
        _SERVICES.clear()
