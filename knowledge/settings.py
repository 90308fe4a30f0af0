"""Process settings (pydantic-settings, env prefix CHARTPROOF_).

Per-run choices (engine, top-k, review policy) travel with each run; these are the process-wide ones.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("chartproof", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHARTPROOF_", env_ignore_empty=True, extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir, description="Indexes, audit and chat state.")
    chroma_url: str | None = Field(default=None, description="A Chroma server; unset = embedded store.")
    database_url: str | None = Field(default=None, description="PostgreSQL URL; unset = SQLite.")
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for one LLM answer.")
    llm_max_retries: int = Field(default=2, ge=0, le=5, description="Extra tries after invalid output.")
    llm_token_budget: int = Field(default=6000, ge=256, description="Max prompt tokens sent to the LLM.")
    api_keys: str | None = Field(default=None, description="Comma-separated name:key or key list.")
    embedding_threads: int = Field(default=2, ge=1, le=64)

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
