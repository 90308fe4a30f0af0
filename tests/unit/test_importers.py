"""Importers on small fixtures written here in the official XML schema and outline format."""

from pathlib import Path

import pytest

from knowledge.errors import InputError
from knowledge.importers import import_file
from knowledge.importers.guidelines_pdf import split_sections
from knowledge.importers.tables_xml import import_table_xml, parse_table, search_tables
from knowledge.settings import Settings

NEOPLASM_XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index><version>2026</version>
<indexHeading><head col="1">Neoplasm</head><head col="2">Malignant Primary</head>
<head col="3">Malignant Secondary</head></indexHeading>
<letter><title>N</title><mainTerm><title>Neoplasm, neoplastic</title>
<cell col="2">C80.1</cell><cell col="3">C79.9</cell>
<term level="1"><title>lung</title><cell col="2">C34.9-</cell><cell col="3">C78.0-</cell>
<term level="2"><title>upper lobe</title><cell col="2">C34.1-</cell><cell col="3">--</cell></term></term>
</mainTerm></letter></ICD10CM.index>"""

EINDEX_XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index><version>2026</version><title>ICD-10-CM EXTERNAL CAUSE of INJURIES INDEX</title>
<letter><title>F</title><mainTerm><title>Fall, falling<nemod>(accidental)</nemod></title><code>W19</code>
<term level="1"><title>from stairs</title><code>W10.9</code></term></mainTerm></letter></ICD10CM.index>"""

OUTLINE = """Table of Contents
Section I. Conventions ......................... 7
Section I. Conventions, general coding guidelines
A. Conventions for the ICD-10-CM
1. The Alphabetic Index and Tabular List
Text about the index.
2. Format and Structure
More text. 3. not a heading inside prose
B. General Coding Guidelines
1. Locating a code
a. First sub rule
1) Deep rule
2) Deeper sibling
(a) Leaf rule
b. Second sub rule
ICD-10-CM Official Guidelines for Coding and Reporting
FY 2026
Page 9 of 120
Section IV. Outpatient
A. Selection
H. Uncertain diagnosis
"""


def test_parse_neoplasm_table(tmp_path: Path) -> None:
    path = tmp_path / "neoplasm.xml"
    path.write_text(NEOPLASM_XML)
    rows = parse_table(path)
    assert {(r.path, r.heading, r.code) for r in rows} == {
        ("Neoplasm, neoplastic", "Malignant Primary", "C80.1"),
        ("Neoplasm, neoplastic", "Malignant Secondary", "C79.9"),
        ("Neoplasm, neoplastic > lung", "Malignant Primary", "C34.9-"),
        ("Neoplasm, neoplastic > lung", "Malignant Secondary", "C78.0-"),
        ("Neoplasm, neoplastic > lung > upper lobe", "Malignant Primary", "C34.1-"),
    }
    assert rows[0].kind == "neoplasm" and rows[0].version == "2026"


def test_import_and_search_tables(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    (tmp_path / "n.xml").write_text(NEOPLASM_XML)
    (tmp_path / "e.xml").write_text(EINDEX_XML)
    assert "5 rows" in import_table_xml(settings, tmp_path / "n.xml")
    assert "2 rows" in import_file(settings, tmp_path / "e.xml")
    hits = search_tables(settings, "lung upper lobe", kind="neoplasm")
    assert [(h.heading, h.code) for h in hits] == [("Malignant Primary", "C34.1-")]
    assert search_tables(settings, "stairs")[0].code == "W10.9"
    # importing again replaces, never duplicates
    import_table_xml(settings, tmp_path / "n.xml")
    assert len(search_tables(settings, "lung", kind="neoplasm", limit=50)) == 3


def test_bad_files_are_clear_errors(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    bad = tmp_path / "bad.xml"
    bad.write_text("<not-closed")
    with pytest.raises(InputError, match="not readable XML"):
        import_file(settings, bad)
    other = tmp_path / "other.xml"
    other.write_text("<root/>")
    with pytest.raises(InputError, match="ICD10CM.index"):
        import_file(settings, other)
    with pytest.raises(InputError, match="no such file"):
        import_file(settings, tmp_path / "missing.pdf")
    text = tmp_path / "notes.txt"
    text.write_text("x")
    with pytest.raises(InputError):
        import_file(settings, text)


def test_split_sections_follows_the_outline() -> None:
    sections, year = split_sections(OUTLINE)
    assert year == "2026"
    assert set(sections) >= {
        "I",
        "I.A",
        "I.A.1",
        "I.A.2",
        "I.B",
        "I.B.1",
        "I.B.1.a",
        "I.B.1.a.1",
        "I.B.1.a.2",
        "I.B.1.a.2.a",
        "I.B.1.b",
        "IV",
        "IV.A",
    }
    assert "Text about the index." in sections["I.A.1"]
    assert "not a heading" in sections["I.A.2"]
    assert "I.A.3" not in sections
    assert "IV.H" not in sections  # H does not follow A: not accepted as a heading
    assert "Page 9" not in " ".join(sections.values())
