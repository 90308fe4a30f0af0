"""GET /v1/codes/{code}: one ICD-10-CM code with its instructional notes; GET /v1/search: ranked
codes for a phrase (what `chartproof lookup --json` prints for it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from api.deps import StateDep
from api.errors import problems
from api.state import ensure_ready
from knowledge.errors import NotFoundError
from knowledge.schema import LookupResult

router = APIRouter(prefix="/v1", tags=["codes"])


class CodeNotes(BaseModel):
    inclusion_terms: list[str]
    includes: list[str]
    excludes1: list[str]
    excludes2: list[str]
    code_first: list[str]
    use_additional: list[str]
    code_also: list[str]


class SeventhCharacter(BaseModel):
    owner: str
    allowed: dict[str, str]


class CodeDetail(BaseModel):
    code: str
    title: str
    billable: bool
    chapter: str
    block: str
    parent: str | None
    notes: CodeNotes
    seventh_character: SeventhCharacter | None


@router.get(
    "/codes/{code}",
    response_model=CodeDetail,
    summary="A code's title, billable flag and notes",
    responses=problems(401, 404, 422),
)
def get_code(code: Annotated[str, Path(max_length=16, examples=["E11.22"])]) -> CodeDetail:
    from knowledge.codeset import get_codeset, normalize_code

    normalized = normalize_code(code)
    info = get_codeset().get(normalized)
    if info is None:
        raise NotFoundError(f"{normalized} is not an ICD-10-CM code (FY2026)")
    return CodeDetail(
        code=info.code,
        title=info.title,
        billable=info.billable,
        chapter=str(info.chapter),
        block=str(info.block),
        parent=info.parent,
        notes=CodeNotes(
            inclusion_terms=list(info.inclusion_terms),
            includes=list(info.includes),
            excludes1=list(info.excludes1),
            excludes2=list(info.excludes2),
            code_first=list(info.code_first),
            use_additional=list(info.use_additional),
            code_also=list(info.code_also),
        ),
        seventh_character=(
            SeventhCharacter(owner=info.seventh.owner, allowed=dict(info.seventh.allowed))
            if info.seventh
            else None
        ),
    )


@router.get(
    "/search",
    response_model=LookupResult,
    summary="Ranked billable codes for a phrase",
    responses=problems(401, 422, 503),
)
def search(
    state: StateDep,
    q: Annotated[str, Query(min_length=1, max_length=500, examples=["DM2 w/ CKD stage 3b"])],
    k: Annotated[int, Query(ge=1, le=200)] = 5,
) -> LookupResult:
    from knowledge.search import get_search

    ensure_ready(state.settings)
    return get_search(state.settings).lookup(q, k)
