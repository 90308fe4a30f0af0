from collections import Counter

from knowledge.codeset import get_codeset
from knowledge.guidelines import ID_PATTERN, guideline_index, load_guidelines, rules_for_code

REQUIRED_SECTIONS = ["I.A.15", "I.B.5", "I.C.4.a.2", "I.C.9.a.2", "II.H", "IV.H", "I.A.12.a", "I.C.19.c.1"]


def test_corpus_size_and_unique_well_formed_ids() -> None:
    rules = load_guidelines()
    assert len(rules) >= 150
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids))
    for rule in rules:
        assert ID_PATTERN.match(rule.id), rule.id
        assert rule.id.split("-")[0] == rule.section
        assert rule.title and rule.rule


def test_covers_every_section_of_the_guidelines() -> None:
    tops = Counter(
        r.section.split(".")[0] + ("." + r.section.split(".")[1] if r.section.startswith("I.") else "")
        for r in load_guidelines()
    )
    for top in ["I.A", "I.B", "I.C", "II", "III", "IV"]:
        assert tops[top] > 0, top
    index = guideline_index()
    for section in REQUIRED_SECTIONS:
        assert any(rid.split("-")[0] == section for rid in index), section


def test_every_code_range_names_codes_that_exist() -> None:
    cs = get_codeset()
    for rule in load_guidelines():
        for spec in rule.codes:
            for end in spec.rstrip("-").rstrip(".").split("-"):
                assert cs.is_valid(end.strip()), f"{rule.id}: {spec}"


def test_rules_for_code_finds_the_governing_rules() -> None:
    sections = {r.section for r in rules_for_code("E11.22")}
    assert any(s.startswith("I.C.4") for s in sections)
    assert any(s.startswith("I.C.19") for s in {r.section for r in rules_for_code("S72.001A")})
