"""Grounding: every evidence quote mapped to offsets in the original text.

Exact match first (nearest to the proposer's hint when the words occur more than once), then a match
that tolerates differences of whitespace and case. `text == chart[start:end]` holds for every span
this returns: offsets always index the original string.
"""

from __future__ import annotations

import re

from knowledge.schema import Evidence


def locate(text: str, quote: str, hint: int | None = None) -> Evidence | None:
    quote = quote.strip()
    if not quote:
        return None
    exact = _all(text, quote)
    if exact:
        start = min(exact, key=lambda s: abs(s - hint)) if hint is not None else exact[0]
        return Evidence(start=start, end=start + len(quote), text=text[start : start + len(quote)])
    pattern = r"\s+".join(re.escape(part) for part in quote.split())
    found = [m for m in re.finditer(pattern, text, re.IGNORECASE)]
    if not found:
        return None
    best = min(found, key=lambda m: abs(m.start() - hint)) if hint is not None else found[0]
    return Evidence(start=best.start(), end=best.end(), text=text[best.start() : best.end()])


def _all(text: str, quote: str) -> list[int]:
    starts, at = [], text.find(quote)
    while at >= 0:
        starts.append(at)
        at = text.find(quote, at + 1)
    return starts
