"""`chartproof eval score | compare | calibrate` end to end through the CLI."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "data" / "examples"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "eval", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def fixture(tmp_path: Path) -> tuple[Path, Path]:
    gold = tmp_path / "gold.jsonl"
    gold.write_text((EXAMPLES / "gold-example.jsonl").read_text())
    result = json.loads((EXAMPLES / "result-example.json").read_text())
    first = {**result, "chart_id": "ex-001", "codes": [], "review": {"required": True, "reasons": ["x"]}}
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps(first) + "\n" + json.dumps(result) + "\n")
    return gold, results


def test_score_writes_the_report(tmp_path: Path) -> None:
    gold, results = fixture(tmp_path)
    proc = cli("score", str(gold), str(results), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    # ex-001: 4 gold codes, none predicted; ex-002: 3 of 3 right.
    assert report["micro_precision"] == 1.0
    assert abs(report["micro_recall"] - 3 / 7) < 1e-9
    assert report["perfect_chart_rate"] == 0.5 and report["automation_rate"] == 0.5
    assert report["auto_accepted_perfect_rate"] == 1.0
    for name in ["report.md", "f1_by_specialty.png", "reliability.png", "automation_tradeoff.png"]:
        assert (tmp_path / "out" / name).stat().st_size > 0


def test_compare_is_the_promotion_gate(tmp_path: Path) -> None:
    gold, results = fixture(tmp_path)
    cli("score", str(gold), str(results), "--out", str(tmp_path / "base"))
    base = tmp_path / "base" / "report.json"
    assert cli("compare", str(base), str(base)).returncode == 0
    worse = json.loads(base.read_text())
    worse["micro_f1"] -= 0.10
    cand = tmp_path / "cand.json"
    cand.write_text(json.dumps(worse))
    proc = cli("compare", str(base), str(cand))
    assert proc.returncode == 1 and "micro_f1" in proc.stdout


def test_calibrate_writes_a_policy(tmp_path: Path) -> None:
    gold, results = fixture(tmp_path)
    out = tmp_path / "policy.json"
    assert cli("calibrate", str(gold), str(results), "--out", str(out)).returncode == 0
    policy = json.loads(out.read_text())
    assert policy["target_precision"] == 0.95 and "emergency_medicine" in policy["specialties"]


def test_bad_input_names_the_line(tmp_path: Path) -> None:
    gold, results = fixture(tmp_path)
    broken = tmp_path / "broken.jsonl"
    broken.write_text(gold.read_text().splitlines()[0] + "\n{not json\n")
    proc = cli("score", str(broken), str(results), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "line 2" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    stranger = tmp_path / "stranger.jsonl"
    stranger.write_text(
        json.dumps({**json.loads(results.read_text().splitlines()[1]), "chart_id": "nope"}) + "\n"
    )
    proc = cli("score", str(gold), str(stranger), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "nope" in proc.stderr
    assert cli("compare", str(tmp_path / "missing.json"), str(tmp_path / "missing.json")).returncode == 2
