"""The deterministic assistant: a message is matched to one intent by patterns (first match wins), the
intent names a tool and its arguments, and the tool's text is the answer. No LLM, no network.

Order matters and reads top to bottom in `route`: help, review decisions, code checks, look-ups,
guideline questions, chart questions, questions about a code, coding the chart, and else help.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from agents.chat.tools import ToolOutput, codes_in, section_ref

IntentName = Literal[
    "help", "code", "explain", "chart", "guideline", "lookup", "check", "decide", "clarify", "unknown"
]

HELP = """I can help with this chart. Ask me, for example:
- **which codes and why?** or **code this chart**: the proposed codes with evidence, reasons, findings
- **why E11.22?** or **why E11.22 and not E11.9?**: a code's evidence, rationale, findings and guideline
- **what does the note say about the CKD stage?**: the chart's sentences on a topic, with offsets
- **what does the guideline say about uncertain diagnoses?** (or a section, e.g. **guideline I.C.4.a**)
- **look up left hip fracture, initial encounter**: ranked codes for a phrase
- **check E11.9 I10** (or just **check**): rule checks on a code set, with the chart's patient and setting
- **accept**, **accept all but I10**, **reject E11.9**, **add Z79.84**, **accept only E11.22 N18.32**, \
**reject**: record your review decision in the audit trail"""

DECISION_HINT = (
    "To record a decision on the code set, say **accept** (all proposed codes), **accept only** followed by "
    "the codes to keep, **accept all but** followed by the codes to drop, **reject** followed by codes "
    "to drop, **add** followed by codes, or **reject** alone to send the whole set back."
)

_I = re.IGNORECASE
_HELP = re.compile(r"^\s*(?:help|\?+|what can you do|how do i use (?:this|you)|commands)\W*$", _I)
_DECIDE = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|yes|great|looks good|lgtm|fine)\W+)?(?:please\s+)?"
    r"(?P<verb>accept|approve|sign[\s-]?off(?:\s+on)?|reject|decline|drop|remove|delete|add|replace|keep|edit)\b",
    _I,
)
_EXCEPT = re.compile(
    r"\b(?:all\s+but|all\s+except|everything\s+but|everything\s+except|except(?:\s+for)?|but\s+not|"
    r"apart\s+from|other\s+than|minus|without)\b",
    _I,
)
_ONLY = re.compile(r"\bonly\b", _I)
_REPLACE = re.compile(r"\breplace\s+(?P<old>.+?)\s+(?:with|by)\s+(?P<new>.+)$", _I)
_CHECK = re.compile(
    r"^\W*(?:please\s+)?(?:check|validate|verify|audit|run (?:the )?(?:rules|edits) on)\b", _I
)
_LOOKUP = re.compile(
    r"^\W*(?:please\s+)?(?:can you\s+)?(?:look\s*up|search(?:\s+for)?|"
    r"find(?:\s+the)?(?:\s+icd(?:-?10)?)?\s+codes?\s+for|"
    r"what(?:'s|\s+is|\s+are)\s+the\s+(?:icd(?:-?10(?:-cm)?)?\s+)?codes?\s+for|(?:icd(?:-?10(?:-cm)?)?\s+)?codes?\s+for)"
    r"\s+(?:the\s+)?(?:(?:icd(?:-?10(?:-cm)?)?\s+)?codes?\s+(?:for|of)\s+)?(?P<q>.+)$",
    _I,
)
_GUIDELINE = re.compile(r"\bguidelines?\b|\bofficial\s+(?:coding\s+)?rules?\b", _I)
_ABOUT = re.compile(r"\b(?:about|on|for|regarding|concerning|of)\s+(?P<q>.+)$", _I)
_CHART_WORDS = (
    r"(?:note|chart|record|documentation|text|provider|doctor|physician|h&p|discharge summary|encounter)"
)
_CHART = [
    re.compile(
        rf"\b(?:what|how|where)\s+(?:does|did|do)\s+(?:the\s+)?{_CHART_WORDS}\s+"
        r"(?:say|state|document|mention|tell(?:\s+us)?|report|show)s?\s+(?:about\s+|on\s+|regarding\s+)?(?P<q>.+)$",
        _I,
    ),
    re.compile(
        rf"\b(?:does|do|did|is|where(?:\s+does)?)\s+(?:the\s+)?{_CHART_WORDS}\s+"
        r"(?:mention|say|document|state|show)s?\s+(?P<q>.+)$",
        _I,
    ),
    re.compile(
        r"\b(?:what\s+is|what's|is\s+there\s+anything|anything)\s+documented\s+(?:about\s+|on\s+)?(?P<q>.+)$",
        _I,
    ),
    re.compile(
        rf"\b(?:find|show|search(?:\s+for)?|where\s+is)\s+(?P<q>.+?)\s+in\s+the\s+{_CHART_WORDS}\b", _I
    ),
    re.compile(rf"\bin\s+the\s+{_CHART_WORDS}\b.*\babout\s+(?P<q>.+)$", _I),
    re.compile(rf"^\W*(?P<q>.+?)\s+(?:in|from)\s+the\s+{_CHART_WORDS}\W*$", _I),
]
_EXPLAIN = re.compile(
    r"\b(?:why|explain|how\s+come|reason|evidence|support|supports|justify|justification|what\s+about|tell\s+me\s+about)\b",
    _I,
)
_VERSUS = re.compile(r"\b(?:not|instead\s+of|rather\s+than|over|vs\.?|versus|compared\s+(?:to|with))\b", _I)
_CODE = re.compile(
    r"\b(?:which|what)\s+(?:icd(?:-?10)?\s+)?codes\b|\bcode\s+(?:this|the|my)\b|^\W*code\W*$|\bcodes?\s+and\s+why\b|"
    r"\bre-?code\b|\bsummar(?:y|ize|ise)\b|\b(?:list|show)\s+(?:me\s+)?(?:the\s+)?codes\b|\bproposed\s+codes\b|"
    r"\bwhy\s+these\s+codes\b",
    _I,
)
_RECODE = re.compile(r"\bre-?code\b|\bagain\b|\bfresh\b", _I)
_AGE = re.compile(r"\b(?:age\s*)?(?P<age>\d{1,3})\s*(?:-|\s)?(?:y/?o|yo|years?(?:[\s-]+old)?|yrs?)\b", _I)
_SEX = re.compile(r"\b(?P<sex>male|female|man|woman|boy|girl|sex\s*[mf])\b", _I)
_SETTING = re.compile(r"\b(?P<setting>inpatient|outpatient|emergency|ed|er)\b", _I)
_LEADING_ARTICLE = re.compile(r"^(?:a|an|the|my)\s+", _I)


@dataclass(frozen=True)
class Intent:
    name: IntentName
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    reply: str = ""  # the answer of an intent that needs no tool


def route(message: str) -> Intent:
    """The intent of one message."""
    text = message.strip()
    if not text or _HELP.match(text):
        return Intent("help", reply=HELP)
    decide = _DECIDE.match(text)
    if decide:
        return _decision(decide.group("verb").lower(), text)
    if _CHECK.match(text):
        return _check(text)
    lookup = _LOOKUP.match(text)
    if lookup:
        return Intent("lookup", "lookup_codes", {"phrase": _topic(lookup.group("q")), "k": 5})
    if _GUIDELINE.search(text) or (section_ref(text) and not codes_in(text)):
        return _guideline(text)
    for pattern in _CHART:
        match = pattern.search(text)
        if match and _topic(match.group("q")):
            topic = _topic(match.group("q"))
            named = codes_in(topic)
            if named:
                return Intent("explain", "explain_code", {"code": named[0]})
            return Intent("chart", "search_chart", {"topic": topic})
    codes = codes_in(text)
    if codes and (_EXPLAIN.search(text) or len(text.split()) <= 3):
        return _explain(text, codes)
    if _CODE.search(text):
        return Intent("code", "code_chart", {"recode": bool(_RECODE.search(text))})
    if codes:
        return _explain(text, codes)
    return Intent("unknown", reply="I'm not sure what you are asking. " + HELP)


def answer_text(intent: Intent, outputs: list[ToolOutput]) -> str:
    """The answer: the tools' text, or what went wrong in words a coder can act on."""
    if not outputs:
        return intent.reply or HELP
    parts = []
    for output in outputs:
        parts.append(output.text if output.ok else f"I could not do that: {output.text}")
    return "\n\n".join(parts)


def _topic(raw: str) -> str:
    topic = raw.strip().rstrip("?.! ").strip()
    return _LEADING_ARTICLE.sub("", topic).strip()


def _decision(verb: str, text: str) -> Intent:
    codes = codes_in(text)
    note = text[:500]
    if verb in ("accept", "approve", "keep") or verb.startswith("sign"):
        exception = _EXCEPT.search(text)
        if exception:
            drop = codes_in(text[exception.end() :])
            if drop:
                return _decide(decision="edit", remove=drop, note=note)
        if codes and (_ONLY.search(text) or verb == "keep"):
            return _decide(decision="edit", codes=codes, note=note)
        if codes:
            return Intent("clarify", reply=f"Do you mean to keep only {', '.join(codes)}? " + DECISION_HINT)
        if verb == "keep":
            return Intent("clarify", reply=DECISION_HINT)
        return _decide(decision="accept", note=note)
    if verb in ("reject", "decline", "drop", "remove", "delete"):
        if codes:
            return _decide(decision="edit", remove=codes, note=note)
        if verb in ("reject", "decline"):
            return _decide(decision="reject", note=note)
        return Intent("clarify", reply="Which codes should I remove? " + DECISION_HINT)
    if verb == "add":
        if codes:
            return _decide(decision="edit", add=codes, note=note)
        return Intent("clarify", reply="Which codes should I add? " + DECISION_HINT)
    if verb == "replace":
        match = _REPLACE.search(text)
        if match and codes_in(match.group("old")) and codes_in(match.group("new")):
            return _decide(
                decision="edit",
                remove=codes_in(match.group("old")),
                add=codes_in(match.group("new")),
                note=note,
            )
        return Intent("clarify", reply="Say for example **replace E11.9 with E11.22**. " + DECISION_HINT)
    # edit
    if codes:
        return _decide(decision="edit", codes=codes, note=note)
    return Intent(
        "clarify", reply="Give the final codes, e.g. **edit E11.22 N18.32 I12.9**. " + DECISION_HINT
    )


def _decide(**args: Any) -> Intent:
    return Intent("decide", "record_decision", args)


def _check(text: str) -> Intent:
    args: dict[str, Any] = {"codes": codes_in(text)}
    age = _AGE.search(text)
    if age and int(age.group("age")) <= 124:
        args["age"] = int(age.group("age"))
    sex = _SEX.search(text)
    if sex:
        word = sex.group("sex").lower()
        args["sex"] = "F" if word in ("female", "woman", "girl") or word.endswith("f") else "M"
    setting = _SETTING.search(text)
    if setting:
        word = setting.group("setting").lower()
        args["setting"] = "emergency" if word in ("ed", "er") else word
    return Intent("check", "check_codes", args)


def _guideline(text: str) -> Intent:
    section = section_ref(text)
    if section:
        return Intent("guideline", "search_guidelines", {"query": section, "k": 3})
    about = _ABOUT.search(text)
    query = _topic(about.group("q")) if about else text
    return Intent("guideline", "search_guidelines", {"query": query or text, "k": 3})


def _explain(text: str, codes: list[str]) -> Intent:
    if len(codes) >= 2 and _VERSUS.search(text):
        return Intent("explain", "explain_code", {"code": codes[0], "versus": codes[1]})
    return Intent("explain", "explain_code", {"code": codes[0]})
