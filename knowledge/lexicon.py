"""The clinical abbreviation and synonym lexicon (knowledge/data/lexicon.tsv).

Clinicians write "DM2 w/ CKD 3b"; the tabular says "Type 2 diabetes mellitus with diabetic chronic
kidney disease" and "Chronic kidney disease, stage 3b". The lexicon bridges the two by expanding a
query with the tabular's vocabulary; it is data, loaded by code that does not change when it does.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from knowledge.text import words

LEXICON_FILE = "lexicon.tsv"


@dataclass(frozen=True)
class Expansion:
    term: str
    expansion: str
    kind: str  # abbreviation | synonym | modifier


@dataclass(frozen=True)
class Match:
    start: int  # token index in the query
    end: int
    expansions: tuple[Expansion, ...]


class Lexicon:
    def __init__(self, rows: list[Expansion]) -> None:
        self.rows = rows
        self._by_term: dict[tuple[str, ...], list[Expansion]] = {}
        for row in rows:
            key = tuple(words(row.term))
            if key:
                self._by_term.setdefault(key, []).append(row)
        self._longest = max((len(k) for k in self._by_term), default=1)

    def __len__(self) -> int:
        return len(self.rows)

    def matches(self, tokens: list[str]) -> list[Match]:
        """Greedy longest-first matches of lexicon terms in a token list."""
        found: list[Match] = []
        i = 0
        while i < len(tokens):
            for size in range(min(self._longest, len(tokens) - i), 0, -1):
                key = tuple(tokens[i : i + size])
                if key in self._by_term:
                    found.append(Match(i, i + size, tuple(self._by_term[key])))
                    i += size
                    break
            else:
                i += 1
        return found

    def expand(self, text: str) -> str:
        """The text followed by the expansions of every term found in it."""
        extra = [e.expansion for m in self.matches(words(text)) for e in m.expansions]
        return " ".join([text, *extra])


def lexicon_text() -> str:
    return resources.files("knowledge.data").joinpath(LEXICON_FILE).read_text(encoding="utf-8")


def lexicon_hash() -> str:
    return hashlib.sha256(lexicon_text().encode()).hexdigest()[:16]


@cache
def get_lexicon() -> Lexicon:
    reader = csv.DictReader(lexicon_text().splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    rows = [
        Expansion(r["term"].strip().lower(), r["expansion"].strip().lower(), r["kind"].strip())
        for r in reader
        if r.get("term") and r.get("expansion")
    ]
    return Lexicon(rows)
