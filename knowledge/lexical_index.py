"""The lexical index of billable codes: BM25 (bm25s) over titles and inclusion terms.

Saved under the index directory; the per-code title terms the reranker reads are stored beside it.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import bm25s

from knowledge.codeset import CodeSet
from knowledge.text import terms, words

_DOCS_FILE = "docs.json"
# "without complications", "not intractable", "not elsewhere classified": the default a phrase that
# says nothing about them means; such words do not make a title more specific than the phrase.
_DEFAULT_CLAUSE = re.compile(r"\b(without|not|no)\b[^,;(\[]*", re.IGNORECASE)
# Parentheses hold nonessential modifiers (I.A.7): "Essential (primary) hypertension".
_NONESSENTIAL = re.compile(r"\([^()]*\)")


def specific_terms(title: str) -> list[str]:
    """Title terms that make a code more specific, leaving out nonessential modifiers and the default
    ("without ...", "not ...") clauses."""
    return terms(_DEFAULT_CLAUSE.sub(" ", _NONESSENTIAL.sub(" ", title)))


def title_flags(title: str, inclusion: list[str]) -> int:
    """Bit flags: 1 = an "other/specified" residual code, 2 = an "unspecified" code, 4 = a manifestation
    code ("in diseases classified elsewhere")."""
    lowered = _DEFAULT_CLAUSE.sub(" ", title.lower())
    flags = 0
    ws = set(words(lowered))
    if "other" in ws or ("specified" in ws and "unspecified" not in ws):
        flags |= 1
    if "unspecified" in ws or "nos" in {w for t in inclusion for w in words(t)}:
        flags |= 2
    if "classified elsewhere" in title.lower() and " in " in title.lower():
        flags |= 4
    return flags


def nos_terms(inclusion: list[str]) -> list[list[str]]:
    """Essential terms of each inclusion term: the phrases this code is the code for. Terms marked NOS
    (the default code for a phrase) come first, flagged by a leading "!"."""
    out = []
    for text in inclusion:
        essential = sorted(set(terms(_NONESSENTIAL.sub(" ", text))))
        if essential:
            out.append((["!"] if re.search(r"\bNOS\b", text) else []) + essential)
    return out


def code_document(codeset: CodeSet, code: str) -> tuple[str, list[str]]:
    """(title, inclusion terms of the code and its ancestors): what the index matches a query on."""
    info = codeset.get(code)
    assert info is not None
    inclusion: list[str] = []
    for level in codeset.lineage(code):
        level_info = codeset.get(level)
        if level_info:
            inclusion.extend(level_info.phrases)
    return info.title, inclusion


def inverse_frequency(documents: list[frozenset[str]]) -> dict[str, float]:
    """log(1 + N / document frequency) per term: how much a term narrows the code set."""
    counts: Counter[str] = Counter(t for doc in documents for t in doc)
    return {t: math.log(1 + len(documents) / n) for t, n in counts.items()}


@dataclass
class LexicalIndex:
    codes: list[str]
    titles: list[str]
    title_terms: list[frozenset[str]]
    all_terms: list[frozenset[str]]
    specific: list[frozenset[str]]
    flags: list[int]
    nos: list[list[frozenset[str]]]
    bm25: bm25s.BM25
    vocab: frozenset[str]
    idf: dict[str, float]

    @classmethod
    def build(cls, codeset: CodeSet) -> LexicalIndex:
        codes = codeset.billable_codes
        titles, corpus, title_terms, all_terms, specific, flags, nos = [], [], [], [], [], [], []
        for code in codes:
            title, inclusion = code_document(codeset, code)
            own = list(codeset.get(code).phrases)  # type: ignore[union-attr]
            t_terms = terms(title)
            doc = t_terms + [t for text in inclusion for t in terms(text)]
            titles.append(title)
            corpus.append(doc or ["_empty_"])
            title_terms.append(frozenset(t_terms))
            all_terms.append(frozenset(doc))
            specific.append(frozenset(specific_terms(title)))
            flags.append(title_flags(title, own))
            nos.append([frozenset(n) for n in nos_terms(own) if n])
        bm25 = bm25s.BM25(k1=1.2, b=0.5)
        bm25.index(corpus, show_progress=False)
        vocab = frozenset(t for doc in corpus for t in doc)
        return cls(
            codes,
            titles,
            title_terms,
            all_terms,
            specific,
            flags,
            nos,
            bm25,
            vocab,
            inverse_frequency(all_terms),
        )

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.bm25.save(str(directory / "bm25"), show_progress=False)
        docs = {
            "codes": self.codes,
            "titles": self.titles,
            "title_terms": [sorted(t) for t in self.title_terms],
            "extra_terms": [sorted(a - t) for a, t in zip(self.all_terms, self.title_terms, strict=True)],
            "specific": [sorted(s) for s in self.specific],
            "flags": self.flags,
            "nos": [[sorted(n) for n in group] for group in self.nos],
            "idf": self.idf,
        }
        (directory / _DOCS_FILE).write_text(json.dumps(docs), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        docs = json.loads((directory / _DOCS_FILE).read_text(encoding="utf-8"))
        bm25 = bm25s.BM25.load(str(directory / "bm25"), show_progress=False, verbosity=0)
        title_terms = [frozenset(t) for t in docs["title_terms"]]
        all_terms = [t | frozenset(e) for t, e in zip(title_terms, docs["extra_terms"], strict=True)]
        vocab = frozenset(bm25.vocab_dict)
        specific = [frozenset(s) for s in docs["specific"]]
        nos = [[frozenset(n) for n in group] for group in docs["nos"]]
        return cls(
            docs["codes"],
            docs["titles"],
            title_terms,
            all_terms,
            specific,
            docs["flags"],
            nos,
            bm25,
            vocab,
            docs["idf"],
        )

    def search(self, query_terms: list[str], k: int) -> list[tuple[int, float]]:
        """(document index, BM25 score) of the best `k` documents; query terms outside the vocabulary
        are ignored."""
        known = [t for t in query_terms if t in self.vocab]
        if not known:
            return []
        docs, scores = self.bm25.retrieve(
            [known], k=min(k, len(self.codes)), show_progress=False, n_threads=1
        )
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def position(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}
