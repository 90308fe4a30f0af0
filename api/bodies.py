"""Reading request bodies that are charts: a chart JSON (chart.schema.json), a FHIR R4
DocumentReference or Bundle, or (text/plain) the note itself. The same reader the CLI uses decides
what is a valid chart, so both surfaces give the same one-line messages."""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi import HTTPException, Request
from pydantic import WithJsonSchema

from agents.documents import MAX_CHART_CHARS, chart_from_json, read_chart
from api.errors import MalformedJSON
from knowledge.errors import ChartError
from knowledge.schema import Chart

SOURCE = "chart"


def _inline_schema() -> dict[str, Any]:
    """Chart's JSON schema with its $defs inlined (usable anywhere in the OpenAPI document)."""
    schema = Chart.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(copy.deepcopy(defs[ref.removeprefix("#/$defs/")]))
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved = resolve(schema)
    resolved["description"] = (
        "A chart (chart.schema.json). A FHIR R4 DocumentReference, or a Bundle of them with a Patient, "
        "is accepted as well."
    )
    return resolved


CHART_SCHEMA = _inline_schema()
ChartSchema = WithJsonSchema(CHART_SCHEMA)

CHART_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": CHART_SCHEMA},
            "text/plain": {"schema": {"type": "string", "minLength": 1, "description": "The note text."}},
        },
    }
}


def parse_json(raw: bytes) -> Any:
    if not raw.strip():
        raise MalformedJSON("the request body is empty: send a JSON object")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedJSON("the request body is not valid JSON") from exc
    except RecursionError as exc:
        raise MalformedJSON("the request body is nested too deeply") from exc


def checked(chart: Chart) -> Chart:
    if len(chart.text) > MAX_CHART_CHARS:
        raise ChartError(
            f"the chart text is {len(chart.text):,} characters; the limit is {MAX_CHART_CHARS:,}"
        )
    return chart


def chart_from_data(data: Any) -> Chart:
    return checked(chart_from_json(data, source=SOURCE))


async def chart_from_request(request: Request) -> Chart:
    media = (request.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    raw = await request.body()
    if media == "text/plain":
        return checked(read_chart(raw, source=SOURCE))
    if media == "application/json" or media.endswith("+json"):
        return chart_from_data(parse_json(raw))
    raise HTTPException(415, f"send the chart as application/json (or the note as text/plain), not {media}")
