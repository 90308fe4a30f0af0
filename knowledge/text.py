"""Text normalisation shared by the indexes and the queries: one tokenizer, one stemmer."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from nltk.stem import PorterStemmer

_TOKEN = re.compile(r"[a-z0-9]+")
_STEMMER = PorterStemmer()

# Words that carry no meaning for code search. "with"/"without"/"other"/"unspecified" are kept
# out of BM25 too, but the reranker reads them from the raw title.
STOPWORDS = frozenset(
    "a an and are as at by for from in into is of on or the to was were with without due "
    "other unspecified specified nos nec classified elsewhere than not".split()
)


def fold(text: str) -> str:
    """Lower-case, strip accents, unify punctuation that clinicians use inside words."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return text.lower().replace("'s", "")


def words(text: str) -> list[str]:
    """Folded word tokens, stopwords included, no stemming."""
    return _TOKEN.findall(fold(text))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    if word.isdigit() or len(word) <= 3:
        return word
    if word.endswith("oses") and len(word) > 6:
        word = word[:-4] + "osis"  # plural of -osis: "keratoses", "stenoses", "psychoses"
    if word.endswith("itis") and len(word) > 6:
        # Inflammation is its own concept: "esophagitis" must not stem to "esophageal"'s stem.
        return _STEMMER.stem(word[:-4]) + "itis"
    return _STEMMER.stem(word)


def terms(text: str) -> list[str]:
    """Stemmed content tokens: what the lexical index holds and what queries are matched with."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]
