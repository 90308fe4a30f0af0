"""Reading a chart: plain text, a chart JSON (chart.schema.json) or a FHIR R4 DocumentReference or
Bundle of them (note text from base64 attachment data). Every failure is a ChartError with one line
a user can act on."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from typing import Any

from pydantic import ValidationError

from knowledge.errors import ChartError
from knowledge.schema import SETTINGS, Chart

MAX_CHART_CHARS = 200_000


def read_chart(raw: bytes | str, *, source: str = "input", **overrides: Any) -> Chart:
    """A Chart from file contents; `overrides` (setting, specialty, age, sex, date) win over the file."""
    text = _decode(raw, source)
    stripped = text.strip()
    if not stripped:
        raise ChartError(f"{source} is empty: give the note text, a chart JSON or a FHIR resource")
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ChartError(
                f"{source} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from exc
        chart = chart_from_json(data, source=source)
    elif stripped.startswith("["):
        try:
            json.loads(stripped)
        except json.JSONDecodeError:
            chart = _validated({"text": text}, source)  # a note that happens to start with "["
        else:
            raise ChartError(f"{source}: expected a JSON object (a chart or a FHIR resource), not an array")
    else:
        chart = _validated({"text": text}, source)
    return apply_overrides(chart, source=source, **overrides)


def chart_from_json(data: Any, *, source: str = "input") -> Chart:
    if not isinstance(data, dict):
        raise ChartError(f"{source}: expected a JSON object (a chart or a FHIR resource)")
    if "resourceType" in data:
        return _from_fhir(data, source)
    fields = {k: v for k, v in data.items() if k != "gold"}
    return _validated(fields, source)


def apply_overrides(
    chart: Chart,
    *,
    source: str = "input",
    setting: str | None = None,
    specialty: str | None = None,
    age: int | None = None,
    sex: str | None = None,
    date_of_service: str | date | None = None,
) -> Chart:
    data = chart.model_dump()
    if setting is not None:
        data["setting"] = setting
    if specialty is not None:
        data["specialty"] = specialty
    patient = dict(data.get("patient") or {})
    if age is not None:
        patient["age"] = age
    if sex is not None:
        patient["sex"] = sex
    data["patient"] = patient
    if date_of_service is not None:
        data["date_of_service"] = date_of_service
    return _validated(data, source)


def _decode(raw: bytes | str, source: str) -> str:
    if isinstance(raw, str):
        text = raw
    else:
        if b"\x00" in raw[:8192]:
            raise ChartError(
                f"{source} looks like a binary file: give a .txt note, a chart .json or a FHIR .json"
            )
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ChartError(
                f"{source} is not UTF-8 text (byte {exc.start}): save the note as UTF-8"
            ) from exc
    if "\x00" in text:
        raise ChartError(f"{source} contains NUL characters: it is not a text note")
    if len(text) > MAX_CHART_CHARS:
        raise ChartError(f"{source} is {len(text):,} characters; the limit is {MAX_CHART_CHARS:,}")
    return text


def _validated(data: dict[str, Any], source: str) -> Chart:
    if "text" in data and not isinstance(data["text"], str):
        raise ChartError(f"{source}: 'text' must be a string")
    setting = data.get("setting")
    if setting is not None and setting not in SETTINGS:
        raise ChartError(f"{source}: unknown setting {setting!r}: use one of {', '.join(SETTINGS)}")
    try:
        return Chart.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "chart"
        if where == "text" and first["type"] in ("missing", "string_too_short", "value_error"):
            raise ChartError(f"{source}: the chart text is empty or missing") from exc
        if where == "patient.age":
            raise ChartError(
                f"{source}: age {data.get('patient', {}).get('age')!r} is out of range (0-124)"
            ) from exc
        raise ChartError(f"{source}: {where}: {first['msg']}") from exc


# -- FHIR R4 ---------------------------------------------------------------------------------------
def _from_fhir(data: dict[str, Any], source: str) -> Chart:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.documentreference import DocumentReference

    kind = data.get("resourceType")
    try:
        if kind == "DocumentReference":
            documents = [DocumentReference.model_validate(data)]
            patient = None
        elif kind == "Bundle":
            bundle = Bundle.model_validate(data)
            documents, patient = [], None
            for entry in bundle.entry or []:
                resource = entry.resource
                if resource is None:
                    continue
                name = resource.get_resource_type()
                if name == "DocumentReference":
                    documents.append(resource)
                elif name == "Patient":
                    patient = resource
        else:
            raise ChartError(
                f"{source}: FHIR {kind} is not supported: give a DocumentReference or a Bundle of them"
            )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ChartError(
            f"{source}: invalid FHIR {kind}: {'.'.join(map(str, first['loc']))}: {first['msg']}"
        ) from exc
    notes = [note for doc in documents for note in _notes(doc, source)]
    if not notes:
        raise ChartError(
            f"{source}: the FHIR {kind} has no note text (no attachment data in a DocumentReference)"
        )
    fields: dict[str, Any] = {"text": "\n\n".join(notes)}
    first_doc = documents[0]
    if getattr(first_doc, "id", None):
        fields["id"] = first_doc.id
    when = getattr(first_doc, "date", None)
    if when is not None:
        fields["date_of_service"] = when.date().isoformat() if hasattr(when, "date") else str(when)[:10]
    if patient is not None:
        fields["patient"] = _patient(patient, fields.get("date_of_service"))
    return _validated(fields, source)


def _notes(document: Any, source: str) -> list[str]:
    notes = []
    for content in document.content or []:
        attachment = content.attachment
        if attachment is None or not attachment.data:
            continue
        kind = (attachment.contentType or "text/plain").split(";")[0].strip().lower()
        if not (kind.startswith("text/") or kind in ("application/json", "application/xml")):
            continue
        try:
            raw = attachment.data if isinstance(attachment.data, bytes) else str(attachment.data).encode()
            try:
                decoded = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                decoded = raw  # some libraries hand back already-decoded bytes
            text = decoded.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ChartError(f"{source}: a DocumentReference attachment is not UTF-8 text") from exc
        if text.strip():
            notes.append(text)
    return notes


def _patient(patient: Any, on: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    gender = getattr(patient, "gender", None)
    if gender:
        out["sex"] = {"female": "F", "male": "M"}.get(gender, "U")
    born = getattr(patient, "birthDate", None)
    if born:
        ref = date.fromisoformat(on) if on else date.today()
        out["age"] = max(0, ref.year - born.year - ((ref.month, ref.day) < (born.month, born.day)))
    return out
