"""What every rule sees: the codes in reporting order, the patient, the setting, optional chart context."""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.codeset import CodeSet, get_codeset
from knowledge.schema import Finding, Severity

ASSERTIONS = ("affirmed", "negated", "historical", "family", "hypothetical", "uncertain")


@dataclass(frozen=True)
class CheckContext:
    codes: tuple[str, ...]
    age: int | None = None
    sex: str | None = None
    setting: str = "outpatient"
    chart_text: str | None = None
    # code -> the assertion of each piece of evidence the chart gives for it
    assertions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    codeset: CodeSet = field(default_factory=get_codeset)

    @property
    def valid_codes(self) -> list[str]:
        """Valid codes (billable or not), in order, each once."""
        seen: list[str] = []
        for code in self.codes:
            if self.codeset.is_valid(code) and code not in seen:
                seen.append(code)
        return seen

    @property
    def billable_codes(self) -> list[str]:
        return [c for c in self.valid_codes if self.codeset.is_billable(c)]

    def matches(self, code: str, pattern: str) -> bool:
        return self.codeset.in_range(code, pattern)

    def any_matching(self, pattern: str, exclude: str | None = None) -> list[str]:
        return [c for c in self.valid_codes if c != exclude and self.matches(c, pattern)]


def finding(rule: str, severity: Severity, message: str, codes: list[str], ref: str | None) -> Finding:
    return Finding(rule=rule, severity=severity, message=message, codes=codes, guideline_ref=ref)
