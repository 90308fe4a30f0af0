"""API keys: CHARTPROOF_API_KEYS="alice:k1,bob:k2" (named) or "k1,k2" (bare, named key1, key2...).

When keys are configured every /v1 route needs a matching X-API-Key header (401 otherwise) and the
key's name is who the audit trail records as the reviewer, unless the request names one. Keys are
compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from knowledge.errors import InputError

HEADER = "X-API-Key"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class ApiKey:
    name: str
    key: str


@dataclass(frozen=True)
class Caller:
    """Who is calling: the API key's name, or `anonymous` when the server runs without keys."""

    name: str
    authenticated: bool


def parse_api_keys(raw: str | None) -> tuple[ApiKey, ...]:
    """Keys from the CHARTPROOF_API_KEYS value; () when unset. A set value with no key is an error
    (it would lock everyone out without saying why)."""
    if raw is None or not raw.strip():
        return ()
    keys: list[ApiKey] = []
    for n, entry in enumerate((e.strip() for e in raw.split(",")), 1):
        if not entry:
            continue
        name, sep, key = entry.partition(":")
        if not sep:
            name, key = f"key{n}", entry
        name, key = name.strip(), key.strip()
        if not name or not key:
            raise InputError(f"CHARTPROOF_API_KEYS entry {n} is not 'name:key' or a bare key")
        keys.append(ApiKey(name, key))
    if not keys:
        raise InputError("CHARTPROOF_API_KEYS is set but names no key")
    return tuple(keys)


class KeyRing:
    def __init__(self, keys: tuple[ApiKey, ...]) -> None:
        self.keys = keys

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def match(self, presented: str | None) -> ApiKey | None:
        if not presented:
            return None
        found = None
        for candidate in self.keys:  # no early exit: timing does not tell which key matched
            if hmac.compare_digest(candidate.key.encode(), presented.encode()):
                found = candidate
        return found
