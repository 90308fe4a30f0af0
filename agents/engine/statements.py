"""Statements: the short phrases of a note that can each name one condition.

A note's lines are cut at list markers, semicolons, dashes between words, colons, sentence ends and
parentheses; each piece is a statement with exact offsets. Within a statement, commas and "and"
separate parts that may be one condition ("alcohol use disorder, moderate") or several ("hypertensive
heart disease, CKD stage 3b"); the matcher decides which reading fits the code set better.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agents.state import Section

_BULLET = re.compile(r"^\s*(?:#\s*\d+[.):]?|\d{1,2}[.)](?!\d)|[-*\u2022#>]+|\(\w\)|[a-z][.)](?=\s))\s*")
_CUT = re.compile(
    r";|\s[-\u2013\u2014]{1,2}\s|[-\u2013\u2014]{2}|:\s|(?<!\b[A-Za-z])\.\s+(?=[A-Za-z0-9(])|\.$|\(|\)|\[|\]|\?"
    r"|,\s*(?=(?:which|that|continue|cont|start|stop|plan|f/u|follow|will|recheck|check|repeat|"
    r"order|refer|increase|decrease|titrate|hold|resume|discussed|counsel(?:ed)?|given|treated)\b)",
    re.IGNORECASE,
)
# Commas and slashes between words ("HFrEF / systolic"), never inside r/o, h/o, s/p, w/o, c/o, 3/4.
_PART = re.compile(r",(?!\d{3}\b)\s*|(?<=[A-Za-z]{2})\s*/\s*(?=[A-Za-z]{2})", re.IGNORECASE)
# Inside a part: "A with B", "A and B", "A w/ B", "A + B" may name two codes (or one combination code).
_JOIN = re.compile(
    r"\s+(?:with|w/|and|&|\+|plus|due to|secondary to|caused by|from|d/t|2/2|on|off)\s+|\s+w/(?=\w)",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['/-][A-Za-z0-9]+)*")
_LIST_NUMBER = re.compile(r"#?\s*\d{1,2}[.)]?")
# Words that open a statement but say how it is asserted, not what it is; ConText reads them from
# the text before the statement, so they are trimmed off the statement itself.
_LEAD = re.compile(
    r"(?:(?:likely|most likely|possible|possibly|probable|probably|suspected|suspect|presumed|"
    r"presumptive|questionable|r/o|rule out|ruled out|h/o|hx of|hx|history of|personal history of|"
    r"family history of|fhx of|fh of|s/p|status post|no|not|denies|negative for|no evidence of|"
    r"without evidence of|known|new|newly diagnosed|dx|diagnosed with|dx of|c/w|consistent with|"
    r"suggestive of|concern for|concerning for|worrisome for|suspicious for|evaluation of|eval of|"
    r"w/u of|workup of|secondary to|due to|with|w/|on|from|pt with|patient with)\s+)+",
    re.IGNORECASE,
)
_TRAIL = re.compile(r"[\s,.:;\-]+$")
_MIN_LETTERS = 2


@dataclass
class Statement:
    start: int
    end: int
    text: str
    section: str
    line: int  # index of the line within the note
    item: int  # index of the list item (line) within its section
    first: bool  # first statement of its line: usually the diagnosis itself
    parts: list[tuple[int, int]] = field(default_factory=list)  # sub-spans separated by , / and


def statements(text: str, sections: list[Section]) -> list[Statement]:
    out: list[Statement] = []
    line_no = 0
    for section in sections:
        item = 0
        body = text[section.start : section.end]
        offset = section.start
        for raw_line in body.split("\n"):
            line_start, line_end = offset, offset + len(raw_line)
            offset = line_end + 1
            line_no += 1
            if not raw_line.strip():
                continue
            bullet = _BULLET.match(raw_line)
            start = line_start + (bullet.end() if bullet else 0)
            pieces = _pieces(text, start, line_end)
            number_before = False
            for n, (a, b, opens) in enumerate(pieces):
                if _LIST_NUMBER.fullmatch(text[a:b].strip()):  # "1. HTN. 2. DM2": item 2 starts here
                    number_before = n > 0
                    continue
                numbered = number_before
                number_before = False
                if numbered:
                    item += 1
                stmt = _trim(text, a, b)
                if stmt is None:
                    continue
                s, e = stmt
                first = n == 0 or numbered or opens
                out.append(Statement(s, e, text[s:e], section.name, line_no, item, first, _parts(text, s, e)))
            item += 1
    return out


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int, bool]]:
    """Pieces of a line, each flagged when it opens a sentence (line start or after ". ")."""
    pieces: list[tuple[int, int, bool]] = []
    cursor, opens = start, True
    for match in _CUT.finditer(text, start, end):
        pieces.append((cursor, match.start(), opens))
        cursor = match.end()
        opens = match.group().startswith(".")
    pieces.append((cursor, end, opens))
    return [(a, b, o) for a, b, o in pieces if b > a]


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and (text[start].isspace() or text[start] in ",.:;-*\"'"):
        start += 1
    lead = _LEAD.match(text, start, end)
    if lead:
        start = lead.end()
    trail = _TRAIL.search(text, start, end)
    if trail:
        end = trail.start()
    chunk = text[start:end]
    if sum(ch.isalpha() for ch in chunk) < _MIN_LETTERS:
        return None
    return start, end


def core_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The statement from its first to its last word that could name a condition: what ConText
    judges, so cue words around it ("Father had an MI", "NSTEMI ruled out") stay outside the target."""
    from agents.engine.matcher import clinical_words

    tokens = [m for m in _TOKEN.finditer(text, start, end) if clinical_words(m.group())]
    if not tokens:
        return start, end
    return tokens[0].start(), tokens[-1].end()


def comma_parts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The comma / slash separated pieces of a span (empty when there is none)."""
    return _parts(text, start, end)


def joined_parts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The pieces of "A with B" / "A and B" / "A w/ B" (empty when there is no such joint)."""
    return _parts(text, start, end, _JOIN)


def _parts(text: str, start: int, end: int, pattern: re.Pattern[str] = _PART) -> list[tuple[int, int]]:
    cuts = list(pattern.finditer(text, start, end))
    if not cuts:
        return []
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in cuts:
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, end))
    trimmed = [_trim(text, a, b) for a, b in spans]
    return [t for t in trimmed if t is not None]
