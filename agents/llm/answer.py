"""The structured answer the model must give, and a forgiving parser for what models really send.

Models wrap JSON in ```json fences, put a sentence before it, or send a bare list of codes. The
parser digs out the first JSON value and validates it; what it cannot repair becomes an AnswerError
whose message is written for the model, so the proposer can send it back and ask again.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


class AnswerError(ValueError):
    """The model's answer is not usable; the message tells the model what to fix."""


class LLMCode(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str = Field(min_length=1)
    evidence: list[str] = Field(min_length=1, description="Quotes copied verbatim from the chart.")
    rationale: str = ""
    guideline_refs: list[str] = Field(default_factory=list)
    principal: bool = False

    @field_validator("evidence", "guideline_refs", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        """Accept one string for a list, and leave out empty quotes (they ground nothing)."""
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            return [item for item in value if not isinstance(item, str) or item.strip()]
        return value

    @field_validator("code", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("rationale", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return "" if value is None else value


class LLMAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    codes: list[LLMCode]


def parse_answer(text: str | None) -> LLMAnswer:
    """The first JSON object in `text` as an LLMAnswer, or AnswerError saying what is wrong."""
    value = _shape(_first_json(text or ""))
    try:
        return LLMAnswer.model_validate(value)
    except ValidationError as exc:
        raise AnswerError(f"The JSON does not match the required shape: {_describe(exc)}") from exc


def _first_json(text: str) -> Any:
    """Look inside code fences first, then anywhere, for a JSON object or an array of objects
    (so "[1]" in a sentence is skipped, and a list of codes is not mistaken for its first item)."""
    decoder = json.JSONDecoder()
    for block in [*(m.group(1) for m in _FENCE.finditer(text)), text]:
        for start, char in enumerate(block):
            if char not in "{[":
                continue
            try:
                value = decoder.raw_decode(block, start)[0]
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict) or all(isinstance(item, dict) for item in value):
                return value
    raise AnswerError("The answer contains no valid JSON object. Answer with only the JSON object.")


def _shape(value: Any) -> Any:
    """Forgive the common near-misses: a bare list of codes, or one code object on its own."""
    if isinstance(value, list):
        return {"codes": value}
    if isinstance(value, dict) and "codes" not in value and "code" in value:
        return {"codes": [value]}
    return value


def _describe(exc: ValidationError, limit: int = 5) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in errors[:limit]]
    more = f" (and {len(errors) - limit} more)" if len(errors) > limit else ""
    return "; ".join(parts) + more
