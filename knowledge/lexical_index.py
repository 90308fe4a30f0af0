"""The lexical index of billable codes: BM25 (bm25s) over titles and inclusion terms.

Saved under the index directory; the per-code title terms the reranker reads are stored beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from knowledge.codeset import CodeSet
from knowledge.text import terms

_DOCS_FILE = "docs.json"


def code_document(codeset: CodeSet, code: str) -> tuple[str, list[str]]:
    """(title, inclusion terms of the code and its ancestors): what the index matches a query on."""
    info = codeset.get(code)
    assert info is not None
    inclusion: list[str] = []
    for level in codeset.lineage(code):
        level_info = codeset.get(level)
        if level_info:
            inclusion.extend(level_info.inclusion_terms)
    return info.title, inclusion


@dataclass
class LexicalIndex:
    codes: list[str]
    titles: list[str]
    title_terms: list[frozenset[str]]
    all_terms: list[frozenset[str]]
    bm25: bm25s.BM25
    vocab: frozenset[str]

    @classmethod
    def build(cls, codeset: CodeSet) -> LexicalIndex:
        codes = codeset.billable_codes
        titles, corpus, title_terms, all_terms = [], [], [], []
        for code in codes:
            title, inclusion = code_document(codeset, code)
            t_terms = terms(title)
            doc = t_terms + [t for text in inclusion for t in terms(text)]
            titles.append(title)
            corpus.append(doc or ["_empty_"])
            title_terms.append(frozenset(t_terms))
            all_terms.append(frozenset(doc))
        bm25 = bm25s.BM25(k1=1.2, b=0.5)
        bm25.index(corpus, show_progress=False)
        vocab = frozenset(t for doc in corpus for t in doc)
        return cls(codes, titles, title_terms, all_terms, bm25, vocab)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.bm25.save(str(directory / "bm25"), show_progress=False)
        docs = {
            "codes": self.codes,
            "titles": self.titles,
            "title_terms": [sorted(t) for t in self.title_terms],
            "extra_terms": [sorted(a - t) for a, t in zip(self.all_terms, self.title_terms, strict=True)],
        }
        (directory / _DOCS_FILE).write_text(json.dumps(docs), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        docs = json.loads((directory / _DOCS_FILE).read_text(encoding="utf-8"))
        bm25 = bm25s.BM25.load(str(directory / "bm25"), show_progress=False, verbosity=0)
        title_terms = [frozenset(t) for t in docs["title_terms"]]
        all_terms = [t | frozenset(e) for t, e in zip(title_terms, docs["extra_terms"], strict=True)]
        vocab = frozenset(bm25.vocab_dict)
        return cls(docs["codes"], docs["titles"], title_terms, all_terms, bm25, vocab)

    def search(self, query_terms: list[str], k: int) -> list[tuple[int, float]]:
        """(document index, BM25 score) of the best `k` documents; query terms outside the vocabulary
        are ignored."""
        known = [t for t in query_terms if t in self.vocab]
        if not known:
            return []
        docs, scores = self.bm25.retrieve([known], k=min(k, len(self.codes)), show_progress=False, n_threads=1)
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def position(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}


def as_array(values: list[float]) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)
