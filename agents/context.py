"""Per-run choices that travel with one coding run (the process-wide ones live in Settings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from knowledge.settings import Settings

EngineChoice = Literal["auto", "offline", "llm"]


@dataclass(frozen=True)
class RunContext:
    engine: EngineChoice = "auto"  # auto: the LLM when one is configured, else the offline engine
    max_revisions: int = 2
    top_k: int = 5
    interactive: bool = False  # pause at review with interrupt() for a coder's decision
    audit: bool = True  # write the append-only audit record at finalize
    settings: Settings | None = None  # None: the process settings (environment)
