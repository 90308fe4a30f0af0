"""Importers for official files a user downloads from CMS/CDC (never shipped with the product)."""

from __future__ import annotations

from pathlib import Path

from knowledge.errors import InputError
from knowledge.settings import Settings


def import_file(settings: Settings, path: Path) -> str:
    """Import one official file by its kind; returns a one-line summary."""
    if not path.is_file():
        raise InputError(f"cannot read {path}: no such file")
    if path.suffix.lower() == ".pdf":
        from knowledge.importers.guidelines_pdf import import_guidelines_pdf

        return import_guidelines_pdf(settings, path)
    if path.suffix.lower() == ".xml":
        from knowledge.importers.tables_xml import import_table_xml

        return import_table_xml(settings, path)
    raise InputError(
        f"{path.name}: expected the Official Guidelines PDF or a Neoplasm/Drug/External Cause XML"
    )
