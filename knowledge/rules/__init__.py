"""The rule tool: pure functions over (codes in reporting order, age, sex, setting, chart context)
that return findings with a stable rule id, a severity, a message and the guideline they enforce.

`check_codes` is the one entry point the graph, the chat agent, the API and the CLI call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from knowledge.codeset import normalize_code
from knowledge.errors import InputError
from knowledge.rules.additional import check_use_additional
from knowledge.rules.combination import check_combinations
from knowledge.rules.context import ASSERTIONS, CheckContext
from knowledge.rules.demographics import check_age, check_sex
from knowledge.rules.duplicates import check_duplicates
from knowledge.rules.excludes import check_excludes1
from knowledge.rules.manifestation import check_manifestations
from knowledge.rules.sequencing import check_sequencing
from knowledge.rules.symptoms import check_symptoms
from knowledge.rules.uncertain import check_uncertain
from knowledge.rules.validity import check_validity
from knowledge.schema import SETTINGS, Finding

Rule = Callable[[CheckContext], list[Finding]]

RULES: dict[str, Rule] = {
    "validity": check_validity,
    "duplicate": check_duplicates,
    "excludes1": check_excludes1,
    "manifestation": check_manifestations,
    "combination_code": check_combinations,
    "symptom_integral": check_symptoms,
    "use_additional": check_use_additional,
    "age_conflict": check_age,
    "sex_conflict": check_sex,
    "sequencing": check_sequencing,
    "uncertain_outpatient": check_uncertain,
}
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def make_context(
    codes: Iterable[str],
    age: int | None = None,
    sex: str | None = None,
    setting: str = "outpatient",
    chart_text: str | None = None,
    assertions: Mapping[str, Iterable[str]] | None = None,
) -> CheckContext:
    """Validate the arguments (InputError on bad ones) and build the context the rules read."""
    normalized = tuple(normalize_code(c) for c in codes)
    if not normalized:
        raise InputError("no codes given: pass at least one ICD-10-CM code")
    if age is not None and not 0 <= age <= 124:
        raise InputError(f"age {age} is out of range (0-124)")
    if sex is not None and sex not in ("F", "M", "U"):
        raise InputError(f"sex must be F, M or U, not {sex!r}")
    if setting not in SETTINGS:
        raise InputError(f"unknown setting {setting!r}: use one of {', '.join(SETTINGS)}")
    labels: dict[str, tuple[str, ...]] = {}
    for code, values in (assertions or {}).items():
        values = tuple(values)
        unknown = [v for v in values if v not in ASSERTIONS]
        if unknown:
            raise InputError(f"unknown assertion {unknown[0]!r}: use one of {', '.join(ASSERTIONS)}")
        labels[normalize_code(code)] = values
    return CheckContext(normalized, age, sex, setting, chart_text, labels)


def run_rules(ctx: CheckContext) -> list[Finding]:
    findings = [f for rule in RULES.values() for f in rule(ctx)]
    return sorted(findings, key=lambda f: _SEVERITY_ORDER[f.severity])


def check_codes(
    codes: Iterable[str],
    age: int | None = None,
    sex: str | None = None,
    setting: str = "outpatient",
    chart_text: str | None = None,
    assertions: Mapping[str, Iterable[str]] | None = None,
) -> list[Finding]:
    """Every finding for a code set, errors first."""
    return run_rules(make_context(codes, age, sex, setting, chart_text, assertions))
