"""Fit the confidence model's weights on gold charts: logistic regression (Newton's method with a
small ridge) of "this proposed code is in the gold set" on agents.confidence.FEATURES.

    .venv/bin/python -m evals.fit_confidence evals/gold/gold_a.jsonl evals/gold/gold_b.jsonl \\
        --out agents/data/confidence_weights.json

Prints the log-loss and the reliability table (predicted vs observed precision per bin) before and
after, so the calibration is measured, not assumed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from agents.confidence import FEATURES, features, weights
from agents.context import RunContext
from agents.documents import chart_from_json
from agents.graph import build_graph


def collect(paths: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    graph = build_graph()
    context = RunContext(engine="offline", audit=False)
    rows, labels = [], []
    for path in paths:
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            gold = json.loads(line)
            truth = {c["code"] for c in gold["gold"]["codes"]}
            state = graph.invoke({"chart": chart_from_json(gold)}, context=context)
            for proposal in state.get("proposals", []):
                values = features(proposal, state.get("findings", []))
                rows.append([values[name] for name in FEATURES])
                labels.append(1.0 if proposal.code in truth else 0.0)
    return np.array(rows), np.array(labels)


def fit(x: np.ndarray, y: np.ndarray, ridge: float = 1.0, rounds: int = 50) -> np.ndarray:
    w = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1]) * ridge
    penalty[0, 0] = 0.0  # the bias is not shrunk
    for _ in range(rounds):
        p = 1.0 / (1.0 + np.exp(-x @ w))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


def report(x: np.ndarray, y: np.ndarray, w: np.ndarray, label: str) -> None:
    p = np.clip(1.0 / (1.0 + np.exp(-x @ w)), 1e-6, 1 - 1e-6)
    loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    print(f"{label}: log-loss {loss:.3f} over {len(y)} proposed codes ({int(y.sum())} in gold)")
    for low in (0.0, 0.5, 0.7, 0.8, 0.9, 0.95):
        high = {0.0: 0.5, 0.5: 0.7, 0.7: 0.8, 0.8: 0.9, 0.9: 0.95, 0.95: 1.01}[low]
        mask = (p >= low) & (p < high)
        if mask.any():
            print(
                f"  confidence {low:.2f}-{min(high, 1):.2f}: {int(mask.sum()):4d} codes, "
                f"mean predicted {p[mask].mean():.2f}, observed precision {y[mask].mean():.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    x, y = collect(args.gold)
    current = np.array([weights().get(name, 0.0) for name in FEATURES])
    report(x, y, current, "current weights")
    fitted = fit(x, y)
    report(x, y, fitted, "fitted weights")
    payload = {
        "fitted_on": ", ".join(p.name for p in args.gold),
        "codes": int(len(y)),
        "weights": {name: round(float(v), 4) for name, v in zip(FEATURES, fitted, strict=True)},
    }
    args.out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
