"""The LLM path: an optional proposer behind the same interface as the offline engine.

It talks to any OpenAI-compatible server (OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp) through the
openai client, and raises ModelError whenever the graph should fall back to the offline engine.
"""

from agents.llm.proposer import LLMProposer
from agents.llm.provider import llm_configured

__all__ = ["LLMProposer", "llm_configured"]
