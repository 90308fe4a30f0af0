"""The chat assistant's tools: plain functions over one thread (its chart and latest coding result),
used alike by the deterministic router and by the LLM agent.

Each tool returns a ToolOutput: `text` is the answer written for a coder (the router shows it as
is), `data` is the same content as structured JSON (what the LLM reads), `summary` is one line for
the "tool" event. A tool that coded the chart on the way returns the new CodingResult in `result`,
so the graph keeps it (and its audit id) in the thread state.

`run_tool(name, arguments, view)` validates the arguments against the tool's pydantic model and turns
any failure into a ToolOutput with ok=False, so an agent reads the error instead of crashing.
"""

from __future__ import annotations

import contextvars
import logging
import math
import re
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from agents.context import RunContext
from knowledge.codeset import get_codeset, normalize_code
from knowledge.errors import ChartproofError, InputError
from knowledge.guidelines import GuidelineRule, guideline_index, load_guidelines, rules_for_code
from knowledge.lexicon import get_lexicon
from knowledge.schema import Chart, CodeSuggestion, CodingResult, Finding
from knowledge.settings import Settings
from knowledge.text import STOPWORDS, stem, words

log = logging.getLogger(__name__)

DEFAULT_REVIEWER = "chat"
MAX_SENTENCES = 8
TITLE_WEIGHT = 3
_CODE_TOKEN = re.compile(r"\b[A-Za-z]\d[0-9A-Za-z](?:\.?[0-9A-Za-z]{1,4})?\b")
SECTION_ID = re.compile(r"\b(?:IV|III|II|I)(?:\.[A-Za-z0-9]+)+(?:-\d+)?\b")
# Words of a question that say nothing about its topic.
NOISE = frozenset(
    "what does do did say says said tell tells about regarding chart note notes documentation "
    "document documented record text patient show me please any there is it this that which how "
    "where when mention mentions mentioned guideline guidelines official rule rules coding code "
    "codes icd 10 cm section sections".split()
)


class ToolFailure(ChartproofError):
    """A tool cannot do what was asked; the message is shown to the coder (or read by the LLM)."""


@dataclass
class ThreadView:
    """What a tool may read of a thread: the chart, the latest coding result, who is asking."""

    settings: Settings
    chart: Chart | None = None
    result: CodingResult | None = None
    reviewer: str = DEFAULT_REVIEWER

    @property
    def audit_id(self) -> str | None:
        return self.result.meta.audit_id if self.result else None


@dataclass
class ToolOutput:
    name: str
    arguments: dict[str, Any]
    text: str
    summary: str
    data: dict[str, Any] = field(default_factory=dict)
    ok: bool = True
    result: CodingResult | None = None  # set when the tool coded (or recoded) the chart


# -- argument models (their JSON schemas are what the LLM sees) ------------------------------------------
class CodeChartArgs(BaseModel):
    recode: bool = Field(default=False, description="Code again even if the thread was coded already.")


class ExplainCodeArgs(BaseModel):
    code: str = Field(description="The ICD-10-CM code to explain, e.g. E11.22.")
    versus: str | None = Field(
        default=None, description="For 'why X and not Y': the other code Y to compare with."
    )


class SearchChartArgs(BaseModel):
    topic: str = Field(min_length=1, description="Words to find in the chart, e.g. 'CKD stage'.")


class SearchGuidelinesArgs(BaseModel):
    query: str = Field(
        min_length=1,
        description="Keywords (e.g. 'uncertain diagnosis outpatient') or a section id (I.C.4.a).",
    )
    k: int = Field(default=3, ge=1, le=10)


class LookupCodesArgs(BaseModel):
    phrase: str = Field(min_length=1, description="A diagnosis in words, e.g. 'left hip fracture, initial'.")
    k: int = Field(default=5, ge=1, le=20)


class CheckCodesArgs(BaseModel):
    codes: list[str] = Field(
        default_factory=list, description="Codes in reporting order; empty = the thread's current codes."
    )
    age: int | None = Field(default=None, ge=0, le=124, description="Default: the chart's patient.")
    sex: Literal["F", "M", "U"] | None = None
    setting: Literal["outpatient", "inpatient", "emergency"] | None = None


class RecordDecisionArgs(BaseModel):
    decision: Literal["accept", "reject", "edit"] = Field(
        description="accept: all proposed codes; reject: the whole set; edit: a changed code set."
    )
    codes: list[str] | None = Field(default=None, description="edit only: the complete final code list.")
    remove: list[str] = Field(default_factory=list, description="Codes to drop from the current set.")
    add: list[str] = Field(default_factory=list, description="Codes to add to the current set.")
    note: str = Field(default="", max_length=2000)


# -- helpers ----------------------------------------------------------------------------------------------
def parse_code(raw: str, billable: bool = False) -> str:
    """A valid FY2026 code (category, subcategory or code) from what a person typed; with `billable`,
    only a complete code that may be reported."""
    code = normalize_code(raw)
    codeset = get_codeset()
    if not codeset.is_valid(code):
        raise ToolFailure(f"{code} is not a valid ICD-10-CM code (FY2026)")
    if billable and not codeset.is_billable(code):
        examples = ", ".join(codeset.billable_descendants(code)[:3])
        raise ToolFailure(
            f"{code} is a heading, not a billable code: report a complete code (e.g. {examples})"
        )
    return code


def codes_in(text: str) -> list[str]:
    """The valid ICD-10-CM codes written in a message, in order, each once."""
    found: list[str] = []
    for match in _CODE_TOKEN.finditer(text):
        try:
            code = normalize_code(match.group())
        except InputError:
            continue
        if get_codeset().is_valid(code) and code not in found:
            found.append(code)
    return found


def _require_chart(view: ThreadView) -> Chart:
    if view.chart is None:
        raise ToolFailure("this thread has no chart: start a thread with a chart to ask about it")
    return view.chart


def _ensure_result(view: ThreadView) -> tuple[CodingResult, bool]:
    """The thread's coding result, coding the chart first when it has not been (True = just coded)."""
    if view.result is not None:
        return view.result, False
    view.result = run_coder(_require_chart(view), view.settings)
    return view.result, True


def run_coder(chart: Chart, settings: Settings) -> CodingResult:
    """Code a chart (audited). In a fresh context: called inside a node of the chat graph, the coding
    graph would otherwise join the chat thread as a subgraph and checkpoint its whole state there."""
    from agents.coder import code_chart as code

    return contextvars.Context().run(code, chart, RunContext(settings=settings))


def _suggestion(result: CodingResult, code: str) -> CodeSuggestion | None:
    return next((s for s in result.codes if s.code == code), None)


def _findings_for(result: CodingResult, code: str) -> list[Finding]:
    return [f for f in result.findings if code in f.codes or code in f.message]


def _quote(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section_ref(text: str) -> str | None:
    """The first guideline section id written in the text ("IV.H", "I.C.4.a.2") that exists."""
    for match in SECTION_ID.finditer(text):
        if _in_section(match.group()):
            return match.group()
    return None


def _in_section(ref: str) -> list[GuidelineRule]:
    return [r for r in load_guidelines() if r.id == ref or r.id.startswith((ref + ".", ref + "-"))]


def guideline_rule(ref: str) -> GuidelineRule | None:
    """The rule for a reference: its exact id, else the first rule of that section."""
    index = guideline_index()
    if ref in index:
        return index[ref]
    return next((r for r in load_guidelines() if r.id.startswith((ref + ".", ref + "-"))), None)


def _evidence_data(suggestion: CodeSuggestion) -> list[dict[str, Any]]:
    return [{"text": e.text, "start": e.start, "end": e.end} for e in suggestion.evidence]


def _finding_data(finding: Finding) -> dict[str, Any]:
    return finding.model_dump(mode="json")


def _finding_line(finding: Finding) -> str:
    ref = f" ({finding.guideline_ref})" if finding.guideline_ref else ""
    return f"- {finding.severity.upper()} [{finding.rule}] {finding.message}{ref}"


def _coded_note(just_coded: bool, result: CodingResult) -> str:
    if not just_coded:
        return ""
    return f"(Coded the chart first: {len(result.codes)} codes, audit {result.meta.audit_id}.)\n\n"


# -- the tools ----------------------------------------------------------------------------------------------
def code_chart(view: ThreadView, recode: bool = False) -> ToolOutput:
    """Code the thread's chart (or show the codes it already has), with evidence and reasons."""
    args = {"recode": recode}
    chart = _require_chart(view)
    if recode or view.result is None:
        result = run_coder(chart, view.settings)
        view.result, coded = result, True
    else:
        result, coded = view.result, False
    lines = [
        f"**{len(result.codes)} codes** for this chart "
        f"(engine {result.meta.engine}, audit {result.meta.audit_id or 'not recorded'}):",
        "",
    ]
    for n, s in enumerate(result.codes, 1):
        principal = ", principal" if s.principal else ""
        lines.append(f"{n}. **{s.code}** {s.description} (confidence {s.confidence:.2f}{principal})")
        quotes = "; ".join(f'"{_quote(e.text, 80)}" [{e.start}-{e.end}]' for e in s.evidence)
        lines.append(f"   Evidence: {quotes}")
        if s.rationale:
            lines.append(f"   Why: {s.rationale}")
        if s.guideline_refs:
            lines.append(f"   Guidelines: {', '.join(s.guideline_refs)}")
    if result.findings:
        lines += ["", "**Rule findings:**", *(_finding_line(f) for f in result.findings)]
    if result.review.required:
        lines += [
            "",
            f"**Review required** (priority {result.review.priority}): {', '.join(result.review.reasons)}",
        ]
    else:
        lines += ["", "No review required by policy."]
    for gap in result.documentation_gaps:
        lines.append(f"Documentation gap ({gap.topic}): suggested query: {gap.query}")
    data = {
        "audit_id": result.meta.audit_id,
        "engine": result.meta.engine,
        "codes": [
            {
                "code": s.code,
                "description": s.description,
                "principal": s.principal,
                "confidence": s.confidence,
                "evidence": _evidence_data(s),
                "rationale": s.rationale,
                "guideline_refs": s.guideline_refs,
            }
            for s in result.codes
        ],
        "findings": [_finding_data(f) for f in result.findings],
        "review": result.review.model_dump(mode="json"),
        "documentation_gaps": [g.model_dump(mode="json") for g in result.documentation_gaps],
    }
    codes = ", ".join(s.code for s in result.codes) or "no codes"
    summary = f"{'coded' if coded else 'current codes'}: {codes}"
    return ToolOutput("code_chart", args, "\n".join(lines), summary, data, result=result if coded else None)


def explain_code(view: ThreadView, code: str, versus: str | None = None) -> ToolOutput:
    """Why a code was proposed (evidence, rationale, confidence, findings, guidelines); with `versus`,
    why it and not the other code."""
    args = {"code": code, "versus": versus}
    codeset = get_codeset()
    code = parse_code(code)
    other = parse_code(versus) if versus else None
    if view.chart is None:
        return _explain_without_chart(args, code, other)
    result, coded = _ensure_result(view)
    suggestion = _suggestion(result, code)
    lines: list[str] = [_coded_note(coded, result).rstrip()] if coded else []
    data: dict[str, Any] = {"code": code, "title": codeset.title(code), "proposed": suggestion is not None}
    if suggestion is not None:
        principal = " It is the principal (first-listed) code." if suggestion.principal else ""
        lines.append(
            f"**{code}** {suggestion.description}: proposed with confidence "
            f"{suggestion.confidence:.2f}.{principal}"
        )
        lines.append("What in the chart supports it:")
        lines += [f'- "{_quote(e.text)}" [{e.start}-{e.end}]' for e in suggestion.evidence]
        if suggestion.rationale:
            lines.append(f"Reasoning: {suggestion.rationale}")
        data.update(
            confidence=suggestion.confidence,
            principal=suggestion.principal,
            evidence=_evidence_data(suggestion),
            rationale=suggestion.rationale,
        )
        refs = suggestion.guideline_refs
    else:
        lines.append(f"**{code}** {codeset.title(code)} is not among the proposed codes.")
        related = [s for s in result.codes if s.code[:3] == code[:3]]
        if related:
            lines.append(
                "Proposed instead in the same category: "
                + ", ".join(f"**{s.code}** {s.description}" for s in related)
                + "."
            )
            data["related_proposed"] = [s.code for s in related]
        refs = [r.id for r in rules_for_code(code)[:2]]
    findings = _findings_for(result, code)
    if findings:
        lines += ["Rule findings that mention it:", *(_finding_line(f) for f in findings)]
    data["findings"] = [_finding_data(f) for f in findings]
    lines += _guideline_lines(refs, data)
    if other is not None:
        lines += ["", *_versus_lines(result, code, suggestion, other, data)]
    summary = f"{code}: " + (
        f"{len(suggestion.evidence)} evidence span(s), {len(findings)} finding(s)"
        if suggestion
        else "not proposed"
    )
    if other:
        summary += f"; compared with {other}"
    return ToolOutput("explain_code", args, "\n".join(lines), summary, data, result=result if coded else None)


def _guideline_lines(refs: list[str], data: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    data["guidelines"] = []
    for ref in refs:
        rule = guideline_rule(ref)
        if rule is None:
            continue
        lines.append(f"Guideline {rule.id}, {rule.title}: {rule.rule}")
        data["guidelines"].append({"id": rule.id, "title": rule.title, "rule": rule.rule})
    return lines


def _versus_lines(
    result: CodingResult, code: str, suggestion: CodeSuggestion | None, other: str, data: dict[str, Any]
) -> list[str]:
    codeset = get_codeset()
    other_suggestion = _suggestion(result, other)
    lines = [f'**{code}** is "{codeset.title(code)}"; **{other}** is "{codeset.title(other)}".']
    if other in codeset.ancestors(code):
        lines.append(
            f"{code} sits under {other}: it is the more specific code, and only complete codes are reported."
        )
    elif other[:3] == code[:3]:
        lines.append(f"Both are in category {code[:3]}; the chart's words decide between them.")
    if suggestion is not None:
        quotes = ", ".join(f'"{_quote(e.text, 80)}"' for e in suggestion.evidence)
        lines.append(f"The chart supports {code} with {quotes}.")
    if other_suggestion is not None:
        lines.append(f"{other} is proposed too (confidence {other_suggestion.confidence:.2f}).")
    else:
        lines.append(f"{other} is not proposed.")
    other_findings = [f for f in _findings_for(result, other) if f not in _findings_for(result, code)]
    shared = [f for f in result.findings if code in f.codes and other in f.codes]
    for f in shared + other_findings:
        lines.append(_finding_line(f))
    data["versus"] = {
        "code": other,
        "title": codeset.title(other),
        "proposed": other_suggestion is not None,
        "findings": [_finding_data(f) for f in shared + other_findings],
    }
    return lines


def _explain_without_chart(args: dict[str, Any], code: str, other: str | None) -> ToolOutput:
    codeset = get_codeset()
    data: dict[str, Any] = {"code": code, "title": codeset.title(code), "proposed": False}
    lines = [f"**{code}** {codeset.title(code)}. This thread has no chart, so nothing is proposed."]
    lines += _guideline_lines([r.id for r in rules_for_code(code)[:2]], data)
    if other:
        lines.append(f'**{other}** is "{codeset.title(other)}".')
        data["versus"] = {"code": other, "title": codeset.title(other)}
    return ToolOutput("explain_code", args, "\n".join(lines), f"{code}: no chart", data)


def _stems(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w not in STOPWORDS and w not in NOISE}


def search_chart(view: ThreadView, topic: str) -> ToolOutput:
    """Sentences of the chart that speak of a topic (abbreviations expanded both ways), with offsets."""
    from agents.sections import split_sentences

    args = {"topic": topic}
    chart = _require_chart(view)
    lexicon = get_lexicon()
    asked = _stems(topic)
    expanded = _stems(lexicon.expand(topic)) - asked
    if not asked:
        raise ToolFailure("say which words to look for, e.g. 'what does the note say about the CKD stage?'")
    hits: list[tuple[int, int, int, str]] = []  # (-score, start, end, text)
    for span in split_sentences(chart.text):
        sentence = chart.text[span.start : span.end]
        have = _stems(lexicon.expand(sentence))
        score = 2 * len(asked & have) + len(expanded & have)
        if score:
            hits.append((-score, span.start, span.end, sentence))
    best = sorted(sorted(hits)[:MAX_SENTENCES], key=lambda h: h[1])
    sentences: list[dict[str, Any]] = [{"start": s, "end": e, "text": t} for _, s, e, t in best]
    if not sentences:
        text = f'The chart says nothing about "{topic}" (looked for: {", ".join(sorted(asked | expanded))}).'
    else:
        lines = [f'What the chart says about "{topic}":']
        lines += [f'- [{s}-{e}] "{_quote(t, 300)}"' for _, s, e, t in best]
        text = "\n".join(lines)
    summary = f"{len(sentences)} sentence(s) about '{_quote(topic, 40)}'"
    return ToolOutput("search_chart", args, text, summary, {"topic": topic, "sentences": sentences})


@cache
def _guideline_terms() -> tuple[list[tuple[GuidelineRule, Counter[str], int]], dict[str, float], float]:
    """BM25 statistics over the corpus; a rule's title counts three times, as titles say what it is about."""
    docs = []
    for rule in load_guidelines():
        terms = Counter(_stem_list(rule.title) * TITLE_WEIGHT + _stem_list(rule.rule))
        docs.append((rule, terms, sum(terms.values())))
    df = Counter(t for _, terms, _ in docs for t in terms)
    n = len(docs)
    idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
    average = sum(length for _, _, length in docs) / max(n, 1)
    return docs, idf, average


def _stem_list(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w not in STOPWORDS and w not in NOISE]


def _bm25(terms: Counter[str], length: int, wanted: set[str], idf: dict[str, float], average: float) -> float:
    k1, b = 1.2, 0.75
    norm = k1 * (1 - b + b * length / average)
    return sum(idf[t] * terms[t] * (k1 + 1) / (terms[t] + norm) for t in wanted if t in terms)


def search_guidelines(view: ThreadView, query: str, k: int = 3) -> ToolOutput:
    """Guideline rules by section id ("I.C.4.a") or by keyword overlap with their title and text."""
    args = {"query": query, "k": k}
    ref = section_ref(query)
    rules = _in_section(ref)[:k] if ref else []
    if not rules:
        docs, idf, average = _guideline_terms()
        wanted = _stems(get_lexicon().expand(query))
        if not wanted:
            raise ToolFailure("say what to look for in the guidelines, e.g. 'uncertain diagnoses'")
        scored = []
        for position, (rule, terms, length) in enumerate(docs):
            score = _bm25(terms, length, wanted, idf, average)
            if score:
                scored.append((-round(score, 6), rule.id.count("."), position, rule))
        rules = [rule for *_, rule in sorted(scored)[:k]]
    if rules:
        text = "\n\n".join(f"**{r.id} {r.title}**: {r.rule}" for r in rules)
    else:
        text = f'No guideline rule matches "{query}".'
    data = {"rules": [{"id": r.id, "title": r.title, "rule": r.rule, "codes": r.codes} for r in rules]}
    summary = f"{len(rules)} rule(s): {', '.join(r.id for r in rules)}" if rules else "no rule found"
    return ToolOutput("search_guidelines", args, text, summary, data)


def lookup_codes(view: ThreadView, phrase: str, k: int = 5) -> ToolOutput:
    """Ranked ICD-10-CM codes for a phrase (the same search as `chartproof lookup`)."""
    from knowledge.search import get_search

    args = {"phrase": phrase, "k": k}
    hits = get_search(view.settings).lookup(phrase, k=k).results
    if hits:
        lines = [f'Codes for "{phrase}":']
        lines += [f"{n}. **{h.code}** {h.description} (score {h.score:.2f})" for n, h in enumerate(hits, 1)]
        text = "\n".join(lines)
    else:
        text = f'No code matches "{phrase}".'
    data = {"query": phrase, "results": [h.model_dump(mode="json") for h in hits]}
    summary = f"{len(hits)} code(s): {', '.join(h.code for h in hits[:5])}" if hits else "no match"
    return ToolOutput("lookup_codes", args, text, summary, data)


def check_codes(
    view: ThreadView,
    codes: list[str] | None = None,
    age: int | None = None,
    sex: str | None = None,
    setting: str | None = None,
) -> ToolOutput:
    """The rule tool on a code set; the patient, setting and chart default to the thread's chart."""
    from knowledge.rules import check_codes as run_rules

    args = {"codes": codes or [], "age": age, "sex": sex, "setting": setting}
    chart = view.chart
    result: CodingResult | None = None
    if not codes:
        if chart is None:
            raise ToolFailure("name the codes to check, e.g. 'check E11.9 I10'")
        current, coded = _ensure_result(view)
        result = current if coded else None
        codes = [s.code for s in current.codes]
        if not codes:
            raise ToolFailure("the chart has no proposed codes to check")
    normalized = [normalize_code(c) for c in codes]
    if chart is not None:
        age = chart.patient.age if age is None else age
        sex = chart.patient.sex if sex is None else sex
        setting = setting or chart.setting
    findings = run_rules(
        normalized, age, sex, setting or "outpatient", chart.text if chart is not None else None
    )
    codeset = get_codeset()
    who = ", ".join(
        x
        for x in (
            f"age {age}" if age is not None else "",
            f"sex {sex}" if sex else "",
            setting or "outpatient",
        )
        if x
    )
    lines = [f"Checked {', '.join(normalized)} ({who}):"]
    lines += [f"- **{c}** {codeset.title(c) or '(not a valid code)'}" for c in normalized]
    if findings:
        lines += ["", "Findings:", *(_finding_line(f) for f in findings)]
    else:
        lines += ["", "No findings: the set passes every rule."]
    errors = sum(f.severity == "error" for f in findings)
    data = {"codes": normalized, "findings": [_finding_data(f) for f in findings]}
    summary = f"{len(findings)} finding(s), {errors} error(s)"
    return ToolOutput("check_codes", args, "\n".join(lines), summary, data, result=result)


def record_decision(
    view: ThreadView,
    decision: str,
    codes: list[str] | None = None,
    remove: list[str] | None = None,
    add: list[str] | None = None,
    note: str = "",
) -> ToolOutput:
    """Record a coder's review decision on the thread's coding run in the audit store.

    accept (no changes) and reject (no codes) are taken as they are; remove/add turn either into an
    edit of the current code set (the latest edit's codes, else the proposed ones); edit with `codes`
    sets the final code list outright.
    """
    from agents.services import get_services

    args = {"decision": decision, "codes": codes, "remove": remove or [], "add": add or [], "note": note}
    if decision not in ("accept", "reject", "edit"):
        raise ToolFailure(f"'{decision}' is not a decision: use accept, reject or edit")
    result, coded = _ensure_result(view)
    audit_id = result.meta.audit_id
    if audit_id is None:
        raise ToolFailure("this coding run has no audit record, so no decision can be recorded")
    store = get_services(view.settings).store()
    record = store.get(audit_id)
    proposed = [s.code for s in result.codes]
    current = list(record.final_codes) if record.status == "edited" and record.final_codes else proposed
    drop = [parse_code(c) for c in remove or []]
    extra = [parse_code(c, billable=True) for c in add or []]
    final: list[str] | None = None
    if codes:
        final = list(dict.fromkeys(parse_code(c, billable=True) for c in codes))
    elif drop or extra:
        missing = [c for c in drop if c not in current]
        if missing:
            raise ToolFailure(
                f"{', '.join(missing)} is not in the code set ({', '.join(current) or 'empty'})"
            )
        final = [c for c in current if c not in drop] + [c for c in extra if c not in current]
    kind = decision
    if final is not None:
        if not final:
            raise ToolFailure("that leaves no codes: say 'reject' to reject the whole code set")
        kind = "edit"
    elif decision == "edit":
        raise ToolFailure("an edit needs the final codes, or codes to add or remove")
    updated = store.add_decision(audit_id, kind, final if kind == "edit" else None, view.reviewer, note)
    lines = [_coded_note(coded, result).rstrip()] if coded else []
    if kind == "edit":
        removed = [c for c in current if c not in (final or [])]
        added = [c for c in (final or []) if c not in current]
        change = "; ".join(
            x
            for x in (
                f"removed {', '.join(removed)}" if removed else "",
                f"added {', '.join(added)}" if added else "",
            )
            if x
        )
        lines.append(
            f"Recorded **edit** on audit {audit_id} by {view.reviewer}: final codes {', '.join(final or [])}"
            + (f" ({change})." if change else ".")
        )
    elif kind == "accept":
        lines.append(f"Recorded **accept** on audit {audit_id} by {view.reviewer}: {', '.join(proposed)}.")
    else:
        lines.append(
            f"Recorded **reject** on audit {audit_id} by {view.reviewer}: the code set goes back for rework."
        )
    lines.append(f"Status now: {updated.status}.")
    data = {
        "audit_id": audit_id,
        "decision": kind,
        "final_codes": updated.final_codes,
        "status": updated.status,
        "decisions": len(updated.decisions),
    }
    summary = f"{kind} recorded on {audit_id}: status {updated.status}"
    return ToolOutput(
        "record_decision", args, "\n".join(lines), summary, data, result=result if coded else None
    )


# -- registry ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ToolSpec:
    name: str
    function: Callable[..., ToolOutput]
    args: type[BaseModel]
    description: str

    def schema(self) -> dict[str, Any]:
        """The OpenAI `tools=[...]` entry for this tool."""
        parameters = self.args.model_json_schema()
        parameters.pop("title", None)
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": parameters},
        }


TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec(
            "code_chart",
            code_chart,
            CodeChartArgs,
            "Code the thread's chart (or return its current codes) with evidence spans, rationale, "
            "confidence, rule findings and review routing.",
        ),
        ToolSpec(
            "explain_code",
            explain_code,
            ExplainCodeArgs,
            "Explain one code: its evidence in the chart, rationale, confidence, findings and guideline "
            "rules; with `versus`, why this code and not the other one.",
        ),
        ToolSpec(
            "search_chart",
            search_chart,
            SearchChartArgs,
            "Find the sentences of the chart that mention a topic, with character offsets.",
        ),
        ToolSpec(
            "search_guidelines",
            search_guidelines,
            SearchGuidelinesArgs,
            "Search the ICD-10-CM Official Guidelines by keywords or section id (e.g. IV.H, I.C.4.a).",
        ),
        ToolSpec(
            "lookup_codes",
            lookup_codes,
            LookupCodesArgs,
            "Look up ranked ICD-10-CM codes for a diagnosis phrase (or list a code's billable codes).",
        ),
        ToolSpec(
            "check_codes",
            check_codes,
            CheckCodesArgs,
            "Run the rule checks (validity, Excludes1, code first, age/sex, combination codes...) "
            "on a code set.",
        ),
        ToolSpec(
            "record_decision",
            record_decision,
            RecordDecisionArgs,
            "Record the coder's review decision in the audit trail: accept, reject, or edit the code "
            "set (final `codes`, or `remove`/`add`). Only when the coder asks for it.",
        ),
    )
}


def run_tool(name: str, arguments: dict[str, Any] | None, view: ThreadView) -> ToolOutput:
    """Run one tool by name; bad arguments and failures come back as ok=False outputs, never raise."""
    arguments = dict(arguments or {})
    spec = TOOLS.get(name)
    if spec is None:
        message = f"Unknown tool '{name}' (tools: {', '.join(TOOLS)})."
        return ToolOutput(name, arguments, message, "unknown tool", {"error": message}, ok=False)
    try:
        parsed = spec.args.model_validate(arguments)
        return spec.function(view, **parsed.model_dump())
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors()
        )
        message = f"Invalid arguments for {name}: {problems}"
    except ChartproofError as exc:
        message = str(exc)
    except Exception as exc:  # a tool bug must not end the conversation
        # The frames, not the exception's message: that could quote the chart.
        trace = "".join(traceback.format_tb(exc.__traceback__))
        log.error("chat tool %s failed (%s)\n%s", name, type(exc).__name__, trace)
        message = f"The {name} tool failed ({type(exc).__name__})."
    return ToolOutput(name, arguments, message, _quote(message, 120), {"error": message}, ok=False)
