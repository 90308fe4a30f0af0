"""Code search evaluation: recall@1, @5 and @10 on a JSONL of {"phrase", "code"} pairs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from knowledge.errors import InputError
from knowledge.search import get_search


def load_pairs(path: Path) -> list[dict[str, str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    pairs = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            pairs.append({"phrase": str(row["phrase"]), "code": str(row["code"])})
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f'{path} line {number}: expected {{"phrase", "code"}} JSON ({exc})') from exc
    return pairs


def evaluate_lookup(path: Path) -> dict[str, Any]:
    pairs = load_pairs(path)
    search = get_search()
    hits = {1: 0, 5: 0, 10: 0}
    misses = []
    for pair in pairs:
        got = [h.code for h in search.lookup(pair["phrase"], 10).results]
        for k in hits:
            hits[k] += pair["code"] in got[:k]
        if not got or got[0] != pair["code"]:
            rank = got.index(pair["code"]) + 1 if pair["code"] in got else None
            misses.append({**pair, "rank": rank, "got": got[:5]})
    n = len(pairs) or 1
    return {
        "n": len(pairs),
        "recall_at_1": hits[1] / n,
        "recall_at_5": hits[5] / n,
        "recall_at_10": hits[10] / n,
        "misses": misses,
    }
