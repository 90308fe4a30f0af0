"""Building the indexes: the lexical index of billable codes and the chromadb collections of
guideline rules and code categories. Builds are idempotent, keyed by code-set release + guideline
corpus hash + lexicon hash; later commands build lazily when the key is missing or stale.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock

from knowledge.codeset import get_codeset
from knowledge.embedding import MODEL_ID, embed
from knowledge.errors import KnowledgeError
from knowledge.guidelines import corpus_hash, load_guidelines
from knowledge.lexical_index import LexicalIndex
from knowledge.lexicon import lexicon_hash
from knowledge.settings import Settings
from knowledge.vector_store import (
    CODE_CATEGORIES,
    GUIDELINES,
    add_in_batches,
    client,
    mark_complete,
    replace_collection,
)

BUILD_VERSION = "9"
MANIFEST = "manifest.json"


@dataclass
class BuildReport:
    key: str
    built: bool
    seconds: float
    lexical_documents: int
    category_documents: int
    guideline_documents: int


def index_key() -> str:
    parts = [get_codeset().release, corpus_hash(), lexicon_hash(), MODEL_ID, BUILD_VERSION]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def lexical_dir(settings: Settings) -> Path:
    return settings.index_dir / "lexical"


def _writable(settings: Settings) -> None:
    try:
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=settings.index_dir, delete=True)
        probe.close()
    except OSError as exc:
        raise KnowledgeError(
            f"the data directory {settings.data_dir} is not writable: {exc.strerror}"
        ) from exc


def _read_manifest(settings: Settings) -> dict[str, Any]:
    try:
        return json.loads((lexical_dir(settings) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _existing(settings: Settings, name: str) -> Any | None:
    try:
        return client(settings).get_collection(name)
    except Exception:  # missing collection: chromadb raises NotFoundError/ValueError by version
        return None


def _collection_key(settings: Settings, name: str) -> str | None:
    coll = _existing(settings, name)
    return None if coll is None else (coll.metadata or {}).get("key")


def _collection_count(settings: Settings, name: str) -> int:
    coll = _existing(settings, name)
    return 0 if coll is None else int(coll.count())


def is_current(settings: Settings) -> bool:
    key = index_key()
    return (
        _read_manifest(settings).get("key") == key
        and _collection_key(settings, GUIDELINES) == key
        and _collection_key(settings, CODE_CATEGORIES) == key
    )


def _build_lexical(settings: Settings, key: str) -> int:
    index = LexicalIndex.build(get_codeset())
    target = lexical_dir(settings)
    staging = Path(tempfile.mkdtemp(prefix="lexical-", dir=settings.index_dir))
    try:
        index.save(staging)
        (staging / MANIFEST).write_text(json.dumps({"key": key, "documents": len(index.codes)}))
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return len(index.codes)


def category_document(code: str) -> str:
    info = get_codeset().get(code)
    assert info is not None
    return "; ".join([info.title, *info.phrases])


def _build_dense(settings: Settings, key: str) -> tuple[int, int]:
    rules = load_guidelines()
    guidelines = replace_collection(settings, GUIDELINES, {"key": "building"})
    texts = [rule.document for rule in rules]
    add_in_batches(
        guidelines,
        ids=[rule.id for rule in rules],
        documents=texts,
        metadatas=[{"section": r.section, "title": r.title, "chapter": r.chapter or ""} for r in rules],
        embeddings=embed(texts, settings.embedding_threads),
    )
    categories = get_codeset().categories
    category_texts = [category_document(c) for c in categories]
    mark_complete(guidelines, key)
    coll = replace_collection(settings, CODE_CATEGORIES, {"key": "building"})
    add_in_batches(
        coll,
        ids=categories,
        documents=category_texts,
        metadatas=[{"code": c} for c in categories],
        embeddings=embed(category_texts, settings.embedding_threads),
    )
    mark_complete(coll, key)
    return len(categories), len(rules)


def build_indexes(settings: Settings, force: bool = False) -> BuildReport:
    """Build whatever is missing or stale (everything with `force`). A file lock in the data directory
    makes concurrent processes (a CLI run beside the API, parallel test workers) wait for one build
    instead of replacing each other's collections."""
    _writable(settings)
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    # The lock lives in the index directory itself, so data directories that share one index (a
    # symlink) share its lock too.
    with FileLock(str(settings.index_dir / ".build.lock")):
        return _build_locked(settings, force)


def _build_locked(settings: Settings, force: bool) -> BuildReport:
    key = index_key()
    started = time.perf_counter()
    built = False
    manifest = _read_manifest(settings)
    lexical_docs = int(manifest.get("documents", 0))
    if force or manifest.get("key") != key:
        lexical_docs = _build_lexical(settings, key)
        built = True
    if (
        force
        or _collection_key(settings, GUIDELINES) != key
        or _collection_key(settings, CODE_CATEGORIES) != key
    ):
        category_docs, guideline_docs = _build_dense(settings, key)
        built = True
    else:
        category_docs = _collection_count(settings, CODE_CATEGORIES)
        guideline_docs = _collection_count(settings, GUIDELINES)
    return BuildReport(key, built, time.perf_counter() - started, lexical_docs, category_docs, guideline_docs)


def ensure_indexes(settings: Settings) -> None:
    if not is_current(settings):
        build_indexes(settings)


def report_dict(report: BuildReport) -> dict[str, Any]:
    return asdict(report)
