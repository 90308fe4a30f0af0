"""The indexes for real: chromadb on disk, bm25s, the offline embedding."""

from pathlib import Path

import numpy as np
import pytest

from knowledge import indexes
from knowledge.embedding import embed
from knowledge.settings import Settings
from knowledge.vector_store import CODE_CATEGORIES, GUIDELINES, client

pytestmark = pytest.mark.integration


def test_offline_embedding_is_normalised_and_meaningful() -> None:
    vectors = embed(["acute kidney failure", "acute renal failure", "fracture of the left femur"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_shared_build_is_current_and_complete(built_settings: Settings) -> None:
    assert indexes.is_current(built_settings)
    report = indexes.build_indexes(built_settings)
    assert report.built is False  # unchanged inputs: nothing rebuilt
    assert report.lexical_documents == 74_719
    assert report.category_documents == 1_918
    assert report.guideline_documents >= 150
    hits = (
        client(built_settings)
        .get_collection(GUIDELINES)
        .query(query_texts=["uncertain diagnosis in the outpatient setting"], n_results=5)
    )
    assert any(i.startswith("IV.H") for i in hits["ids"][0])
    cats = (
        client(built_settings)
        .get_collection(CODE_CATEGORIES)
        .query(query_texts=["heart failure"], n_results=3)
    )
    assert "I50" in cats["ids"][0]


def test_rebuilt_when_the_corpus_changes(
    tmp_path: Path, built_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path)
    # The dense build is stubbed: only the key decides what is rebuilt.
    monkeypatch.setattr(indexes, "_build_dense", lambda s, key: (0, 0))
    first = indexes.build_indexes(settings)
    assert first.built
    monkeypatch.setattr(indexes, "_collection_key", lambda s, name: indexes.index_key())
    assert indexes.build_indexes(settings).built is False
    monkeypatch.setattr(indexes, "corpus_hash", lambda: "a-changed-corpus")
    assert not indexes.is_current(settings)
    again = indexes.build_indexes(settings)
    assert again.built and again.key != first.key
    assert indexes.build_indexes(settings).built is False


def test_unwritable_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    from knowledge.errors import KnowledgeError

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(KnowledgeError, match="not writable"):
        indexes.build_indexes(Settings(data_dir=blocker / "sub"))
