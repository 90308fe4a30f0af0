"""Code search through the CLI and the Python API, on the real indexes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evals.lookup_eval import evaluate_lookup
from knowledge.search import get_search
from knowledge.settings import Settings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("phrase", "code"),
    [
        ("DM2 w/ CKD 3b", "E11.22"),
        ("type 2 diabetes without complications", "E11.9"),
        ("acute on chronic HFrEF", "I50.23"),
        ("L distal radius fx, initial", "S52.502A"),
        ("h/o colon ca", "Z85.038"),
        ("chest pain", "R07.9"),
        ("BMI 41, adult", "Z68.41"),
        ("E11.22", "E11.22"),
    ],
)
def test_lookup_ranks_the_right_code_high(built_settings: Settings, phrase: str, code: str) -> None:
    hits = [h.code for h in get_search(built_settings).lookup(phrase, 5).results]
    assert code in hits, hits


def test_dev_set_recall(built_settings: Settings, cli_env: dict[str, str]) -> None:
    report = evaluate_lookup(ROOT / "evals" / "lookup" / "dev.jsonl")
    assert report["n"] >= 120
    assert report["recall_at_5"] >= 0.93
    assert report["recall_at_1"] >= 0.78


def test_cli_lookup_json_shape(cli_env: dict[str, str]) -> None:
    proc = run_cli(["lookup", "HTN", "acute cystitis", "-k", "3", "--json"], cli_env)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert [p["query"] for p in payload] == ["HTN", "acute cystitis"]
    for entry in payload:
        assert set(entry) == {"query", "results"} and len(entry["results"]) == 3
        for hit in entry["results"]:
            assert set(hit) == {"code", "description", "score"}
            assert isinstance(hit["score"], float)
    table = run_cli(["lookup", "acute cystitis"], cli_env)
    assert table.returncode == 0 and "N30.0" in table.stdout


@pytest.mark.parametrize(
    "args",
    [["lookup", "  "], ["lookup"], ["lookup", "x", "-k", "0"], ["lookup", "--nope", "x"], ["frobnicate"]],
)
def test_cli_bad_input_is_one_line_and_exit_2(cli_env: dict[str, str], args: list[str]) -> None:
    proc = run_cli(args, cli_env)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_unreadable_data_dir(cli_env: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_cli(["lookup", "HTN"], {**cli_env, "CHARTPROOF_DATA_DIR": str(blocker / "data")})
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "not writable" in proc.stderr
