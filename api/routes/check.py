"""POST /v1/check: the rule tool on a code set."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import StateDep
from api.errors import problems
from knowledge.schema import Finding, Patient, Setting

router = APIRouter(prefix="/v1", tags=["rules"])

CodeText = Annotated[str, StringConstraints(max_length=16)]


class CheckRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"codes": ["E11.22", "N18.31"], "patient": {"age": 67, "sex": "F"}}]}
    )

    codes: list[CodeText] = Field(min_length=1, max_length=100, description="In reporting order.")
    patient: Patient = Field(default_factory=Patient)
    setting: Setting = "outpatient"
    chart_text: str | None = Field(
        default=None, max_length=200_000, description="Optional: lets the rules look at the wording."
    )


class CheckResponse(BaseModel):
    findings: list[Finding]


@router.post(
    "/check", response_model=CheckResponse, summary="Check a code set", responses=problems(400, 401, 413, 422)
)
def check(body: CheckRequest, state: StateDep) -> CheckResponse:
    from knowledge.rules import check_codes

    findings = check_codes(
        body.codes,
        age=body.patient.age,
        sex=body.patient.sex,
        setting=body.setting,
        chart_text=body.chart_text,
    )
    state.metrics.found(findings)
    return CheckResponse(findings=findings)
