"""Knowledge benchmark: index build time, index size on disk, lookup latency (p50, p95) and peak memory.

    .venv/bin/python benchmarks/bench_knowledge.py [--phrases evals/lookup/dev.jsonl] [--json]

Builds into a fresh temporary data directory so the numbers include everything `make demo` pays for.
Peak memory is the process's maximum resident set size (ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from knowledge.indexes import build_indexes
from knowledge.search import CodeSearch
from knowledge.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phrases", type=Path, default=ROOT / "evals" / "lookup" / "dev.jsonl")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    phrases = [json.loads(line)["phrase"] for line in args.phrases.read_text().splitlines() if line.strip()]

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        started = time.perf_counter()
        report = build_indexes(settings)
        build_seconds = time.perf_counter() - started
        size = directory_size(settings.index_dir)

        started = time.perf_counter()
        search = CodeSearch(settings)
        load_seconds = time.perf_counter() - started
        search.lookup(phrases[0], 5)  # warm-up: first query loads the embedding session
        latencies = []
        for phrase in phrases:
            t0 = time.perf_counter()
            search.lookup(phrase, 5)
            latencies.append((time.perf_counter() - t0) * 1000)
        rebuild_started = time.perf_counter()
        build_indexes(settings)
        noop_seconds = time.perf_counter() - rebuild_started

    result = {
        "index_build_seconds": round(build_seconds, 1),
        "index_noop_rebuild_seconds": round(noop_seconds, 3),
        "index_size_mb": round(size / 1e6, 1),
        "lexical_documents": report.lexical_documents,
        "dense_documents": report.category_documents + report.guideline_documents,
        "search_load_seconds": round(load_seconds, 2),
        "lookups": len(latencies),
        "lookup_ms_p50": round(statistics.median(latencies), 1),
        "lookup_ms_p95": round(percentile(latencies, 0.95), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
    }
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for key, value in result.items():
            print(f"{key:<28} {value}")


if __name__ == "__main__":
    main()
