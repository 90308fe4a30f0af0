"""The chat assistant's deterministic parts with no index and no database: the intent router, the
tools that read only the chart and the guideline corpus, event chunking, the tool schemas, and the
conversion of thread messages to OpenAI messages."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agents.chat.events import ChatEvent, chunks
from agents.chat.graph import _tool_rounds, _window, to_openai
from agents.chat.router import HELP, answer_text, route
from agents.chat.tools import (
    TOOLS,
    ThreadView,
    check_codes,
    codes_in,
    explain_code,
    run_tool,
    search_chart,
    search_guidelines,
)
from knowledge.schema import Chart
from knowledge.settings import Settings

TEXT = (
    "HPI: 67 y/o F, T2DM followed for CKD.\n"
    "A/P:\n"
    "1. Type 2 diabetes mellitus with diabetic chronic kidney disease, CKD stage 3b. eGFR 38.\n"
    "2. Essential hypertension, controlled on lisinopril.\n"
    "3. No chest pain today.\n"
)
CHART = Chart(id="u1", text=TEXT, setting="outpatient", patient={"age": 67, "sex": "F"})


@pytest.fixture()
def view(tmp_path) -> ThreadView:
    return ThreadView(settings=Settings(data_dir=tmp_path), chart=CHART)


@pytest.mark.parametrize(
    ("message", "name", "tool", "args"),
    [
        ("help", "help", None, {}),
        ("which codes and why?", "code", "code_chart", {"recode": False}),
        ("Code this chart", "code", "code_chart", {"recode": False}),
        ("please recode the chart", "code", "code_chart", {"recode": True}),
        ("why E11.22?", "explain", "explain_code", {"code": "E11.22"}),
        ("Why E11.22 and not E11.9?", "explain", "explain_code", {"code": "E11.22", "versus": "E11.9"}),
        ("why e1122 instead of e119", "explain", "explain_code", {"code": "E11.22", "versus": "E11.9"}),
        ("I12.9", "explain", "explain_code", {"code": "I12.9"}),
        ("what does the note say about the CKD stage?", "chart", "search_chart", {"topic": "CKD stage"}),
        ("Does the chart mention chest pain?", "chart", "search_chart", {"topic": "chest pain"}),
        ("what does the note say about E11.22?", "explain", "explain_code", {"code": "E11.22"}),
        (
            "what does the guideline say about uncertain diagnoses?",
            "guideline",
            "search_guidelines",
            {"query": "uncertain diagnoses", "k": 3},
        ),
        ("guideline I.C.4.a", "guideline", "search_guidelines", {"query": "I.C.4.a", "k": 3}),
        ("what is IV.H?", "guideline", "search_guidelines", {"query": "IV.H", "k": 3}),
        ("I.V. antibiotics in the note?", "chart", "search_chart", {"topic": "I.V. antibiotics"}),
        (
            "any mention of smoking in the chart?",
            "chart",
            "search_chart",
            {"topic": "any mention of smoking"},
        ),
        (
            "look up left hip fracture initial encounter",
            "lookup",
            "lookup_codes",
            {"phrase": "left hip fracture initial encounter", "k": 5},
        ),
        (
            "Look up the code for a left hip fracture, initial encounter",
            "lookup",
            "lookup_codes",
            {"phrase": "left hip fracture, initial encounter", "k": 5},
        ),
        ("what is the code for sepsis?", "lookup", "lookup_codes", {"phrase": "sepsis", "k": 5}),
        ("check E11.9 I10", "check", "check_codes", {"codes": ["E11.9", "I10"]}),
        (
            "check N40.0 for a 70 year old female inpatient",
            "check",
            "check_codes",
            {"codes": ["N40.0"], "age": 70, "sex": "F", "setting": "inpatient"},
        ),
        ("check", "check", "check_codes", {"codes": []}),
        ("accept", "decide", "record_decision", {"decision": "accept", "note": "accept"}),
        (
            "Looks good, accept.",
            "decide",
            "record_decision",
            {"decision": "accept", "note": "Looks good, accept."},
        ),
        (
            "accept all but I10",
            "decide",
            "record_decision",
            {"decision": "edit", "remove": ["I10"], "note": "accept all but I10"},
        ),
        (
            "accept everything except I10 and E78.5",
            "decide",
            "record_decision",
            {
                "decision": "edit",
                "remove": ["I10", "E78.5"],
                "note": "accept everything except I10 and E78.5",
            },
        ),
        (
            "reject E11.9",
            "decide",
            "record_decision",
            {"decision": "edit", "remove": ["E11.9"], "note": "reject E11.9"},
        ),
        ("reject", "decide", "record_decision", {"decision": "reject", "note": "reject"}),
        (
            "add Z79.84",
            "decide",
            "record_decision",
            {"decision": "edit", "add": ["Z79.84"], "note": "add Z79.84"},
        ),
        (
            "accept only E11.22 N18.32",
            "decide",
            "record_decision",
            {"decision": "edit", "codes": ["E11.22", "N18.32"], "note": "accept only E11.22 N18.32"},
        ),
        (
            "replace E11.9 with E11.22",
            "decide",
            "record_decision",
            {"decision": "edit", "remove": ["E11.9"], "add": ["E11.22"], "note": "replace E11.9 with E11.22"},
        ),
    ],
)
def test_route(message: str, name: str, tool: str | None, args: dict) -> None:
    intent = route(message)
    assert (intent.name, intent.tool, intent.args) == (name, tool, args)


@pytest.mark.parametrize("message", ["accept E11.22", "remove", "add", "replace it", "edit"])
def test_ambiguous_decisions_ask_instead_of_recording(message: str) -> None:
    intent = route(message)
    assert intent.name == "clarify" and intent.tool is None
    assert "accept all but" in intent.reply


def test_unknown_question_answers_with_what_it_can_do() -> None:
    intent = route("what's the weather like?")
    assert intent.name == "unknown" and intent.tool is None
    text = answer_text(intent, [])
    assert text.startswith("I'm not sure") and HELP in text
    for example in ("why E11.22 and not E11.9?", "accept all but I10", "look up", "check E11.9 I10"):
        assert example in text


def test_codes_in_keeps_valid_codes_only() -> None:
    assert codes_in("A1c 7.2, vitamin B12 low; e11.22 and I10, then E11.22 again") == ["E11.22", "I10"]


def test_search_chart_finds_sentences_with_offsets_and_abbreviations(view: ThreadView) -> None:
    out = search_chart(view, "chronic kidney disease")
    texts = [s["text"] for s in out.data["sentences"]]
    # "CKD" in the HPI is found through the lexicon, though the question spelled it out
    assert texts == [
        "HPI: 67 y/o F, T2DM followed for CKD.",
        "Type 2 diabetes mellitus with diabetic chronic kidney disease, CKD stage 3b. eGFR 38.",
    ]
    for sentence in out.data["sentences"]:
        assert TEXT[sentence["start"] : sentence["end"]] == sentence["text"]
    assert f"[{out.data['sentences'][1]['start']}-" in out.text


def test_search_chart_says_when_nothing_matches(view: ThreadView) -> None:
    out = search_chart(view, "pregnancy")
    assert out.ok and out.data["sentences"] == [] and "says nothing about" in out.text


def test_search_guidelines_by_keywords_and_by_section() -> None:
    view = ThreadView(settings=Settings())
    ids = [r["id"] for r in search_guidelines(view, "uncertain diagnoses").data["rules"]]
    assert {"IV.H", "III.C"} <= set(ids)
    out = search_guidelines(view, "I.C.4.a.2", k=2)
    assert [r["id"] for r in out.data["rules"]] == ["I.C.4.a.2"]
    assert out.text.startswith("**I.C.4.a.2 ")


def test_check_codes_uses_the_charts_patient(view: ThreadView) -> None:
    out = check_codes(view, ["O80"])  # a delivery code for a 67-year-old: an age finding
    assert out.arguments["codes"] == ["O80"]
    assert "age 67" in out.text and "sex F" in out.text
    assert any(f["rule"] == "age_conflict" for f in out.data["findings"])


def test_explain_without_chart_gives_title_and_guideline(tmp_path) -> None:
    out = explain_code(ThreadView(settings=Settings(data_dir=tmp_path)), "E11.22", versus="E11.9")
    assert out.data["title"] == "Type 2 diabetes mellitus with diabetic chronic kidney disease"
    assert out.data["versus"]["title"] == "Type 2 diabetes mellitus without complications"
    assert "no chart" in out.text


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("explain_code", {"code": "ZZ"}, "not shaped like an ICD-10-CM code"),
        ("explain_code", {"code": "E11.99.9"}, "not shaped like"),
        ("explain_code", {}, "Invalid arguments for explain_code: code: Field required"),
        ("lookup_codes", {"phrase": "x", "k": 99}, "k: Input should be less than or equal to 20"),
        ("nope", {}, "Unknown tool 'nope'"),
        ("search_chart", {"topic": "the"}, "say which words to look for"),
    ],
)
def test_run_tool_turns_failures_into_outputs(
    view: ThreadView, name: str, arguments: dict, expected: str
) -> None:
    out = run_tool(name, arguments, view)
    assert not out.ok and expected in out.text
    assert out.data == {"error": out.text}


def test_tools_without_a_chart_say_so(tmp_path) -> None:
    out = run_tool("code_chart", {}, ThreadView(settings=Settings(data_dir=tmp_path)))
    assert not out.ok and "no chart" in out.text


def test_tool_schemas_are_openai_function_specs() -> None:
    assert set(TOOLS) == {
        "code_chart",
        "explain_code",
        "search_chart",
        "search_guidelines",
        "lookup_codes",
        "check_codes",
        "record_decision",
    }
    for spec in TOOLS.values():
        schema = spec.schema()
        assert schema["type"] == "function"
        assert schema["function"]["parameters"]["type"] == "object"
        assert schema["function"]["description"]
    decision = TOOLS["record_decision"].schema()["function"]["parameters"]
    assert decision["required"] == ["decision"]
    assert decision["properties"]["decision"]["enum"] == ["accept", "reject", "edit"]


@pytest.mark.parametrize(
    "text", ["", "one", "a few words of an answer that goes on\n- with a list", "  lead"]
)
def test_chunks_lose_nothing(text: str) -> None:
    pieces = list(chunks(text))
    assert "".join(pieces) == text
    assert all(len(p.split()) <= 4 for p in pieces)


def test_event_as_sse() -> None:
    event = ChatEvent(type="token", data={"text": "E11.22 "})
    assert event.sse() == 'event: token\ndata: {"text": "E11.22 "}\n\n'


def test_thread_messages_as_openai_messages() -> None:
    call = {"id": "c1", "name": "explain_code", "args": {"code": "E11.22"}}
    messages = [
        HumanMessage("why E11.22?"),
        AIMessage(content="", tool_calls=[call]),
        ToolMessage(content='{"code": "E11.22"}', tool_call_id="c1"),
        AIMessage(content="Because of CKD 3b."),
    ]
    assert to_openai(messages) == [
        {"role": "user", "content": "why E11.22?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "explain_code", "arguments": '{"code": "E11.22"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": '{"code": "E11.22"}'},
        {"role": "assistant", "content": "Because of CKD 3b."},
    ]
    assert _tool_rounds(messages) == 1
    assert _tool_rounds([*messages, HumanMessage("and?")]) == 0


def test_broken_off_tool_calls_are_not_sent() -> None:
    messages = [
        HumanMessage("why E11.22?"),
        AIMessage(content="", tool_calls=[{"id": "c1", "name": "explain_code", "args": {"code": "E11.22"}}]),
        HumanMessage("hello?"),
        ToolMessage(content="{}", tool_call_id="zz"),
    ]
    assert to_openai(messages) == [
        {"role": "user", "content": "why E11.22?"},
        {"role": "user", "content": "hello?"},
    ]


def test_history_window_starts_at_a_coder_message() -> None:
    turn = [
        HumanMessage("q"),
        AIMessage(content="", tool_calls=[{"id": "c", "name": "code_chart", "args": {}}]),
        ToolMessage(content="{}", tool_call_id="c"),
        AIMessage(content="a"),
    ]
    window = _window(turn * 20)
    assert isinstance(window[0], HumanMessage) and len(window) <= 40
