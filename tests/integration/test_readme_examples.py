"""Every `$ chartproof ...` line of the README runs and exits 0, so the examples never drift."""

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [
    line[2:].strip()
    for line in (ROOT / "README.md").read_text().splitlines()
    if line.startswith("$ chartproof ")
]

pytestmark = pytest.mark.integration


def test_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("command", EXAMPLES)
def test_readme_example_runs(command: str, cli_env: dict[str, str]) -> None:
    args = shlex.split(command)[1:]
    proc = subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        env=cli_env,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
