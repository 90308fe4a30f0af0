"""Statement -> code: the hybrid code search, with coverage, over a statement and its parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from knowledge.codeset import get_codeset
from knowledge.search import CodeSearch
from knowledge.text import STOPWORDS, stem, words

ACCEPT = 0.75  # least share of a statement's concepts the code must say


@dataclass(frozen=True)
class Match:
    code: str
    description: str
    score: float
    coverage: float
    phrase: str
    alternatives: tuple[tuple[str, float], ...] = ()

    @property
    def margin(self) -> float:
        """How far the top code leads the runner-up (0.5 when there is none)."""
        return self.score - self.alternatives[0][1] if self.alternatives else 0.5

    def features(self) -> dict[str, float]:
        return {
            "score": round(self.score, 4),
            "coverage": round(self.coverage, 4),
            "margin": round(self.margin, 4),
        }

    @property
    def quality(self) -> float:
        """0-1: how well the words fit the code (coverage, and the margin over the runner-up)."""
        fit = 0.55 * self.coverage + 0.25 * min(self.score, 1.2) / 1.2 + min(self.margin, 0.3) * 0.7
        return max(0.0, min(1.0, fit))


@lru_cache(maxsize=1)
def noise_words() -> frozenset[str]:
    text = resources.files("agents.data").joinpath("noise_words.txt").read_text(encoding="utf-8")
    entries = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return frozenset(entries) | frozenset(stem(e) for e in entries if len(e) > 4)


@lru_cache(maxsize=1)
def qualifier_words() -> frozenset[str]:
    text = resources.files("agents.data").joinpath("qualifier_words.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def is_qualifier(phrase: str) -> bool:
    """A phrase that only says side, site, severity or timing ("right wrist", "moderate")."""
    content = [w for w in words(phrase) if w not in STOPWORDS and not w.isdigit()]
    return bool(content) and all(w in qualifier_words() for w in content)


_SUPPLEMENTS = (
    "folic acid",
    "folate",
    "iron",
    "ferrous sulfate",
    "vitamin d",
    "vitamin d3",
    "cholecalciferol",
    "ergocalciferol",
    "calcium",
    "calcium carbonate",
    "magnesium",
    "potassium chloride",
    "kcl",
    "b12",
    "cyanocobalamin",
    "multivitamin",
    "mvi",
    "thiamine",
    "fish oil",
    "melatonin",
    "docusate",
    "senna",
    "miralax",
    "polyethylene glycol",
    "tylenol",
    "acetaminophen",
    "normal saline",
    "lactated ringer",
)


@lru_cache(maxsize=1)
def drug_words() -> frozenset[str]:
    """Every word of a drug or supplement name: a statement made only of these names a treatment."""
    text = resources.files("agents.data").joinpath("medications.tsv").read_text(encoding="utf-8")
    names = [line.split("\t", 1)[0] for line in text.splitlines()[1:] if line.strip()]
    return frozenset(w for name in [*names, *_SUPPLEMENTS] for w in words(name))


def names_a_drug(phrase: str) -> bool:
    content = clinical_words(phrase)
    return bool(content) and all(w in drug_words() for w in content)


def clinical_words(phrase: str) -> list[str]:
    """The words of a phrase that could name a condition (not stopwords, numbers or plan words)."""
    noise = noise_words()
    return [
        w
        for w in words(phrase)
        if w not in STOPWORDS and w not in noise and stem(w) not in noise and not w.isdigit() and len(w) > 1
    ]


class Matcher:
    def __init__(self, search: CodeSearch) -> None:
        self.search = search
        self.codeset = get_codeset()
        self._best = lru_cache(maxsize=4096)(self._lookup)

    def best(self, phrase: str, within: str | None = None) -> Match | None:
        """The top code for a phrase (None when nothing covers enough of it)."""
        match = self._best(phrase.strip(), within)
        return match if match is not None and match.coverage >= ACCEPT else None

    def top(self, phrase: str, within: str | None = None) -> Match | None:
        """The top code whatever its coverage."""
        return self._best(phrase.strip(), within)

    def _lookup(self, phrase: str, within: str | None) -> Match | None:
        if not clinical_words(phrase) or names_a_drug(phrase):
            return None
        keep: Callable[[str], bool] | None = None
        if within:
            ranges = within.split(",")
            keep = lambda code: any(self.codeset.in_range(code, r) for r in ranges)  # noqa: E731
        # fewer BM25 candidates than interactive lookup: the engine asks many short questions
        hits = self.search.rank_scored(
            phrase, 4, within=keep, dense=False, candidates=120 if keep is None else 600
        )
        if not hits:
            return None
        top, coverage = hits[0]
        others = tuple((h.code, h.score) for h, _ in hits[1:])
        return Match(top.code, top.description, top.score, coverage, phrase, others)
