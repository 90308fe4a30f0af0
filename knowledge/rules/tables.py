"""Rule tables (knowledge/data/rules/): data files, loaded by code that does not change when they do."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources


def _read(name: str) -> str:
    return resources.files("knowledge.data").joinpath("rules", name).read_text(encoding="utf-8")


def _tsv(name: str) -> list[dict[str, str]]:
    reader = csv.DictReader(_read(name).splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader if any(row.values())]


@dataclass(frozen=True)
class SymptomPair:
    symptom: str
    diagnosis: str
    guideline: str
    note: str


@dataclass(frozen=True)
class Combination:
    id: str
    when: tuple[str, ...]
    unless: tuple[str, ...]
    use: str
    guideline: str
    message: str


@dataclass(frozen=True)
class AdditionalCode:
    trigger: str
    additional: str
    chart_pattern: re.Pattern[str]
    guideline: str
    note: str


@dataclass(frozen=True)
class SexSpecific:
    pattern: str
    sex: str
    note: str


@cache
def symptom_pairs() -> tuple[SymptomPair, ...]:
    return tuple(
        SymptomPair(r["symptom"], r["diagnosis"], r.get("guideline") or "I.B.5", r.get("note", ""))
        for r in _tsv("symptom_integral.tsv")
    )


@cache
def combinations() -> tuple[Combination, ...]:
    rows = []
    for line in _read("combination_codes.jsonl").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append(
                Combination(
                    r["id"],
                    tuple(r["when"]),
                    tuple(r.get("unless") or ()),
                    r["use"],
                    r.get("guideline") or "I.A.15",
                    r["message"],
                )
            )
    return tuple(rows)


@cache
def additional_codes() -> tuple[AdditionalCode, ...]:
    return tuple(
        AdditionalCode(
            r["trigger"],
            r["additional"],
            re.compile(r["chart_pattern"], re.IGNORECASE),
            r.get("guideline") or "tabular",
            r.get("note", ""),
        )
        for r in _tsv("use_additional.tsv")
    )


@cache
def sex_specific() -> tuple[SexSpecific, ...]:
    return tuple(
        SexSpecific(r["pattern"], r["sex"].upper(), r.get("note", "")) for r in _tsv("sex_specific.tsv")
    )


@dataclass(frozen=True)
class CodeFirst:
    pattern: str
    etiologies: tuple[str, ...]
    guideline: str
    note: str


@cache
def code_first_requirements() -> tuple[CodeFirst, ...]:
    return tuple(
        CodeFirst(
            r["pattern"],
            tuple(s.strip() for s in r["etiologies"].split(",") if s.strip()),
            r.get("guideline") or "I.A.13",
            r.get("note", ""),
        )
        for r in _tsv("code_first.tsv")
    )


@dataclass(frozen=True)
class SecondaryOnly:
    pattern: str
    guideline: str
    note: str


@cache
def secondary_only() -> tuple[SecondaryOnly, ...]:
    return tuple(
        SecondaryOnly(r["pattern"], r.get("guideline") or "", r.get("note", ""))
        for r in _tsv("secondary_only.tsv")
    )


@dataclass(frozen=True)
class AgeEdit:
    pattern: str
    min_age: int
    max_age: int
    severity: str
    guideline: str
    note: str


@cache
def age_edits() -> tuple[AgeEdit, ...]:
    return tuple(
        AgeEdit(
            r["pattern"],
            int(r["min_age"]),
            int(r["max_age"]),
            r["severity"],
            r.get("guideline") or "MCE",
            r.get("note", ""),
        )
        for r in _tsv("age_edits.tsv")
    )
