"""The prompt loader: files by name, a version that is the file's hash, safe rendering."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from knowledge.errors import KnowledgeError
from prompts import USER_MARKER, available_prompts, load_prompt

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
VALUES = {"setting": "outpatient", "patient": "age 67", "chart": "x", "candidates": "-", "guidelines": "-"}


def test_known_prompts_are_listed_and_load() -> None:
    assert {"propose_codes", "revise_codes"} <= set(available_prompts())
    for name in ("propose_codes", "revise_codes"):
        prompt = load_prompt(name)
        assert prompt.name == name and USER_MARKER in prompt.text
        assert "$chart" in prompt.text


def test_version_is_the_first_12_hex_of_the_file_sha256() -> None:
    prompt = load_prompt("propose_codes")
    assert prompt.version == hashlib.sha256((PROMPTS / "propose_codes.md").read_bytes()).hexdigest()[:12]
    assert len(prompt.version) == 12 and int(prompt.version, 16) >= 0
    assert load_prompt("propose_codes").version == prompt.version


@pytest.mark.parametrize("name", ["nope", "../pyproject", "propose_codes.md", ""])
def test_unknown_name_is_a_clear_error(name: str) -> None:
    with pytest.raises(KnowledgeError, match="unknown prompt .*available: .*propose_codes"):
        load_prompt(name)


def test_chart_text_with_braces_and_dollars_is_inserted_verbatim() -> None:
    chart = 'BP {140/90} costs $5, ${x} $chart {0} {"codes": []}'
    text = load_prompt("propose_codes").render(**{**VALUES, "chart": chart})
    assert chart in text
    assert "$setting" not in text and "outpatient" in text


def test_messages_split_instructions_from_the_chart() -> None:
    system, user = load_prompt("propose_codes").messages(**{**VALUES, "chart": "CHART TEXT"})
    assert system["role"] == "system" and "ICD-10-CM" in system["content"]
    assert "CHART TEXT" not in system["content"] and USER_MARKER not in system["content"]
    assert user["role"] == "user" and "<chart>\nCHART TEXT\n</chart>" in user["content"]


def test_prompts_state_the_guidelines_and_the_answer_shape() -> None:
    for name in ("propose_codes", "revise_codes"):
        text = load_prompt(name).text
        for section in ("IV.H", "II.H", "I.B.5", "Z85-Z87", "Z80-Z84", "verbatim", '{"codes": ['):
            assert section in text, (name, section)


def test_a_missing_value_is_named() -> None:
    prompt = load_prompt("propose_codes")
    assert prompt.placeholders == set(VALUES)
    with pytest.raises(KnowledgeError, match=r"needs a value for \$guidelines"):
        prompt.render(**{k: v for k, v in VALUES.items() if k != "guidelines"})


def test_prompt_files_are_package_data() -> None:
    pyproject = (PROMPTS.parent / "pyproject.toml").read_text()
    assert 'prompts = ["*.md"' in pyproject
