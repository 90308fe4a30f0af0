"""Code search: hybrid ranking of billable ICD-10-CM codes for a clinical phrase.

1. The phrase is expanded with the abbreviation and synonym lexicon ("DM2 w/ CKD 3b" gains
   "type 2 diabetes mellitus", "with", "chronic kidney disease stage 3b").
2. BM25 over code titles and inclusion terms gives candidates.
3. A reranker scores each candidate on how much of the phrase it covers (each concept counted once,
   whichever of its spellings matched), how many title words the phrase did not ask for (so the
   least specific code that says everything asked for wins, and "unspecified" codes win when a detail
   is missing), laterality and encounter agreement, and the dense similarity of the phrase to the
   code's category (MiniLM in chromadb).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.codeset import CodeSet, get_codeset, normalize_code
from knowledge.errors import ChartproofError, InputError
from knowledge.indexes import ensure_indexes, lexical_dir
from knowledge.lexical_index import LexicalIndex
from knowledge.lexicon import Lexicon, get_lexicon
from knowledge.schema import LookupHit, LookupResult
from knowledge.settings import Settings, get_settings
from knowledge.text import STOPWORDS, fold, stem, terms, words
from knowledge.vector_store import CODE_CATEGORIES, client

SIDES = {"left": "left", "right": "right", "bilateral": "bilateral"}
ENCOUNTER_WORDS = {
    "initial": "initial",
    "init": "initial",
    "new": "initial",
    "subsequent": "subsequent",
    "subseq": "subsequent",
    "healing": "subsequent",
    "followup": "subsequent",
    "sequela": "sequela",
    "sequelae": "sequela",
    "late": "sequela",
}
# Title words the reranker treats as neutral: they say how a code is phrased, not what it adds.
NEUTRAL = frozenset(stem(w) for w in "type disease disorder condition uncomplicated site".split())
ENCOUNTER_TERMS = frozenset(stem(w) for w in "initial subsequent encounter sequela".split())
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
_RANGE = re.compile(r"\b(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\b")
_WITHOUT_CLAUSE = re.compile(r"\bwithout\b([^,;]*?)(?=,|;|\bwith\b|$)", re.IGNORECASE)
_ASKS_WITHOUT = re.compile(r"\b(?:without|w/o|no|non|not|absent)\b", re.IGNORECASE)
_CODE_QUERY = re.compile(r"^\s*[A-Za-z](?:[0-9][0-9A-Za-z]|[A-Za-z][0-9])\.?[0-9A-Za-z]{0,4}\s*$")

CANDIDATES = 600
DENSE_CATEGORIES = 12
DENSE_WEIGHT = 0.1


@dataclass
class Concept:
    """One thing the phrase asks for, with every spelling that counts as saying it."""

    alternatives: list[frozenset[str]]
    weight: float = 1.0


@dataclass
class Query:
    text: str
    concepts: list[Concept]
    search_terms: list[str]
    sides: set[str] = field(default_factory=set)
    encounter: str | None = None
    asked: frozenset[str] = frozenset()
    numbers: tuple[float, ...] = ()
    total_weight: float = 1.0


def analyse(text: str, lexicon: Lexicon, idf: dict[str, float]) -> Query:
    tokens = words(text)
    matches = lexicon.matches(tokens)
    concepts: list[Concept] = []
    covered: set[int] = set()
    expanded_words: list[str] = list(tokens)
    for match in matches:
        spelled = frozenset(terms(" ".join(tokens[match.start : match.end])))
        alternatives = [frozenset(terms(alt)) for e in match.expansions for alt in _alternatives(e.expansion)]
        expanded_words.extend(w for e in match.expansions for w in words(e.expansion))
        alternatives = [a for a in alternatives if a]
        if spelled:
            alternatives.append(spelled)
        if alternatives:
            concepts.append(Concept(alternatives))
        covered.update(range(match.start, match.end))
    for i, token in enumerate(tokens):
        if i not in covered and token not in STOPWORDS:
            concepts.append(Concept([frozenset([stem(token)])]))
    for concept in concepts:
        concept.weight = max(
            min(idf.get(t, 4.0) for t in alt) if alt else 0.0 for alt in concept.alternatives
        )
        concept.weight = max(0.5, min(concept.weight, 8.0))
    search_terms = [t for w in expanded_words if w not in STOPWORDS for t in [stem(w)]]
    sides = {SIDES[w] for w in expanded_words if w in SIDES}
    encounter = next((ENCOUNTER_WORDS[w] for w in expanded_words if w in ENCOUNTER_WORDS), None)
    if "follow" in expanded_words and "up" in expanded_words and encounter is None:
        encounter = "subsequent"
    asked = frozenset(t for c in concepts for alt in c.alternatives for t in alt) | frozenset(search_terms)
    numbers = tuple(float(n) for n in _NUMBER.findall(fold(text)))
    total_weight = sum(c.weight for c in concepts) or 1.0
    return Query(text, concepts, search_terms, sides, encounter, asked, numbers, total_weight)


def _alternatives(expansion: str) -> list[str]:
    """ "zoster [herpes zoster]" names one concept two ways: both are alternatives."""
    inner = re.findall(r"\[([^\]]+)\]", expansion)
    outer = re.sub(r"\[[^\]]*\]", " ", expansion).strip()
    return [text for text in [outer, *inner] if text.strip()]


def _title_sides(title: str) -> set[str]:
    ws = set(words(title))
    return {s for s in SIDES.values() if s in ws}


def _title_encounter(title: str) -> str | None:
    lowered = title.lower()
    if "initial encounter" in lowered:
        return "initial"
    if "subsequent encounter" in lowered:
        return "subsequent"
    if lowered.endswith("sequela"):
        return "sequela"
    return None


class CodeSearch:
    """Hybrid code search over the built indexes; one instance serves many queries."""

    def __init__(self, settings: Settings, use_dense: bool = True) -> None:
        ensure_indexes(settings)
        self.settings = settings
        self.codeset: CodeSet = get_codeset()
        self.lexicon = get_lexicon()
        self.index = LexicalIndex.load(lexical_dir(settings))
        self.positions = self.index.position()
        self.idf = self.index.idf
        self.categories = client(settings).get_collection(CODE_CATEGORIES) if use_dense else None
        self._negated: dict[int, frozenset[str]] = {}

    # -- public -------------------------------------------------------------------------------------
    def lookup(self, phrase: str, k: int = 10) -> LookupResult:
        if not phrase or not phrase.strip():
            raise InputError("empty phrase: give a diagnosis to look up, e.g. 'HTN with CKD 3b'")
        if k < 1 or k > 200:
            raise InputError(f"k must be between 1 and 200, not {k}")
        exact = self._exact(phrase)
        if exact is not None:
            return LookupResult(query=phrase, results=exact[:k])
        ranked = self.rank(phrase, k)
        return LookupResult(query=phrase, results=ranked)

    def rank(self, phrase: str, k: int) -> list[LookupHit]:
        return [hit for hit, _ in self.rank_scored(phrase, k)]

    def rank_scored(
        self,
        phrase: str,
        k: int,
        within: Callable[[str], bool] | None = None,
        dense: bool = True,
        candidates: int = CANDIDATES,
    ) -> list[tuple[LookupHit, float]]:
        """Ranked hits with their coverage: the share (0-1) of the phrase's concepts the code says.

        `within` keeps only codes it accepts (e.g. the family-history block); `dense=False` skips
        the embedding query (faster; the coding engine calls this for many short fragments).
        """
        query = analyse(phrase, self.lexicon, self.idf)
        found = self.index.search(query.search_terms, candidates)
        if not found:
            return []
        top_bm25 = found[0][1]
        similar = self._dense(phrase) if dense else {}
        scored: list[tuple[float, float, int]] = []
        for doc, bm25 in found:
            if within is not None and not within(self.index.codes[doc]):
                continue
            score, coverage = self._score(query, doc, bm25 / top_bm25, similar)
            scored.append((score, coverage, doc))
        scored.sort(key=lambda item: (-item[0], self.index.codes[item[2]]))
        return [
            (LookupHit(code=self.index.codes[d], description=self.index.titles[d], score=round(s, 4)), c)
            for s, c, d in scored[:k]
        ]

    # -- internals ------------------------------------------------------------------------------------
    def _exact(self, phrase: str) -> list[LookupHit] | None:
        if not _CODE_QUERY.match(phrase):
            return None
        try:
            code = normalize_code(phrase)
        except ChartproofError:
            return None
        if not self.codeset.is_valid(code):
            return None
        return [
            LookupHit(code=c, description=self.codeset.title(c), score=1.0)
            for c in self.codeset.billable_descendants(code)
        ]

    def _negated_terms(self, doc: int) -> frozenset[str]:
        """Terms the title names only in a "without ..." clause: asking for them is not a match
        ("septic shock" must not match "severe sepsis without septic shock")."""
        cached = self._negated.get(doc)
        if cached is None:
            title = self.index.titles[doc]
            clauses = _WITHOUT_CLAUSE.findall(title)
            negated = {t for clause in clauses for t in terms(clause)}
            rest = set(terms(_WITHOUT_CLAUSE.sub(" ", title)))
            cached = frozenset(negated - rest)
            self._negated[doc] = cached
        return cached

    def _dense(self, phrase: str) -> dict[str, float]:
        if self.categories is None:
            return {}
        result = self.categories.query(query_texts=[self.lexicon.expand(phrase)], n_results=DENSE_CATEGORIES)
        return {cid: 1.0 - dist for cid, dist in zip(result["ids"][0], result["distances"][0], strict=True)}

    def _score(self, query: Query, doc: int, bm25: float, dense: dict[str, float]) -> tuple[float, float]:
        title = self.index.titles[doc]
        code = self.index.codes[doc]
        have = self.index.all_terms[doc]
        if not _ASKS_WITHOUT.search(query.text):
            have = have - self._negated_terms(doc)
        in_title = self.index.title_terms[doc]
        coverage = 0.0
        for concept in query.concepts:
            best = 0.0
            for alt in concept.alternatives:
                hit = len(alt & have) / len(alt)
                if hit and alt <= in_title:
                    hit += 0.1
                best = max(best, hit)
            coverage += concept.weight * min(best, 1.0)
        coverage /= query.total_weight
        seventh = len(code) == 8
        extras = [
            t
            for t in self.index.specific[doc]
            if t not in query.asked and t not in NEUTRAL and not (seventh and t in ENCOUNTER_TERMS)
        ]
        penalty = 0.07 * len(extras)
        flags = self.index.flags[doc]
        if flags & 1 and not ({"other", "specifi"} & query.asked):
            penalty += 0.12
        if flags & 4:
            penalty += 0.3
        bonus = 0.04 if flags & 2 else 0.0
        phrases = [n for n in self.index.nos[doc] if (n - {"!"}) <= query.asked]
        if phrases:  # the phrase is another name for exactly this code; NOS names are weaker
            bonus += 0.15 if all("!" in n for n in phrases) else 0.2
        if query.numbers:
            for low, high in _RANGE.findall(title):
                if any(float(low) <= n <= float(high) for n in query.numbers):
                    bonus += 0.3
                    break
        sides = _title_sides(title)
        if query.sides:
            if sides and not (sides & query.sides):
                penalty += 0.6
            elif not sides:
                penalty += 0.1
        elif sides:
            penalty += 0.15
        encounter = _title_encounter(title)
        if encounter:
            wanted = query.encounter or "initial"
            if encounter != wanted:
                penalty += 0.5 if query.encounter else (0.08 if encounter == "subsequent" else 0.12)
        bonus += DENSE_WEIGHT * max(0.0, dense.get(code[:3], 0.0) - 0.2)
        return coverage + 0.15 * bm25 - penalty + bonus, min(coverage, 1.0)


_SEARCHES: dict[tuple[Path, str | None], CodeSearch] = {}


def get_search(settings: Settings | None = None) -> CodeSearch:
    """The shared CodeSearch for these settings' indexes (built lazily on first use)."""
    settings = settings or get_settings()
    key = (settings.index_dir, settings.chroma_url)
    if key not in _SEARCHES:
        _SEARCHES[key] = CodeSearch(settings)
    return _SEARCHES[key]
