"""Settings only the HTTP service reads (env prefix CHARTPROOF_, like the process settings)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHARTPROOF_", env_ignore_empty=True, extra="ignore")

    max_body_bytes: int = Field(
        default=1_000_000, ge=1024, description="Largest request body accepted; larger ones get 413."
    )
    code_concurrency: int = Field(
        default=4, ge=1, le=64, description="Coding runs at once per process (the engine is CPU-bound)."
    )
    warm_up: bool = Field(
        default=True, description="Load the indexes and models at start-up, before the first request."
    )
