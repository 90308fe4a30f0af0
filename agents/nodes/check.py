"""check: the rule tool on the proposed code set, in reporting order, with the chart's context."""

from __future__ import annotations

from typing import Any

from agents.state import CodingState
from knowledge.rules import check_codes


def check(state: CodingState) -> dict[str, Any]:
    chart = state["chart"]
    proposals = state.get("proposals", [])
    if not proposals:
        return {"findings": []}
    assertions = {p.code: (p.assertion,) for p in proposals}
    findings = check_codes(
        [p.code for p in proposals],
        age=chart.patient.age,
        sex=chart.patient.sex,
        setting=chart.setting,
        chart_text=chart.text,
        assertions=assertions,
    )
    return {"findings": findings}
