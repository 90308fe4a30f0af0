import pytest

from knowledge.codeset import get_codeset, normalize_code
from knowledge.errors import InputError
from knowledge.schema import KNOWLEDGE_VERSION

cs = get_codeset()


@pytest.mark.parametrize(
    ("code", "valid", "billable"),
    [
        ("S52.501A", True, True),
        ("T43.015A", True, True),
        ("S30.0XXA", True, True),
        ("S52.501", True, False),
        ("E11", True, False),
        ("E11.22", True, True),
        ("I10", True, True),
        ("G20.A1", True, True),
        ("S52.501Z", False, False),
        ("K21.99", False, False),
        ("S30.0A", False, False),
        ("E11-E13", False, False),
    ],
)
def test_validity_and_billable(code: str, valid: bool, billable: bool) -> None:
    assert cs.is_valid(code) is valid
    assert cs.is_billable(code) is billable


def test_counts_per_chapter_match_the_fy2026_release() -> None:
    counts = cs.chapter_counts()
    assert sum(counts.values()) == len(cs.billable_codes) == 74_719
    assert counts["19"] == 41_142  # injuries: most codes carry a 7th character
    assert counts["4"] == 971
    assert counts["22"] == 3  # U07.1, U09.9 and U10.9 ... special purposes
    assert set(counts) == {str(n) for n in range(1, 23)}
    assert len(cs.categories) == 1_918


def test_code_record_carries_the_tabular_notes() -> None:
    e11 = cs.get("E11")
    assert e11 is not None and not e11.billable and e11.chapter == "4" and e11.block == "E08-E13"
    assert any("Z79.4" in note for note in e11.use_additional)
    assert any("E10" in note for note in e11.excludes1)
    i502 = cs.get("I50.2")
    assert i502 is not None and any("HFrEF" in term for term in i502.inclusion_terms)
    assert cs.get("K21.99") is None


def test_seventh_character_rules_and_placeholder() -> None:
    rule = cs.seventh_character_rule("S52.501")
    assert rule is not None and rule.owner == "S52" and {"A", "D", "S"} <= set(rule.allowed)
    assert "Z" not in rule.allowed
    assert cs.seventh_character_rule("E11.22") is None
    assert cs.get("S30.0XXA").seventh is not None  # type: ignore[union-attr]


def test_ranges() -> None:
    assert cs.in_range("E11.22", "E08-E13")
    assert cs.in_range("O9A.11", "O00-O9A")
    assert cs.in_range("I1A.0", "I10-I1A")
    assert not cs.in_range("E14.0", "E08-E13")
    assert cs.in_range("E11.22", "E11.-")
    assert not cs.in_range("E110", "E11.0")


def test_normalize_code() -> None:
    assert normalize_code(" e1122 ") == "E11.22"
    assert normalize_code("I10") == "I10"
    with pytest.raises(InputError):
        normalize_code("E11..9")
    with pytest.raises(InputError):
        normalize_code("hello")


def test_knowledge_version() -> None:
    assert KNOWLEDGE_VERSION == "ICD-10-CM 2026-04-01"
    assert cs.version == KNOWLEDGE_VERSION
