"""Versioned prompt templates, loaded by name from the files beside this module.

A prompt's version is the first 12 hex digits of the sha256 of its file, so every result can say
exactly which words the model was given, and an edited prompt shows up as a new version in evals.
Templates use `$name` placeholders (string.Template): chart text full of braces or dollar signs is
inserted verbatim and never parsed as a template. A line `<!-- user -->` splits the instructions
(system message) from the per-chart part (user message).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

from knowledge.errors import KnowledgeError

USER_MARKER = "<!-- user -->"
_NAME = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str
    version: str

    @property
    def placeholders(self) -> set[str]:
        """The `$names` the template needs, so callers and tests can see what to pass."""
        return set(Template(self.text).get_identifiers())

    def render(self, **values: object) -> str:
        """The whole template with `values` filled in; a missing value is a KnowledgeError."""
        return self._fill(self.text, values)

    def messages(self, **values: object) -> list[dict[str, str]]:
        """Chat messages: instructions as the system message, the rest as the user message."""
        system, marker, user = self.text.partition(USER_MARKER)
        if not marker:
            return [{"role": "user", "content": self._fill(self.text, values).strip()}]
        return [
            {"role": "system", "content": self._fill(system, values).strip()},
            {"role": "user", "content": self._fill(user, values).strip()},
        ]

    def _fill(self, template: str, values: dict[str, object]) -> str:
        try:
            return Template(template).substitute({key: str(value) for key, value in values.items()})
        except KeyError as exc:
            raise KnowledgeError(f"prompt '{self.name}' needs a value for ${exc.args[0]}") from exc
        except ValueError as exc:
            raise KnowledgeError(f"prompt '{self.name}' has a malformed placeholder: {exc}") from exc


def available_prompts() -> list[str]:
    files = resources.files(__name__).iterdir()
    return sorted(f.name.removesuffix(".md") for f in files if f.name.endswith(".md"))


@cache
def load_prompt(name: str) -> Prompt:
    """The prompt stored as prompts/<name>.md; an unknown name names the ones that exist."""
    resource = resources.files(__name__).joinpath(f"{name}.md")
    if not _NAME.match(name) or not resource.is_file():
        known = ", ".join(available_prompts()) or "none"
        raise KnowledgeError(f"unknown prompt '{name}' (available: {known})")
    raw = resource.read_bytes()
    return Prompt(name=name, text=raw.decode("utf-8"), version=hashlib.sha256(raw).hexdigest()[:12])
