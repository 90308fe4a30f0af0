"""ChatService without an LLM (the deterministic assistant): the events of a turn, the core questions
on a coded chart, review decisions in the audit store, threads that outlive the service (SQLite and
PostgreSQL checkpointers), and bad input.

The data directory is private to this module (own audit and checkpoint databases) and reads the shared
built indexes through a symlink `index` -> the shared index directory.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.chat import ChatEvent, ChatService
from agents.services import get_services
from knowledge.errors import ChartError, InputError, NotFoundError
from knowledge.settings import Settings
from tests.conftest import TEST_DATABASE_URL
from tests.integration.test_chat_tools import CKD, FOLLOW_UP

pytestmark = pytest.mark.integration

PG_URL = TEST_DATABASE_URL


@pytest.fixture(scope="module")
def settings(built_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    path = tmp_path_factory.mktemp("chat-service")
    os.symlink(built_settings.index_dir, path / "index")
    return Settings(data_dir=path)


@pytest.fixture()
def service(settings: Settings) -> Iterator[ChatService]:
    with ChatService(settings, token_delay=0) as svc:
        yield svc


def ask(service: ChatService, thread_id: str, content: str, **kwargs: Any) -> list[ChatEvent]:
    return list(service.stream(thread_id, content, **kwargs))


def of(events: list[ChatEvent], kind: str) -> list[dict[str, Any]]:
    return [e.data for e in events if e.type == kind]


def message(events: list[ChatEvent]) -> str:
    (data,) = of(events, "message")
    return data["content"]


def test_a_turn_streams_tool_tokens_message_done(service: ChatService) -> None:
    thread_id = service.create_thread(CKD)
    assert len(thread_id) == 32 and int(thread_id, 16) >= 0

    events = ask(service, thread_id, "Which codes and why?")

    kinds = [e.type for e in events]
    assert kinds[0] == "tool" and kinds[-2:] == ["message", "done"]
    assert set(kinds[1:-2]) == {"token"} and kinds.count("token") > 10
    tool = of(events, "tool")[0]
    assert tool["name"] == "code_chart" and tool["ok"] and "E11.22" in tool["summary"]
    text = message(events)
    assert "".join(d["text"] for d in of(events, "token")) == text
    assert "**E11.22**" in text and '"CKD stage 3b"' in text
    done = of(events, "done")[0]
    thread = service.get_thread(thread_id)
    assert done == {"thread_id": thread_id, "audit_id": thread["audit_id"]} and thread["audit_id"]
    assert of(events, "message")[0]["mode"] == "router"
    # the coding run is not checkpointed inside the chat thread as a subgraph
    with sqlite3.connect(service.settings.data_dir / "checkpoints.sqlite") as conn:
        namespaces = conn.execute(
            "SELECT DISTINCT checkpoint_ns FROM checkpoints WHERE thread_id = ?", (thread_id,)
        ).fetchall()
    assert namespaces == [("",)]
    assert [c["code"] for c in thread["result"]["codes"]] == [
        c["code"] for c in get_services(service.settings).store().get(thread["audit_id"]).result["codes"]
    ]


def test_the_core_questions(service: ChatService) -> None:
    thread_id = service.create_thread(CKD)
    expectations = [
        ("why E11.22 and not E11.9?", "explain_code", ["Type 2 diabetes mellitus without complications"]),
        ("what does the note say about the CKD stage?", "search_chart", ["CKD stage 3b", "["]),
        ("what does the guideline say about uncertain diagnoses?", "search_guidelines", ["IV.H"]),
        ("look up left hip fracture initial encounter", "lookup_codes", ["S72."]),
        ("check E11.9 I10", "check_codes", ["Checked E11.9, I10 (age 67, sex F, outpatient)"]),
        ("help", None, ["accept all but I10"]),
        ("tell me a joke", None, ["I'm not sure what you are asking"]),
    ]
    for question, tool, needles in expectations:
        events = ask(service, thread_id, question)
        tools = of(events, "tool")
        assert [t["name"] for t in tools] == ([tool] if tool else []), question
        assert all(t["ok"] for t in tools), (question, tools)
        for needle in needles:
            assert needle in message(events), (question, needle)
    # the explanation coded the chart on the way; later answers reuse that run
    assert service.get_thread(thread_id)["audit_id"]
    assert len(service.get_thread(thread_id)["messages"]) == 2 * len(expectations)


def test_accept_all_but_i10_then_reject_e78_5(service: ChatService) -> None:
    thread_id = service.create_thread(FOLLOW_UP)
    events = ask(service, thread_id, "accept all but I10", reviewer="dana")
    assert [t["name"] for t in of(events, "tool")] == ["record_decision"]
    thread = service.get_thread(thread_id)
    proposed = [c["code"] for c in thread["result"]["codes"]]
    assert "I10" in proposed and "E78.5" in proposed
    ask(service, thread_id, "reject E78.5", reviewer="dana")

    record = get_services(service.settings).store().get(thread["audit_id"])
    assert [(d.decision, d.codes, d.reviewer) for d in record.decisions] == [
        ("edit", [c for c in proposed if c != "I10"], "dana"),
        ("edit", [c for c in proposed if c not in ("I10", "E78.5")], "dana"),
    ]
    assert record.decisions[0].note == "accept all but I10"
    assert record.status == "edited"

    ask(service, thread_id, "accept")
    record = get_services(service.settings).store().get(thread["audit_id"])
    assert record.decisions[-1].decision == "accept" and record.decisions[-1].reviewer == "chat"
    assert record.status == "accepted" and record.final_codes == proposed


def test_a_second_service_continues_the_thread(settings: Settings) -> None:
    with ChatService(settings, token_delay=0) as first:
        thread_id = first.create_thread(FOLLOW_UP)
        ask(first, thread_id, "code this chart")
        audit_id = first.get_thread(thread_id)["audit_id"]

    with ChatService(settings, token_delay=0) as second:
        thread = second.get_thread(thread_id)
        assert thread["audit_id"] == audit_id and thread["chart"]["id"] == FOLLOW_UP.id
        assert [m["role"] for m in thread["messages"]] == ["user", "assistant"]
        events = ask(second, thread_id, "reject")
        assert of(events, "done")[0]["audit_id"] == audit_id  # the same coding run, not a new one
        assert len(second.get_thread(thread_id)["messages"]) == 4

    record = get_services(settings).store().get(audit_id)
    assert [d.decision for d in record.decisions] == ["reject"]


def test_a_thread_without_a_chart(service: ChatService) -> None:
    thread_id = service.create_thread()
    assert "no chart" in message(ask(service, thread_id, "which codes and why?"))
    assert "I could not do that" in message(ask(service, thread_id, "accept"))
    assert "S72." in message(ask(service, thread_id, "look up left hip fracture initial encounter"))
    assert service.get_thread(thread_id)["audit_id"] is None


def test_chart_as_json_and_bad_charts(service: ChatService) -> None:
    thread_id = service.create_thread(CKD.model_dump(mode="json"))
    assert service.get_thread(thread_id)["chart"]["text"] == CKD.text
    with pytest.raises(ChartError):
        service.create_thread({"text": "   "})


def test_bad_input_is_refused_before_streaming(service: ChatService) -> None:
    thread_id = service.create_thread(CKD)
    for bad in ("", "   \n", "x" * 4001):
        with pytest.raises(InputError):
            service.stream(thread_id, bad)  # raised by the call itself, not on iteration
    for unknown in (uuid.uuid4().hex, "not-a-thread", "../../etc"):
        with pytest.raises(NotFoundError):
            service.stream(unknown, "help")
        with pytest.raises(NotFoundError):
            service.get_thread(unknown)


def test_a_failing_turn_ends_with_error_and_done(
    service: ChatService, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread_id = service.create_thread(CKD)

    def broken(message: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("agents.chat.graph.route", broken)
    events = ask(service, thread_id, "help")
    assert [e.type for e in events] == ["error", "done"]
    assert events[0].data["fallback"] is False


def test_chart_text_never_reaches_the_logs(service: ChatService, caplog: pytest.LogCaptureFixture) -> None:
    thread_id = service.create_thread(FOLLOW_UP)
    with caplog.at_level(logging.DEBUG):
        for question in ("code this chart", "what does the note say about heartburn?", "accept all but I10"):
            ask(service, thread_id, question)
        service.stream(thread_id, "why K21.9?")  # not consumed: validation only
    assert caplog.records
    for secret in ("Occasional heartburn", "Father had an MI", "heartburn"):
        assert secret not in caplog.text


# -- PostgreSQL ---------------------------------------------------------------------------------------------


def test_threads_on_postgres_survive_the_service(settings: Settings, pg_schema: str) -> None:
    """The PostgresSaver variant. Only questions that do not code: coding would write audit records to
    the database's default schema, and these tests keep everything in their throwaway schema."""
    pg = Settings(data_dir=Path(settings.data_dir), database_url=PG_URL)
    with ChatService(pg, schema=pg_schema, token_delay=0) as first:
        thread_id = first.create_thread(CKD)
        events = ask(first, thread_id, "what does the note say about the CKD stage?")
        assert "CKD stage 3b" in message(events)

    with ChatService(pg, schema=pg_schema, token_delay=0) as second:
        assert second.get_thread(thread_id)["chart"]["id"] == CKD.id
        events = ask(second, thread_id, "guideline I.C.4.a.2")
        assert "I.C.4.a.2" in message(events)
        assert [m["role"] for m in second.get_thread(thread_id)["messages"]] == ["user", "assistant"] * 2
        with pytest.raises(NotFoundError):
            second.get_thread(uuid.uuid4().hex)
