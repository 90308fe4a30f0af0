"""A provider is a base URL, a model and a key: build the openai client from Settings."""

from __future__ import annotations

import openai

from knowledge.errors import ModelError
from knowledge.settings import Settings

# Local servers (llama.cpp, Ollama, vLLM) ignore the key, but the openai client insists on one.
PLACEHOLDER_KEY = "not-needed"


def llm_configured(settings: Settings) -> bool:
    """True when a server and a model are set, i.e. when the graph may use the LLM path."""
    return bool(settings.llm_base_url and settings.llm_model)


def make_client(settings: Settings) -> openai.OpenAI:
    """A client with the configured timeout and no built-in retries: the proposer retries itself,
    with the validation error fed back, and a slow server must fail fast so the graph can fall back."""
    if not llm_configured(settings):
        raise ModelError("no LLM is configured (set CHARTPROOF_LLM_BASE_URL and CHARTPROOF_LLM_MODEL)")
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else PLACEHOLDER_KEY
    return openai.OpenAI(
        base_url=settings.llm_base_url,
        api_key=key or PLACEHOLDER_KEY,
        timeout=settings.llm_timeout,
        max_retries=0,
    )
