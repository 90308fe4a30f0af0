"""The chromadb vector store: embedded PersistentClient under the data directory by default, or a
Chroma server (HttpClient) when CHARTPROOF_CHROMA_URL is set. Always our offline embedding function.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings

from knowledge.embedding import MiniLMEmbeddingFunction
from knowledge.errors import KnowledgeError
from knowledge.settings import Settings

GUIDELINES = "guidelines"
CODE_CATEGORIES = "code_categories"
OFFICIAL_GUIDELINES_PREFIX = "official_guidelines_fy"


def _client_settings() -> ChromaSettings:
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


@cache
def _client(path: str | None, url: str | None) -> Any:
    try:
        if url:
            parsed = urlparse(url)
            return chromadb.HttpClient(
                host=parsed.hostname or "localhost",
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=_client_settings(),
            )
        assert path is not None
        Path(path).mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=path, settings=_client_settings())
    except KnowledgeError:
        raise
    except Exception as exc:  # chromadb raises many kinds; the user needs one clear line
        where = url or path
        raise KnowledgeError(f"cannot open the vector store at {where}: {exc}") from exc


def client(settings: Settings) -> Any:
    return _client(None if settings.chroma_url else str(settings.index_dir / "chroma"), settings.chroma_url)


def collection(settings: Settings, name: str, metadata: dict[str, Any] | None = None) -> Any:
    return client(settings).get_or_create_collection(
        name=name,
        embedding_function=MiniLMEmbeddingFunction(settings.embedding_threads),
        metadata=metadata or None,
        configuration={"hnsw": {"space": "cosine"}},
    )


def mark_complete(coll: Any, key: str, metadata: dict[str, Any] | None = None) -> None:
    """Stamp a fully written collection with its build key (a half-built one never carries it)."""
    coll.modify(metadata={**(metadata or {}), "key": key})


def replace_collection(settings: Settings, name: str, metadata: dict[str, Any]) -> Any:
    """Drop `name` if present and create it afresh with `metadata` (used by builds and imports)."""
    store = client(settings)
    if name in {c if isinstance(c, str) else c.name for c in store.list_collections()}:
        store.delete_collection(name)
    return collection(settings, name, metadata)


def add_in_batches(
    coll: Any,
    ids: list[str],
    documents: list[str],
    metadatas: list[dict[str, Any]],
    embeddings: Any = None,
    batch: int = 2000,
) -> None:
    for start in range(0, len(ids), batch):
        end = start + batch
        coll.add(
            ids=ids[start:end],
            documents=documents[start:end],
            metadatas=metadatas[start:end],
            embeddings=None if embeddings is None else embeddings[start:end],
        )
