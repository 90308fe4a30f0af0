"""Dependency aliases the routes declare (`state: StateDep`, `caller: CallerDep`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from api.auth import ANONYMOUS, HEADER, Caller
from api.state import ApiState
from knowledge.settings import Settings

_api_key_header = APIKeyHeader(
    name=HEADER,
    auto_error=False,
    description="Required on every /v1 route when the server has CHARTPROOF_API_KEYS set.",
)


def get_state(request: Request) -> ApiState:
    return request.app.state.chartproof


StateDep = Annotated[ApiState, Depends(get_state)]


def get_settings_dep(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def require_caller(state: StateDep, api_key: Annotated[str | None, Security(_api_key_header)]) -> Caller:
    """401 when keys are configured and the request has none or a wrong one."""
    if not state.keys.enabled:
        return Caller(ANONYMOUS, authenticated=False)
    match = state.keys.match(api_key)
    if match is None:
        detail = f"missing {HEADER} header" if not api_key else f"the {HEADER} header names no valid key"
        raise HTTPException(401, detail, headers={"WWW-Authenticate": HEADER})
    return Caller(match.name, authenticated=True)


CallerDep = Annotated[Caller, Depends(require_caller)]
