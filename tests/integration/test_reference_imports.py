"""The importers on the official FY2025 files in ../shared/reference (read, never committed). On a
machine without them these tests skip with a one-line reason."""

from pathlib import Path

import pytest

from knowledge.importers import import_file
from knowledge.importers.guidelines_pdf import read_pdf_text, split_sections
from knowledge.importers.tables_xml import parse_table, search_tables
from knowledge.settings import Settings
from knowledge.vector_store import client
from tests.conftest import REFERENCE

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not REFERENCE.is_dir(), reason="official reference files are not on this machine"),
]
TABLES = REFERENCE / "icd10cm-tables-fy2025"
PDF = REFERENCE / "guidelines-fy2025" / "fy-2025-icd-10-cm-coding-guidelines.pdf"


def test_official_guidelines_pdf_splits_by_section() -> None:
    sections, year = split_sections(read_pdf_text(PDF))
    assert year == "2025"
    assert len(sections) > 300
    for sid in ["I.A.15", "I.B.5", "I.C.4.a.2", "I.C.9.a.2", "I.C.19.c.1", "II.H", "III.C", "IV.H"]:
        assert sid in sections, sid
    assert "probable" in sections["IV.H"].lower()


def test_official_guidelines_import_into_their_own_collection(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    summary = import_file(settings, PDF)
    assert "FY2025" in summary
    coll = client(settings).get_collection("official_guidelines_fy2025")
    assert coll.metadata["fiscal_year"] == "2025"
    hits = coll.query(query_texts=["uncertain diagnosis outpatient probable suspected"], n_results=5)
    assert any(i.startswith("IV.H") or i.startswith("II.H") or i.startswith("III.C") for i in hits["ids"][0])


@pytest.mark.parametrize(
    ("name", "kind", "minimum"),
    [
        ("icd10cm_neoplasm_2025.xml", "neoplasm", 10_000),
        ("icd10cm_drug_2025.xml", "drug", 40_000),
        ("icd10cm_eindex_2025.xml", "external_cause", 6_000),
    ],
)
def test_official_tables_parse(name: str, kind: str, minimum: int) -> None:
    rows = parse_table(TABLES / name)
    assert len(rows) >= minimum and {r.kind for r in rows} == {kind}


def test_official_tables_import_and_search(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    import_file(settings, TABLES / "icd10cm_neoplasm_2025.xml")
    import_file(settings, TABLES / "icd10cm_drug_2025.xml")
    lung = search_tables(settings, "lung upper lobe", kind="neoplasm")
    assert any(r.heading == "Malignant Primary" and r.code.startswith("C34.1") for r in lung)
    acetaminophen = search_tables(settings, "acetaminophen", kind="drug", limit=20)
    assert any(r.heading == "Adverse effect" and r.code.startswith("T39.1X5") for r in acetaminophen)
