"""Diabetes type (I.C.4.a): the classification's category follows the type the chart documents.
Type not documented -> type 2 (E11, I.C.4.a.2); type 1 documented -> E10; secondary diabetes (due to
an underlying condition, drug- or chemical-induced) keeps E08/E09/E13 only when the statement says so."""

from __future__ import annotations

import re

from knowledge.codeset import get_codeset

TYPE1 = re.compile(
    r"\b(?:type\s*(?:1|i|one)\b|t1dm|dm\s*(?:1|i)\b|dm1\b|iddm|juvenile[- ]onset)", re.IGNORECASE
)
TYPE2 = re.compile(
    r"\b(?:type\s*(?:2|ii|two)\b|t2dm|dm\s*(?:2|ii)\b|dm2\b|niddm|adult[- ]onset)", re.IGNORECASE
)
_SECONDARY = re.compile(
    r"due to|secondary|induced|steroid|drug|chemical|pancreat|cystic fibrosis|post-?surg|"
    r"other specified|cushing|hemochromatosis|gestational|pregnan",
    re.IGNORECASE,
)
_CATEGORIES = ("E08", "E09", "E10", "E11", "E13")


def chart_type(text: str) -> str | None:
    """E10 when only type 1 is documented; E11 when type 2 is (a chart with both is flagged as a
    conflict elsewhere); None when no type is written."""
    one, two = bool(TYPE1.search(text)), bool(TYPE2.search(text))
    if one and not two:
        return "E10"
    if two:
        return "E11"
    return None


def with_documented_type(code: str, statement: str, chart_text: str) -> str:
    if not code.startswith(_CATEGORIES):
        return code
    if code.startswith(("E08", "E09", "E13")) and _SECONDARY.search(statement):
        return code
    stated = chart_type(statement) or chart_type(chart_text) or "E11"
    if code.startswith(stated):
        return code
    candidate = stated + code[3:]
    codeset = get_codeset()
    return candidate if codeset.is_billable(candidate) else code


_POORLY_CONTROLLED = re.compile(
    r"poorly controlled|uncontrolled|not (?:well )?controlled|out of control|inadequately controlled|"
    r"suboptimal(?:ly)? controlled|with hyperglycemia|hyperglycemic",
    re.IGNORECASE,
)


def with_control_status(code: str, statement: str) -> str:
    """Diabetes "poorly controlled", "uncontrolled" or "out of control" is coded by type as diabetes
    with hyperglycemia (.65) when no other complication is stated (Alphabetic Index, I.C.4.a)."""
    if not code.startswith(_CATEGORIES) or not code.endswith(".9"):
        return code
    if not _POORLY_CONTROLLED.search(statement):
        return code
    candidate = code[:3] + ".65"
    return candidate if get_codeset().is_billable(candidate) else code
