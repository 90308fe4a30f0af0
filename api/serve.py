"""`chartproof serve`: uvicorn on the app, bound to loopback unless API keys protect it or the
caller names a host. Logs carry methods, routes, statuses, timings, ids and codes, never chart text
(uvicorn's access log is off: it would print query strings)."""

from __future__ import annotations

import ipaddress
import logging

import click

from api.auth import parse_api_keys
from knowledge.settings import Settings, get_settings

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def choose_host(host: str | None, keys_configured: bool) -> tuple[str, str | None]:
    """(host to bind, warning or None). Without keys the default is loopback only."""
    bind = host or ("0.0.0.0" if keys_configured else "127.0.0.1")
    warning = None
    if not keys_configured and not is_loopback(bind):
        warning = (
            f"chartproof: warning: serving on {bind} without CHARTPROOF_API_KEYS: anyone who can reach "
            "this port can read charts and record review decisions"
        )
    return bind, warning


def configure_logging(level: str) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("chartproof", "api", "agents", "knowledge"):
        logging.getLogger(name).setLevel(level.upper())


def serve(host: str | None, port: int, log_level: str = "info", settings: Settings | None = None) -> None:
    import uvicorn

    from api.app import create_app

    settings = settings or get_settings()
    keys = parse_api_keys(settings.api_keys)  # a malformed value fails here, before binding
    bind, warning = choose_host(host, bool(keys))
    if warning:
        click.echo(warning, err=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    configure_logging(log_level)
    app = create_app(settings)
    shown = f"[{bind}]" if ":" in bind else bind
    click.echo(
        f"chartproof: serving http://{shown}:{port}/ (API docs at /docs; "
        f"{f'{len(keys)} API key(s)' if keys else 'no API keys'}; data in {settings.data_dir})",
        err=True,
    )
    uvicorn.run(app, host=bind, port=port, log_level=log_level, access_log=False, server_header=False)
