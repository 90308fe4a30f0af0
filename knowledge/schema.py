"""Shared pydantic models: every layer speaks these types.

They mirror ../shared/spec/*.schema.json exactly; `CodingResult.model_dump(mode="json")` is the
contract the CLI's --json output and the API return.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Setting = Literal["outpatient", "inpatient", "emergency"]
Sex = Literal["F", "M", "U"]
Severity = Literal["error", "warning", "info"]
SETTINGS: tuple[str, ...] = ("outpatient", "inpatient", "emergency")
KNOWLEDGE_VERSION = "ICD-10-CM 2026-04-01"


class Patient(BaseModel):
    model_config = ConfigDict(extra="allow")

    age: int | None = Field(default=None, ge=0, le=124)
    sex: Sex | None = None


class Chart(BaseModel):
    """One encounter's documentation, the input to coding (chart.schema.json)."""

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    text: str = Field(min_length=1)
    setting: Setting = "outpatient"
    specialty: str | None = None
    patient: Patient = Field(default_factory=Patient)
    date_of_service: date | None = None

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("chart text is empty")
        return value


class Evidence(BaseModel):
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class CodeSuggestion(BaseModel):
    code: str
    system: Literal["ICD-10-CM", "ICD-10-PCS", "HCPCS", "CPT"] = "ICD-10-CM"
    description: str
    principal: bool = False
    evidence: list[Evidence] = Field(min_length=1)
    confidence: float = Field(ge=0.0, le=1.0)
    rationale: str = ""
    guideline_refs: list[str] = Field(default_factory=list)
    hcc: str | None = None


class Finding(BaseModel):
    rule: str
    severity: Severity
    message: str
    codes: list[str] = Field(default_factory=list)
    guideline_ref: str | None = None


class Review(BaseModel):
    required: bool
    reasons: list[str] = Field(default_factory=list)
    priority: int = Field(default=0, ge=0, le=100)


class DocumentationGap(BaseModel):
    topic: str
    query: str
    evidence: list[dict[str, object]] = Field(default_factory=list)


class Meta(BaseModel):
    model_config = ConfigDict(extra="allow")

    engine: str
    model: str | None = None
    prompt_version: str | None = None
    knowledge_version: str = KNOWLEDGE_VERSION
    latency_ms: float = 0.0
    tokens: dict[str, int] = Field(default_factory=dict)
    audit_id: str | None = None


class CodingResult(BaseModel):
    chart_id: str | None
    codes: list[CodeSuggestion]
    findings: list[Finding]
    review: Review
    documentation_gaps: list[DocumentationGap] = Field(default_factory=list)
    meta: Meta


class LookupHit(BaseModel):
    code: str
    description: str
    score: float


class LookupResult(BaseModel):
    query: str
    results: list[LookupHit]
