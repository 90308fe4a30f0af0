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
