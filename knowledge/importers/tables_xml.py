"""Import the Neoplasm Table, the Table of Drugs and Chemicals and the External Cause Index (XML).

Each term path ("Neoplasm, neoplastic > lung > upper lobe") becomes rows of a SQLite lookup table
under the data directory, one row per column (e.g. "Malignant Primary" -> C34.1-), searchable with
FTS5. Retrieval and the engine use them when present; the product never ships the files.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from knowledge.errors import InputError
from knowledge.settings import Settings

TABLES_DB = "tables.sqlite"
KINDS = {"Neoplasm": "neoplasm", "Substance": "drug"}


@dataclass(frozen=True)
class TableRow:
    kind: str
    version: str
    path: str
    heading: str
    code: str


def _title(element: Element) -> str:
    title = element.find("title")
    if title is None:
        return ""
    return " ".join(" ".join(title.itertext()).split())


def _kind(root: Element) -> str:
    head = root.find("indexHeading/head[@col='1']")
    if head is not None and (head.text or "").strip() in KINDS:
        return KINDS[(head.text or "").strip()]
    title = (root.findtext("title") or "").upper()
    if "EXTERNAL CAUSE" in title:
        return "external_cause"
    raise InputError("not a Neoplasm Table, Table of Drugs and Chemicals or External Cause Index XML")


def parse_table(path: Path) -> list[TableRow]:
    try:
        root = SafeET.parse(str(path)).getroot()
    except (SafeET.ParseError, DefusedXmlException, OSError) as exc:
        raise InputError(f"{path.name} is not readable XML: {exc}") from exc
    if root.tag != "ICD10CM.index":
        raise InputError(f"{path.name}: expected an <ICD10CM.index> document, found <{root.tag}>")
    kind = _kind(root)
    version = (root.findtext("version") or "").strip()
    headings = {h.get("col"): (h.text or "").strip() for h in root.findall("indexHeading/head")}
    rows: list[TableRow] = []

    def walk(term: Element, trail: list[str]) -> None:
        names = [*trail, _title(term)]
        joined = " > ".join(n for n in names if n)
        for cell in term.findall("cell"):
            code = (cell.text or "").strip()
            if code and code != "--":
                rows.append(TableRow(kind, version, joined, headings.get(cell.get("col"), ""), code))
        for code_el in term.findall("code"):
            if code_el.text and code_el.text.strip():
                rows.append(TableRow(kind, version, joined, "code", code_el.text.strip()))
        for child in term.findall("term"):
            walk(child, names)

    for main_term in root.iter("mainTerm"):
        walk(main_term, [])
    if not rows:
        raise InputError(f"{path.name}: no table rows found")
    return rows


def tables_path(settings: Settings) -> Path:
    return settings.data_dir / TABLES_DB


def import_table_xml(settings: Settings, path: Path) -> str:
    rows = parse_table(path)
    kind, version = rows[0].kind, rows[0].version
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(tables_path(settings)) as db:
        db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS table_terms USING fts5("
            "path, heading UNINDEXED, code UNINDEXED, kind UNINDEXED, version UNINDEXED)"
        )
        db.execute("DELETE FROM table_terms WHERE kind = ?", (kind,))
        db.executemany(
            "INSERT INTO table_terms (path, heading, code, kind, version) VALUES (?, ?, ?, ?, ?)",
            [(r.path, r.heading, r.code, r.kind, r.version) for r in rows],
        )
    return f"{len(rows)} rows of the {version} {kind.replace('_', ' ')} table"


def search_tables(
    settings: Settings, phrase: str, kind: str | None = None, limit: int = 10
) -> list[TableRow]:
    """Rows whose term path matches every word of `phrase` (FTS5), best match first; [] when none
    were imported."""
    db_path = tables_path(settings)
    if not db_path.exists():
        return []
    words = [w for w in "".join(c if c.isalnum() else " " for c in phrase).split() if w]
    if not words:
        return []
    match = " AND ".join(f'"{w}"' for w in words)
    sql = "SELECT kind, version, path, heading, code FROM table_terms WHERE table_terms MATCH ?"
    params: list[object] = [match]
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    sql += " ORDER BY rank LIMIT ?"
    params.append(limit)
    with sqlite3.connect(db_path) as db:
        return [TableRow(*row) for row in db.execute(sql, params)]
