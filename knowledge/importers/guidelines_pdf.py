"""Import the Official Guidelines PDF a user downloads from CMS/CDC.

The text is split by official section id (I.A.15, I.C.4.a.2, IV.H, ...) by following the outline's
numbering (Section -> A. -> 1. -> a. -> 1) -> (a)), accepting a heading only when it is the next
sibling or the first child of the current position, which filters numbered lists in running text.
Each section goes into its own chromadb collection labelled with the fiscal year, kept apart from
our own corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.errors import InputError
from knowledge.settings import Settings

_PAGE_FURNITURE = re.compile(
    r"^(ICD-10-CM Official Guidelines for Coding and Reporting|FY ?\d{4}|Page \d+ of \d+)\s*$"
)
_TOC_LEADER = re.compile(r"(\.{6,}|…{3,})\s*\d*\s*$")
_FISCAL_YEAR = re.compile(r"\bFY ?(20\d\d)\b")
_SECTION = re.compile(r"^Section (I|II|III|IV)\.\s+\S")
_ROMANS = {"I": 1, "II": 2, "III": 3, "IV": 4}
# (level, pattern, ordinal of the captured label)
_HEADINGS: list[tuple[int, re.Pattern[str]]] = [
    (1, re.compile(r"^([A-Z])\.\s+\S")),
    (2, re.compile(r"^(\d{1,2})\.\s+\S")),
    (3, re.compile(r"^([a-z])\.\s+\S")),
    (4, re.compile(r"^(\d{1,2})\)\s+\S")),
    (5, re.compile(r"^\(([a-z])\)\s+\S")),
]


def _ordinal(label: str) -> int:
    return int(label) if label.isdigit() else ord(label.lower()) - ord("a") + 1


@dataclass
class _Outline:
    path: list[str] = field(default_factory=list)  # e.g. ["I", "C", "4", "a", "2"]
    sections: dict[str, list[str]] = field(default_factory=dict)

    @property
    def current(self) -> str | None:
        return ".".join(self.path) if self.path else None

    def heading(self, level: int, label: str) -> bool:
        """Move to a heading at `level` (1 = letter under a Section) if the numbering allows it."""
        if not self.path or level > len(self.path):
            return False
        depth = len(self.path) - 1  # levels below the Section
        if level == depth + 1:
            ok = _ordinal(label) == 1
        else:
            ok = _ordinal(label) == _ordinal(self.path[level]) + 1
        if ok:
            self.path = [*self.path[:level], label]
        return ok

    def add(self, line: str) -> None:
        if self.current:
            self.sections.setdefault(self.current, []).append(line)


def split_sections(text: str) -> tuple[dict[str, str], str | None]:
    """Section id -> text, and the fiscal year printed on the pages."""
    year_match = _FISCAL_YEAR.search(text)
    outline = _Outline()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _PAGE_FURNITURE.match(line) or _TOC_LEADER.search(line):
            continue
        section = _SECTION.match(line)
        if section:
            outline.path = [section.group(1)]
            outline.add(line)
            continue
        for level, pattern in _HEADINGS:
            match = pattern.match(line)
            if match and outline.heading(level, match.group(1)):
                break
        outline.add(line)
    sections = {sid: " ".join(lines) for sid, lines in outline.sections.items()}
    return sections, year_match.group(1) if year_match else None


def read_pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        return "\f".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, OSError, ValueError) as exc:
        raise InputError(f"{path.name} is not a readable PDF: {exc}") from exc


def import_guidelines_pdf(settings: Settings, path: Path) -> str:
    from knowledge.embedding import embed
    from knowledge.vector_store import OFFICIAL_GUIDELINES_PREFIX, add_in_batches, replace_collection

    sections, year = split_sections(read_pdf_text(path))
    if len(sections) < 20 or not year:
        raise InputError(f"{path.name} does not look like the ICD-10-CM Official Guidelines PDF")
    ids = sorted(sections)
    name = f"{OFFICIAL_GUIDELINES_PREFIX}{year}"
    coll = replace_collection(settings, name, {"fiscal_year": year, "source": path.name})
    texts = [f"{sid} {sections[sid]}"[:4000] for sid in ids]
    add_in_batches(
        coll,
        ids=ids,
        documents=texts,
        metadatas=[{"section": s, "fiscal_year": year} for s in ids],
        embeddings=embed(texts, settings.embedding_threads),
    )
    return f"{len(ids)} sections of the FY{year} Official Guidelines in collection {name}"
