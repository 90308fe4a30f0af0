"""The coding graph's typed state: a narrow input beside the full state each node reads and updates.

Items are pydantic models so a LangGraph checkpointer (SQLite or PostgreSQL) can store a paused run.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from pydantic import BaseModel, Field

from knowledge.schema import Chart, CodeSuggestion, CodingResult, DocumentationGap, Evidence, Finding, Review

Assertion = Literal["affirmed", "negated", "historical", "family", "hypothetical", "uncertain"]


class Span(BaseModel):
    start: int
    end: int


class Section(Span):
    """A titled part of the note: `name` is a canonical kind (assessment, pmh, hpi, meds, ...)."""

    name: str
    title: str = ""


class Mention(Span):
    """A clinical phrase of the chart with its assertion and the section it sits in."""

    text: str
    assertion: Assertion = "affirmed"
    section: str = "other"
    section_title: str = ""
    line: int = 0
    item: int = 0  # list item (line) within its section
    first: bool = True  # first statement of its line: usually the diagnosis itself
    parts: list[Span] = Field(default_factory=list)  # comma / slash separated sub-phrases
    part_assertions: list[Assertion] = Field(default_factory=list)  # one per part


class Candidate(BaseModel):
    code: str
    description: str
    score: float


class Quote(BaseModel):
    """Words a proposer says the chart contains; `start` is an optional hint where they are."""

    text: str
    start: int | None = None


class Proposal(BaseModel):
    """One proposed code before (quotes) and after (evidence) grounding."""

    code: str
    quotes: list[Quote] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    rationale: str = ""
    guideline_refs: list[str] = Field(default_factory=list)
    match: float = Field(default=0.7, ge=0.0, le=1.0, description="How well the words fit the code.")
    assertion: Assertion = "affirmed"
    source: str = "lookup"
    principal: bool = False
    rank: int = 0
    features: dict[str, float] = Field(default_factory=dict)  # match score, coverage, margin


class Proposals(BaseModel):
    """What a proposer returns: the codes and how they were made."""

    proposals: list[Proposal]
    engine: str
    model: str | None = None
    prompt_version: str | None = None
    tokens: dict[str, int] = Field(default_factory=dict)
    fallback: str | None = None


class InputState(TypedDict):
    chart: Chart


class CodingState(TypedDict, total=False):
    chart: Chart
    started: float  # wall-clock start (time.time()), for meta.latency_ms
    sections: list[Section]
    sentences: list[Span]
    mentions: list[Mention]
    candidates: dict[int, list[Candidate]]
    guideline_refs: dict[int, list[str]]
    proposals: list[Proposal]
    dropped: list[Finding]
    findings: list[Finding]
    revisions: int
    engine: dict[str, Any]
    codes: list[CodeSuggestion]
    gaps: list[DocumentationGap]
    review: Review
    decision: dict[str, Any] | None
    result: CodingResult
