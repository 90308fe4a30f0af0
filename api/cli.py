"""The `chartproof` command line. Verbs read as sentences: `chartproof lookup "HTN w/ CKD 3b"`.

Every user error ends in one line on stderr and exit status 2; nothing is half-written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from knowledge.errors import ChartproofError, InputError
from knowledge.settings import get_settings


def _fail(message: str, status: int = 2) -> None:
    click.echo(
        f"chartproof: error: {message.strip().splitlines()[0] if message.strip() else 'failed'}", err=True
    )
    sys.exit(status)


def _emit_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=1, ensure_ascii=False))


@click.group(help="chartproof: an ICD-10-CM coding assistant that shows its work.")
@click.version_option("0.1.0", prog_name="chartproof")
def cli() -> None:
    pass


# -- knowledge -------------------------------------------------------------------------------------
@cli.group(help="Build the indexes and import official files.")
def knowledge() -> None:
    pass


@knowledge.command("build", help="Build the code and guideline indexes (skipped when current).")
@click.option("--force", is_flag=True, help="Rebuild even when the indexes are current.")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
def knowledge_build(force: bool, as_json: bool) -> None:
    from knowledge.indexes import build_indexes, report_dict

    report = build_indexes(get_settings(), force=force)
    if as_json:
        _emit_json(report_dict(report))
        return
    state = "built" if report.built else "already current"
    click.echo(
        f"indexes {state} in {report.seconds:.1f} s (key {report.key}): {report.lexical_documents} codes "
        f"in the lexical index, {report.category_documents} categories and {report.guideline_documents} "
        f"guideline rules in chromadb"
    )


@knowledge.command(
    "import",
    help="Import official CMS/CDC files: the guidelines PDF, the Neoplasm "
    "Table, Table of Drugs and Chemicals and External Cause Index XML.",
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def knowledge_import(paths: tuple[Path, ...]) -> None:
    from knowledge.importers import import_file

    for path in paths:
        summary = import_file(get_settings(), path)
        click.echo(f"{path.name}: {summary}")


# -- lookup ------------------------------------------------------------------------------------------
@cli.command(help="Ranked billable codes for each phrase.")
@click.argument("phrases", nargs=-1, required=True)
@click.option("-k", "k", default=5, show_default=True, type=int, help="Codes per phrase.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array, one object per phrase.")
def lookup(phrases: tuple[str, ...], k: int, as_json: bool) -> None:
    from knowledge.search import get_search

    if any(not p.strip() for p in phrases):
        raise InputError("empty phrase: give a diagnosis to look up, e.g. 'HTN with CKD 3b'")
    if not 1 <= k <= 200:
        raise InputError(f"-k must be between 1 and 200, not {k}")
    search = get_search()
    results = [search.lookup(p, k) for p in phrases]
    if as_json:
        _emit_json([r.model_dump(mode="json") for r in results])
        return
    for result in results:
        click.echo(f"\n{result.query}")
        if not result.results:
            click.echo("  (no matching code)")
        for rank, hit in enumerate(result.results, 1):
            click.echo(f"  {rank:>2}. {hit.code:<9} {hit.score:6.3f}  {hit.description}")


# -- check -------------------------------------------------------------------------------------------
@cli.command(
    help="Check a code set (in reporting order) against ICD-10-CM conventions, guidelines and "
    "Medicare Code Editor-style edits."
)
@click.argument("codes", nargs=-1, required=True)
@click.option("--age", type=int, help="Patient age in years (0-124).")
@click.option("--sex", type=str, help="F, M or U.")
@click.option(
    "--setting", default="outpatient", show_default=True, help="outpatient, inpatient or emergency."
)
@click.option("--json", "as_json", is_flag=True, help='Print {"findings": [...]}.')
def check(codes: tuple[str, ...], age: int | None, sex: str | None, setting: str, as_json: bool) -> None:
    from knowledge.rules import check_codes

    findings = check_codes(codes, age=age, sex=sex.upper() if sex else None, setting=setting)
    if as_json:
        _emit_json({"findings": [f.model_dump(mode="json") for f in findings]})
        return
    if not findings:
        click.echo(f"{' '.join(codes)}: no findings")
    for f in findings:
        ref = f" [{f.guideline_ref}]" if f.guideline_ref else ""
        click.echo(f"{f.severity.upper():<8} {f.rule:<22} {f.message}{ref}")


# -- eval --------------------------------------------------------------------------------------------
@cli.command("code", help="Code a chart: PATH is a .txt note, a chart .json or a FHIR .json; - reads stdin.")
@click.argument("path", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print exactly one CodingResult as JSON.")
@click.option("--setting", type=str, help="outpatient, inpatient or emergency (overrides the chart).")
@click.option("--specialty", type=str, help="e.g. cardiology; drives the review policy.")
@click.option("--age", type=int, help="Patient age in years (0-124).")
@click.option("--sex", type=str, help="F, M or U.")
@click.option("--date", "date_of_service", type=str, help="Date of service, YYYY-MM-DD.")
@click.option("--batch", "batch_in", type=click.Path(path_type=Path), help="JSONL of charts or gold charts.")
@click.option("--out", "batch_out", type=click.Path(path_type=Path), help="JSONL of CodingResults (--batch).")
@click.option(
    "--engine",
    type=click.Choice(["auto", "offline", "llm"]),
    default="auto",
    show_default=True,
    help="auto: the LLM when one is configured, else the offline engine.",
)
@click.option("--no-audit", is_flag=True, help="Do not write the audit record.")
def code(
    path: str | None,
    as_json: bool,
    setting: str | None,
    specialty: str | None,
    age: int | None,
    sex: str | None,
    date_of_service: str | None,
    batch_in: Path | None,
    batch_out: Path | None,
    engine: str,
    no_audit: bool,
) -> int:
    from agents.context import RunContext

    context = RunContext(engine=engine, audit=not no_audit)  # type: ignore[arg-type]
    if batch_in is not None or batch_out is not None:
        if batch_in is None or batch_out is None or path is not None:
            raise InputError("batch mode is `chartproof code --batch IN.jsonl --out OUT.jsonl`")
        return _code_batch(batch_in, batch_out, context)
    if path is None:
        raise InputError("give a chart: chartproof code PATH (or - for stdin)")
    from agents.coder import code_chart
    from agents.documents import read_chart

    raw = _read_input(path)
    chart = read_chart(
        raw,
        source=path if path != "-" else "stdin",
        setting=setting,
        specialty=specialty,
        age=age,
        sex=sex,
        date_of_service=date_of_service,
    )
    result = code_chart(chart, context)
    if as_json:
        click.echo(result.model_dump_json(indent=1))
    else:
        from api.render import render_result

        click.echo(render_result(chart, result))
    return 0


def _read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{path} is a directory: give a .txt note, a chart .json or a FHIR .json")
    try:
        return target.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc


def _code_batch(source: Path, out: Path, context: Any) -> int:
    from tqdm import tqdm

    from agents.batch import run_batch

    def progress(items: Any, total: int) -> Any:
        return tqdm(items, total=total, desc="coding", unit="chart", file=sys.stderr, leave=False)

    def on_error(line_no: int, message: str) -> None:
        tqdm.write(f"chartproof: error: {message}", file=sys.stderr)

    report = run_batch(source, out, context, on_error=on_error, progress=progress)
    summary = f"coded {report.coded} of {report.total} charts into {out}"
    if report.resumed:
        summary += f" (resumed after {report.resumed} already done)"
    click.echo(summary, err=True)
    return 2 if report.errors else 0


@cli.group("eval", help="Offline evaluation: code search, gold charts, the promotion gate.")
def eval_group() -> None:
    pass


@eval_group.command("lookup", help="Recall@1/@5 of code search on a phrase -> code JSONL set.")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.option("--misses", is_flag=True, help="List the phrases whose code was not first.")
def eval_lookup(path: Path, as_json: bool, misses: bool) -> None:
    from evals.lookup_eval import evaluate_lookup

    report = evaluate_lookup(path)
    if as_json:
        _emit_json(report)
        return
    click.echo(
        f"{report['n']} phrases: recall@1 {report['recall_at_1']:.3f}, recall@5 {report['recall_at_5']:.3f}, "
        f"recall@10 {report['recall_at_10']:.3f}"
    )
    if misses:
        for miss in report["misses"]:
            click.echo(f"  {miss['phrase']!r}: want {miss['code']}, got {', '.join(miss['got'][:3])}")


@eval_group.command(
    "run", help="Code every gold chart and score it: DIR/results.jsonl, report.json, report.md, plots."
)
@click.argument("gold", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Report directory.")
@click.option("--engine", type=click.Choice(["auto", "offline", "llm"]), default="auto", show_default=True)
def eval_run(gold: Path, out_dir: Path, engine: str) -> int:
    from agents.context import RunContext
    from evals.report import summary_table, write_report
    from evals.scoring import score_files

    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / "results.jsonl"
    if results.exists():
        results.unlink()  # an eval run always codes afresh with the current engine
    context = RunContext(engine=engine, audit=False)  # type: ignore[arg-type]
    status = _code_batch(gold, results, context)
    report = score_files(gold, results)
    paths = write_report(report, out_dir)
    click.echo(summary_table(report))
    click.echo(f"wrote results.jsonl, {', '.join(p.name for p in paths)} to {out_dir}")
    return status


@eval_group.command(
    "score", help="Score CodingResult lines against gold charts: DIR/report.json, report.md and plots."
)
@click.argument("gold", type=click.Path(path_type=Path))
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Report directory.")
def eval_score(gold: Path, results: Path, out_dir: Path) -> None:
    from evals.report import summary_table, write_report
    from evals.scoring import score_files

    report = score_files(gold, results)
    paths = write_report(report, out_dir)
    click.echo(summary_table(report))
    click.echo(f"wrote {', '.join(p.name for p in paths)} to {out_dir}")


@eval_group.command(
    "compare",
    help="Compare a candidate report with a baseline; exit 1 when the "
    "candidate regresses past the gate (the promotion gate).",
)
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("cand", type=click.Path(path_type=Path))
@click.option(
    "--gate", "gate_path", type=click.Path(path_type=Path), help="Gate JSON (default gate if omitted)."
)
def eval_compare(base: Path, cand: Path, gate_path: Path | None) -> int:
    from evals.gate import compare, format_comparison, load_gate, load_report

    gate = load_gate(gate_path) if gate_path else None
    rows, failures = compare(load_report(base), load_report(cand), gate)
    click.echo(format_comparison(rows, failures))
    return 1 if failures else 0


@eval_group.command(
    "calibrate",
    help="Per specialty, the lowest confidence threshold at which "
    "auto-accepted codes reach the target precision; written as a policy file.",
)
@click.argument("gold", type=click.Path(path_type=Path))
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--out", "out_path", required=True, type=click.Path(path_type=Path))
@click.option("--target", default=0.95, show_default=True, type=click.FloatRange(0.0, 1.0))
def eval_calibrate(gold: Path, results: Path, out_path: Path, target: float) -> None:
    from evals.calibrate import calibrate, write_policy
    from evals.scoring import load_gold, load_results

    policy = calibrate(load_gold(gold), load_results(results), target_precision=target)
    write_policy(policy, out_path)
    for specialty, row in sorted(policy["specialties"].items()):
        click.echo(f"{specialty:<24} threshold {row['threshold']}  ({row['codes']} codes)")
    click.echo(f"wrote {out_path}")


# -- serve -------------------------------------------------------------------------------------------
@cli.command(help="Serve the REST API, the chat and the coder web page (OpenAPI at /docs).")
@click.option(
    "--host",
    default=None,
    help="Interface to bind. Default: 127.0.0.1 when CHARTPROOF_API_KEYS is unset, else 0.0.0.0.",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(host: str | None, port: int, log_level: str) -> None:
    from api.serve import serve as run_server

    run_server(host, port, log_level)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: maps every error to one stderr line and exit status 2."""
    try:
        result = cli.main(args=argv, prog_name="chartproof", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        _fail("interrupted", 130)
    except click.ClickException as exc:
        _fail(exc.format_message())
    except ChartproofError as exc:
        _fail(str(exc))
    except (BrokenPipeError, KeyboardInterrupt):
        sys.exit(130)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
