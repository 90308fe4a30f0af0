"""Settings only the HTTP service reads (env prefix CHARTPROOF_, like the process settings)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHARTPROOF_", env_ignore_empty=True, extra="ignore")

    max_body_bytes: int = Field(
        default=1_000_000, ge=1024, description="Largest request body accepted; larger ones get 413."
    )
    # 1 by default: the coding graph's assertion step (medspaCy/PyRuSH in agents/assertion.py) shares
    # one pipeline that breaks when two threads use it at once (IndexError inside PyRuSH). The offline
    # engine is CPU-bound, so under the GIL more threads would not code faster anyway; raise it for an
    # LLM engine once that pipeline is guarded.
    code_concurrency: int = Field(
        default=1, ge=1, le=64, description="Coding runs at once per process (CHARTPROOF_CODE_CONCURRENCY)."
    )
    warm_up: bool = Field(
        default=True, description="Load the indexes and models at start-up, before the first request."
    )
