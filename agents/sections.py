"""Sections and sentences of a note, with character offsets into the original string.

A header is a short title at the start of a line that ends in a colon ("PMH:", "A/P:", "Discharge
diagnoses (attending):") or stands alone in capitals ("ACTIVE PROBLEMS"). Each title is mapped to a
canonical kind by the patterns in data/sections.tsv (first match wins); unknown titles keep the kind
of nothing ("other"). Text before the first header is "other" too.
"""

from __future__ import annotations

import csv
import difflib
import re
from functools import lru_cache
from importlib import resources

from agents.state import Section, Span

_HEADER = re.compile(
    r"^[ \t]*(?:\d+[.)][ \t]+)?(?P<title>[A-Za-z][A-Za-z0-9 /&'\-\(\)\.,]{0,60}?)[ \t]*:(?!/)", re.MULTILINE
)
# Short section labels that notes also run inline: "... quit 2009. FH: noncontributory."
_INLINE = re.compile(
    r"(?<=[.;]) +(?P<title>FH|FHx|SH|PMH|PSH|ROS|Meds|Allergies|Family history|Social history|Social|"
    r"Impression|Assessment|Diagnosis|Diagnoses|Dx|A/P|Plan)"
    r"\s*:(?!/)"
)
_CAPS = re.compile(r"^[ \t]*(?P<title>[A-Z][A-Z0-9 /&\-\(\)]{2,60}?)[ \t]*$", re.MULTILINE)
_QUALIFIER = re.compile(r"\s*\([^)]*\)\s*|\s+(?:on|at|today|summary)\b.*$", re.IGNORECASE)
# Sentence ends: a period/?/! followed by space and a capital or digit, or a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?])[ \t]+(?=[A-Z0-9(\"'])|\n+")


@lru_cache(maxsize=1)
def _kinds() -> tuple[tuple[str, re.Pattern[str]], ...]:
    text = resources.files("agents.data").joinpath("sections.tsv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    return tuple((r["kind"], re.compile(rf"(?:{r['pattern']})", re.IGNORECASE)) for r in rows)


# Single-word titles notes misspell ("Assesment:", "Impresion:"): matched by similarity.
_FUZZY = {
    "assessment": "assessment",
    "impression": "assessment",
    "diagnosis": "assessment",
    "diagnoses": "assessment",
    "medications": "meds",
    "allergies": "allergies",
    "history": "pmh",
    "subjective": "hpi",
    "objective": "exam",
    "examination": "exam",
}


def kind_of(title: str) -> str | None:
    """The canonical kind of a header title, or None when it is not a known section title."""
    cleaned = _QUALIFIER.sub(" ", title).strip().lower().rstrip(".")
    cleaned = re.sub(r"\s+", " ", cleaned)
    for candidate in (title.strip().lower(), cleaned):
        for kind, pattern in _kinds():
            if pattern.fullmatch(candidate):
                return kind
    # "HPI / reason for admission", "MDM/Impression": an assessment part wins, else the first part
    parts = re.split(r"\s*/\s*|\s+-\s+", cleaned)
    kinds = [kind for part in parts for kind, pattern in _kinds() if pattern.fullmatch(part)]
    if "assessment" in kinds:
        return "assessment"
    if kinds and any(pattern.fullmatch(parts[0]) for _, pattern in _kinds()):
        return kinds[0]
    if " " not in cleaned and len(cleaned) >= 6:
        close = difflib.get_close_matches(cleaned, list(_FUZZY), n=1, cutoff=0.85)
        if close:
            return _FUZZY[close[0]]
    return None


def split_sections(text: str) -> list[Section]:
    """Sections covering the whole text in order; each spans from its header to the next header."""
    marks: list[tuple[int, int, str, str]] = []  # (header start, body start, kind, title)
    for match in _HEADER.finditer(text):
        kind = kind_of(match.group("title"))
        if kind:
            marks.append((match.start(), match.end(), kind, match.group("title").strip()))
    for match in _INLINE.finditer(text):
        kind = kind_of(match.group("title"))
        if kind:
            marks.append((match.start("title"), match.end(), kind, match.group("title")))
    for match in _CAPS.finditer(text):
        title = match.group("title").strip()
        kind = kind_of(title)
        if kind and not any(s <= match.start() < b for s, b, _, _ in marks):
            marks.append((match.start(), match.end(), kind, title))
    marks.sort()
    sections: list[Section] = []
    if not marks or marks[0][0] > 0:
        sections.append(Section(start=0, end=marks[0][0] if marks else len(text), name="other"))
    for i, (_, body, kind, title) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        sections.append(Section(start=body, end=max(body, end), name=kind, title=title))
    return sections


def split_sentences(text: str) -> list[Span]:
    """Sentence spans (trimmed of surrounding whitespace); line breaks always end a sentence."""
    spans: list[Span] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        _add(text, start, match.start(), spans)
        start = match.end()
    _add(text, start, len(text), spans)
    return spans


def _add(text: str, start: int, end: int, spans: list[Span]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start=start, end=end))


def section_at(sections: list[Section], offset: int) -> Section | None:
    """The section an offset falls in (sections cover the note in order), or None before the first."""
    found = None
    for section in sections:
        if section.start > offset:
            break
        found = section
    return found
