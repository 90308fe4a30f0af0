"""`chartproof code`, `code --batch` and `eval run` through the real CLI entry point (in process)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from api.cli import main
from knowledge.settings import Settings, get_settings

DATA = Path(__file__).resolve().parents[1] / "data"
SCHEMA = json.loads((DATA / "result.schema.json").read_text())
NOTE = DATA / "charts" / "clinic_note.txt"


@pytest.fixture()
def env(coding_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CHARTPROOF_DATA_DIR", str(coding_settings.data_dir))
    get_settings.cache_clear()
    yield coding_settings
    get_settings.cache_clear()


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def test_code_json_prints_exactly_one_valid_result(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        ["code", str(NOTE), "--json", "--age", "62", "--sex", "M", "--specialty", "family_medicine"], capsys
    )
    assert status == 0
    result = json.loads(out)
    jsonschema.Draft202012Validator(SCHEMA).validate(result)
    text = NOTE.read_text()
    assert all(text[e["start"] : e["end"]] == e["text"] for c in result["codes"] for e in c["evidence"])
    assert result["meta"]["audit_id"]


def test_code_readable_view_quotes_evidence(
    env: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(NOTE.read_bytes())))
    status, out, _ = run(["code", "-", "--no-audit"], capsys)
    assert status == 0
    assert 'evidence  "Essential hypertension"' in out
    assert "review:" in out and "confidence" in out


@pytest.mark.parametrize(
    ("content", "extra", "words"),
    [
        (b"", [], "empty"),
        (b"\x00\x01\x02\x03", [], "binary"),
        (b'{"text": ', [], "not valid JSON"),
        (
            json.dumps(
                {
                    "resourceType": "DocumentReference",
                    "status": "current",
                    "content": [{"attachment": {"contentType": "text/plain"}}],
                }
            ).encode(),
            [],
            "no note text",
        ),
        (b"A/P: HTN", ["--setting", "icu"], "unknown setting"),
        (b"A/P: HTN", ["--age", "400"], "out of range"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    env: Settings,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    content: bytes,
    extra: list[str],
    words: str,
) -> None:
    path = tmp_path / "chart.txt"
    path.write_bytes(content)
    status, out, err = run(["code", str(path), "--no-audit", *extra], capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("chartproof: error:") and words in err


def test_missing_file_and_directory(
    env: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(["code", str(tmp_path / "nope.txt")], capsys)[0] == 2
    assert run(["code", str(tmp_path)], capsys)[0] == 2


def test_batch_keeps_order_reports_bad_lines_and_resumes(
    env: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    gold = [json.loads(line) for line in (DATA / "examples" / "gold-example.jsonl").read_text().splitlines()]
    lines = [json.dumps(gold[0]), "{not json", json.dumps({"id": "empty", "text": ""}), json.dumps(gold[1])]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    status, _, err = run(["code", "--batch", str(source), "--out", str(out), "--no-audit"], capsys)
    assert status == 2
    assert "line 2:" in err and "line 3:" in err
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["chart_id"] for r in results] == ["ex-001", None, "empty", "ex-002"]
    assert results[1]["review"]["reasons"] == ["input_error"] and results[1]["codes"] == []
    for result in results:
        jsonschema.Draft202012Validator(SCHEMA).validate(result)

    # an interrupted run: two complete lines and half a line; the rerun finishes without duplicates
    kept = out.read_text().splitlines()
    out.write_text(kept[0] + "\n" + kept[1] + "\n" + kept[2][:40])
    status, _, err = run(["code", "--batch", str(source), "--out", str(out), "--no-audit"], capsys)
    assert "resumed after 2" in err
    again = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["chart_id"] for r in again] == ["ex-001", None, "empty", "ex-002"]


def test_eval_run_writes_a_report(env: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, _ = run(
        ["eval", "run", str(DATA / "examples" / "gold-example.jsonl"), "--out", str(tmp_path / "r")], capsys
    )
    assert status == 0
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["schema_errors"] == 0 and report["evidence_spans_not_verbatim"] == 0
    assert report["micro_f1"] > 0.5
    assert (tmp_path / "r" / "results.jsonl").exists() and "micro F1" in out
