"""Offline engine benchmark: start-up time, charts per second, p50/p95 latency per chart (after
start-up) and peak memory, coding every gold chart through the full graph (no audit writes).

    .venv/bin/python benchmarks/bench_engine.py [--gold evals/gold/gold_a.jsonl ...] [--rounds 2] [--json]

Uses the current indexes of CHARTPROOF_DATA_DIR (built first if missing; the build is not timed).
Peak memory is the process's maximum resident set size (ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gold", type=Path, nargs="*", default=sorted((ROOT / "evals" / "gold").glob("*.jsonl"))
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from knowledge.indexes import ensure_indexes
    from knowledge.settings import get_settings

    settings = get_settings()
    ensure_indexes(settings)

    started = time.perf_counter()
    from agents.coder import code_chart
    from agents.context import RunContext
    from agents.documents import chart_from_json

    context = RunContext(engine="offline", audit=False)
    warm = chart_from_json({"text": "A/P: 1. Essential hypertension."})
    code_chart(warm, context)  # loads the code set, indexes, medspaCy and the engine
    startup = time.perf_counter() - started

    charts = [
        chart_from_json(json.loads(line))
        for path in args.gold
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    latencies: list[float] = []
    wall = time.perf_counter()
    for _ in range(args.rounds):
        for chart in charts:
            t0 = time.perf_counter()
            code_chart(chart, context)
            latencies.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - wall
    report = {
        "charts": len(charts),
        "rounds": args.rounds,
        "startup_s": round(startup, 2),
        "charts_per_s": round(len(latencies) / wall, 2),
        "latency_ms_p50": round(percentile(latencies, 0.5), 1),
        "latency_ms_p95": round(percentile(latencies, 0.95), 1),
        "latency_ms_mean": round(statistics.fmean(latencies), 1),
        "chars_mean": round(statistics.fmean(len(c.text) for c in charts)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for key, value in report.items():
            print(f"{key:<18} {value}")


if __name__ == "__main__":
    main()
