"""Reading code references out of tabular notes: "type 1 diabetes mellitus (E10.-)", "(A00-B99)"."""

from __future__ import annotations

import re
from functools import cache

from knowledge.codeset import get_codeset
from knowledge.rules.mce import mce_edits

_CODE = r"[A-Z](?:[0-9][0-9A-Z]|[A-Z][0-9])(?:\.[0-9A-Z]{1,4})?"
_RANGE = re.compile(rf"\b({_CODE})\s*-\s*({_CODE})\b")
_SINGLE = re.compile(rf"\b({_CODE})(?:\.?-)?")
_PAREN = re.compile(r"\(([^()]*)\)")


def references(note: str) -> list[str]:
    """Code specs named in a note: "E10", "I50.4", "A00-B99" (ranges kept as ranges)."""
    specs: list[str] = []
    chunks = _PAREN.findall(note) or [note]
    for chunk in chunks:
        ranges = _RANGE.findall(chunk)
        specs.extend(f"{lo}-{hi}" for lo, hi in ranges)
        rest = _RANGE.sub(" ", chunk)
        specs.extend(m.group(1) for m in _SINGLE.finditer(rest))
    return specs


@cache
def lineage_notes(code: str, kind: str) -> tuple[tuple[str, str], ...]:
    """(level, note) for every note of `kind` (excludes1, excludes2, code_first, use_additional, code_also)
    at the code and each of its ancestors."""
    codeset = get_codeset()
    found: list[tuple[str, str]] = []
    for level in codeset.lineage(code):
        info = codeset.get(level)
        if info is None:
            continue
        found.extend((level, note) for note in getattr(info, kind))
    return tuple(found)


@cache
def is_manifestation(code: str) -> bool:
    """A manifestation code, which may never be principal or first-listed: for a billable code the
    MCE's manifestation list decides (it knows, e.g., that Charcot's joint M14.6- may be principal and
    that E08.- needs its underlying condition first); for a header, its title or an ancestor's says
    "in (other) diseases classified elsewhere"."""
    codeset = get_codeset()
    if codeset.is_billable(code):
        return "MANIFESTATION_AS_PDX" in mce_edits(code, 50, "U")
    return any(
        "classified elsewhere" in codeset.title(level).lower() and " in " in codeset.title(level).lower()
        for level in codeset.lineage(code)
    )
