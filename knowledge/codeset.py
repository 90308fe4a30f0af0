"""The ICD-10-CM FY2026 code set (April 1, 2026 release) from the simple-icd-10-cm package.

Every code with its title, billable flag, chapter and block, inclusion terms, instructional notes
(Excludes1/2, code first, use additional, code also) and 7th-character rule. Nothing is downloaded:
the tabular ships inside the package.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, cached_property

import simple_icd_10_cm as cm

from knowledge.errors import InputError
from knowledge.schema import KNOWLEDGE_VERSION

RELEASE = "2026-04-01"
assert KNOWLEDGE_VERSION.endswith(RELEASE)

_CODE_SHAPE = re.compile(r"^[A-Z](?:[0-9][0-9A-Z]|[A-Z][0-9])(\.[0-9A-Z]{1,4})?$")
_UNDOTTED_SHAPE = re.compile(r"^[A-Z](?:[0-9][0-9A-Z]|[A-Z][0-9])[0-9A-Z]{0,4}$")


@dataclass(frozen=True)
class SeventhCharacterRule:
    """Which 7th characters a code takes; `owner` is the category or subcategory that defines them."""

    owner: str
    allowed: dict[str, str]


@dataclass(frozen=True)
class CodeInfo:
    code: str
    title: str
    billable: bool
    chapter: str
    block: str
    parent: str | None
    inclusion_terms: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    excludes1: tuple[str, ...] = ()
    excludes2: tuple[str, ...] = ()
    code_first: tuple[str, ...] = ()
    use_additional: tuple[str, ...] = ()
    code_also: tuple[str, ...] = ()
    seventh: SeventhCharacterRule | None = field(default=None)

    @property
    def phrases(self) -> tuple[str, ...]:
        """The code's own inclusion terms and "includes" notes: other names for exactly this code."""
        return self.inclusion_terms + self.includes


def normalize_code(raw: str) -> str:
    """Upper-case and dot a code written by a person ("e1122" -> "E11.22"); reject malformed ones."""
    text = raw.strip().upper()
    if _CODE_SHAPE.match(text):
        return text
    if _UNDOTTED_SHAPE.match(text):
        return text if len(text) == 3 else f"{text[:3]}.{text[3:]}"
    raise InputError(f"'{raw}' is not shaped like an ICD-10-CM code (e.g. E11.22, S72.001A)")


def _split_note(note: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in note.splitlines() if line.strip())


class CodeSet:
    """Read-only view of the FY2026 tabular. Lookups are cached; construction is cheap."""

    release = RELEASE
    version = KNOWLEDGE_VERSION

    def is_valid(self, code: str) -> bool:
        return (
            bool(_CODE_SHAPE.match(code))
            and cm.is_valid_item(code)
            and (cm.is_category_or_subcategory(code) or cm.is_extended_subcategory(code))
        )

    def is_billable(self, code: str) -> bool:
        return self.is_valid(code) and cm.is_leaf(code)

    def get(self, code: str) -> CodeInfo | None:
        return _info(code) if self.is_valid(code) else None

    def title(self, code: str) -> str:
        return " ".join(cm.get_description(code).split()) if self.is_valid(code) else ""

    def ancestors(self, code: str) -> list[str]:
        """Category and subcategory ancestors, nearest first (blocks and chapters left out)."""
        ancestors = (a for a in cm.get_ancestors(code) if cm.is_category_or_subcategory(a))
        return [a for a in dict.fromkeys(ancestors) if a != code]

    def lineage(self, code: str) -> list[str]:
        return [code, *self.ancestors(code)]

    def children(self, code: str) -> list[str]:
        return list(cm.get_children(code))

    def billable_descendants(self, code: str) -> list[str]:
        if cm.is_leaf(code):
            return [code]
        return [c for c in cm.get_descendants(code) if cm.is_leaf(c)]

    def seventh_character_rule(self, code: str) -> SeventhCharacterRule | None:
        return _seventh_rule(code)

    @cached_property
    def all_codes(self) -> list[str]:
        """Every category, subcategory and code (chapters and blocks left out)."""
        codes = (
            c
            for c in cm.get_all_codes(with_dots=True)
            if cm.is_category_or_subcategory(c) or cm.is_extended_subcategory(c)
        )
        return list(dict.fromkeys(codes))  # the package lists a few categories twice

    @cached_property
    def billable_codes(self) -> list[str]:
        return [c for c in self.all_codes if cm.is_leaf(c)]

    @cached_property
    def categories(self) -> list[str]:
        return [c for c in self.all_codes if cm.is_category(c)]

    def chapter_counts(self) -> dict[str, int]:
        """Billable codes per chapter number ("1".."22")."""
        return dict(Counter(_chapter(c) for c in self.billable_codes))

    def in_range(self, code: str, spec: str) -> bool:
        """Whether `code` falls in a spec like "E11", "E11.2", "E08-E13", "O00-O9A", "Z79.4"."""
        spec = spec.strip().rstrip("-").rstrip(".")
        if "-" in spec:
            low, high = (s.strip() for s in spec.split("-", 1))
            key = code.replace(".", "")
            lo, hi = low.replace(".", ""), high.replace(".", "")
            return lo <= key[: len(lo)] and key[: len(hi)] <= hi
        return code == spec or code.startswith(spec if "." in spec or len(spec) > 3 else spec)


@cache
def _chapter(code: str) -> str:
    return str(cm.get_ancestors(code)[-1])


@cache
def _seventh_rule(code: str) -> SeventhCharacterRule | None:
    for level in [code, *cm.get_ancestors(code)]:
        if cm.is_chapter_or_block(level):
            break
        allowed = cm.get_seven_chr_def(level)
        if allowed:
            return SeventhCharacterRule(owner=level, allowed=dict(allowed))
    return None


@cache
def _info(code: str) -> CodeInfo:
    ancestors = cm.get_ancestors(code)
    block = next((a for a in ancestors if cm.is_block(a)), "")
    parent = cm.get_parent(code) if not cm.is_category(code) else None
    return CodeInfo(
        code=code,
        title=" ".join(cm.get_description(code).split()),
        billable=cm.is_leaf(code),
        chapter=str(ancestors[-1]),
        block=block,
        parent=parent,
        inclusion_terms=tuple(cm.get_inclusion_term(code)),
        includes=tuple(cm.get_includes(code)),
        excludes1=tuple(cm.get_excludes1(code)),
        excludes2=tuple(cm.get_excludes2(code)),
        code_first=_split_note(cm.get_code_first(code)),
        use_additional=_split_note(cm.get_use_additional_code(code)),
        code_also=_split_note(cm.get_code_also(code)),
        seventh=_seventh_rule(code),
    )


@cache
def get_codeset() -> CodeSet:
    return CodeSet()
