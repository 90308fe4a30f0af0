"""Sections, sentences and statements carry exact offsets into the original note."""

from __future__ import annotations

from agents.engine.statements import core_span, joined_parts, statements
from agents.sections import kind_of, split_sections, split_sentences

NOTE = (
    "CLINIC NOTE\n"
    "HPI: 60 y/o F with cough.\n"
    "PMH: HTN; DM2. FH: mother with breast cancer.\n"
    "Assesment:\n"
    "1. Essential hypertension - controlled. 2. Type 2 diabetes, poorly controlled\n"
    "- RLQ abdominal pain, r/o acute appendicitis\n"
)


def test_headers_map_to_kinds_including_misspelled_and_combined_titles() -> None:
    assert kind_of("A/P") == "assessment"
    assert kind_of("Discharge diagnoses (attending)") == "assessment"
    assert kind_of("MDM/Impression") == "assessment"
    assert kind_of("Assesment") == "assessment"
    assert kind_of("FHx") == "fh"
    assert kind_of("Meds") == "meds"
    assert kind_of("Lives with wife") is None


def test_sections_cover_the_note_and_find_inline_labels() -> None:
    sections = split_sections(NOTE)
    names = [s.name for s in sections]
    assert names[:2] == ["other", "hpi"]
    assert "fh" in names  # "FH:" after a sentence on the PMH line
    assessment = next(s for s in sections if s.name == "assessment")
    assert NOTE[assessment.start : assessment.end].lstrip().startswith("1. Essential")
    assert all(a.end <= b.start for a, b in zip(sections, sections[1:], strict=False))


def test_sentences_break_at_lines_and_sentence_ends() -> None:
    spans = split_sentences("One thing. Two things.\nThree")
    assert ["One thing.", "Two things.", "Three"] == [
        "One thing. Two things.\nThree"[s.start : s.end] for s in spans
    ]


def test_statements_cut_list_items_dashes_and_inline_numbers() -> None:
    found = statements(NOTE, split_sections(NOTE))
    texts = [s.text for s in found if s.section == "assessment"]
    assert "Essential hypertension" in texts
    assert "controlled" in texts
    assert "Type 2 diabetes, poorly controlled" in texts
    diabetes = next(s for s in found if s.text.startswith("Type 2 diabetes"))
    assert diabetes.first  # "2." starts a new item on the same line
    for s in found:
        assert NOTE[s.start : s.end] == s.text


def test_parts_split_on_commas_but_not_inside_r_o() -> None:
    found = statements(NOTE, split_sections(NOTE))
    pain = next(s for s in found if s.text.startswith("RLQ"))
    parts = [NOTE[a:b] for a, b in pain.parts]
    assert parts == ["RLQ abdominal pain", "acute appendicitis"]  # the r/o cue is left to ConText


def test_core_span_leaves_cues_outside_and_joined_parts_split_with() -> None:
    text = "Father had an MI at 54"
    start, end = core_span(text, 0, len(text))
    assert text[start:end] == "MI"
    text = "Type 2 diabetes with CKD stage 3a"
    assert [text[a:b] for a, b in joined_parts(text, 0, len(text))] == ["Type 2 diabetes", "CKD stage 3a"]
