"""`chartproof serve` started for real in a subprocess on a free loopback port, for tests that need
a server (concurrency, the browser). The data directory reuses the shared built indexes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 180.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def data_dir_with_indexes(path: Path, index_dir: Path) -> Path:
    """A fresh data directory (own audit and chat databases) whose index/ is the shared built index:
    a symlink, so nothing is rebuilt and nothing the shared directory holds is written."""
    path.mkdir(parents=True, exist_ok=True)
    link = path / "index"
    if not link.exists():
        link.symlink_to(index_dir.resolve(), target_is_directory=True)
    return path


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _command() -> list[str]:
    script = Path(sys.executable).with_name("chartproof")
    return [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]


@contextmanager
def chartproof_serve(data_dir: Path, **env: str) -> Iterator[LiveServer]:
    """Run `chartproof serve --host 127.0.0.1 --port P` until the engine is warm; stop it afterwards."""
    port = free_port()
    log_path = data_dir / f"serve-{port}.log"
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CHARTPROOF_")}
    environment = {**inherited, "CHARTPROOF_DATA_DIR": str(data_dir), **env}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", data_dir, log_path, process)
    try:
        _wait_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_ready(server: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            code = server.process.returncode
            raise RuntimeError(f"chartproof serve exited with {code}:\n{server.log()[-3000:]}")
        try:
            health = httpx.get(f"{server.url}/healthz", timeout=2.0).json()
            if health.get("ready"):
                return
            if health.get("status") == "degraded":
                raise RuntimeError(f"the server could not warm up: {health.get('error')}")
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    waited = f"{STARTUP_TIMEOUT_S:.0f} s"
    raise RuntimeError(f"chartproof serve was not ready after {waited}:\n{server.log()[-3000:]}")
