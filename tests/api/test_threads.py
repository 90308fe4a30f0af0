"""Chat threads: create, then stream the answer as server-sent events (the real chat service, and
scripted fakes for the failure paths)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.errors import ServiceUnavailable
from knowledge.errors import NotFoundError
from knowledge.settings import Settings
from tests.api.conftest import ALICE, CHART, assert_problem, make_client

pytestmark = pytest.mark.integration


def read_events(client: TestClient, thread_id: str, content: str, headers: dict[str, str]) -> list[dict]:
    """POST a message and parse the text/event-stream into [{"type": ..., "data": {...}}]."""
    events: list[dict[str, Any]] = []
    with client.stream(
        "POST", f"/v1/threads/{thread_id}/messages", json={"content": content}, headers=headers
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        kind, data = "message", []
        for line in response.iter_lines():
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif not line and data:
                events.append({"type": kind, "data": json.loads("\n".join(data))})
                kind, data = "message", []
    return events


def test_a_thread_about_a_chart_answers_which_codes_and_why(client: TestClient) -> None:
    created = client.post("/v1/threads", json={"chart": CHART}, headers=ALICE)
    assert created.status_code == 201, created.text
    thread_id = created.json()["thread_id"]
    events = read_events(client, thread_id, "which codes and why?", ALICE)
    kinds = [e["type"] for e in events]
    assert kinds.count("token") >= 2, kinds  # the answer streams in pieces
    assert kinds[-2:] == ["message", "done"]
    streamed = "".join(e["data"]["text"] for e in events if e["type"] == "token")
    message = events[-2]["data"]["content"]
    assert streamed == message
    assert "E11.22" in message


def test_the_thread_remembers_its_chart_across_messages(client: TestClient) -> None:
    thread_id = client.post("/v1/threads", json={"chart": CHART}, headers=ALICE).json()["thread_id"]
    read_events(client, thread_id, "which codes and why?", ALICE)
    events = read_events(client, thread_id, "what does the note say about GERD?", ALICE)
    assert "esophagitis" in events[-2]["data"]["content"].lower()


def test_a_thread_without_a_chart_can_look_up_codes(client: TestClient) -> None:
    created = client.post("/v1/threads", headers=ALICE)
    assert created.status_code == 201
    events = read_events(client, created.json()["thread_id"], "look up essential hypertension", ALICE)
    assert "I10" in events[-2]["data"]["content"]


def test_thread_bad_input(client: TestClient) -> None:
    assert_problem(client.post("/v1/threads", json={"chart": {"text": ""}}, headers=ALICE), 422)
    assert_problem(
        client.post("/v1/threads", json={"chart": {"text": "HTN", "setting": "moon"}}, headers=ALICE), 422
    )
    assert_problem(client.post("/v1/threads", json={"chart": "HTN"}, headers=ALICE), 422)
    assert_problem(
        client.post("/v1/threads", content=b"{chart", headers={**ALICE, "Content-Type": "application/json"}),
        400,
    )
    thread_id = client.post("/v1/threads", json={}, headers=ALICE).json()["thread_id"]
    for body in ({"content": ""}, {"content": "   "}, {}, {"content": 7}, {"content": "x" * 4001}):
        assert_problem(client.post(f"/v1/threads/{thread_id}/messages", json=body, headers=ALICE), 422)


def test_unknown_thread_is_404_before_any_stream(client: TestClient) -> None:
    for thread_id in ("0" * 32, "no-such-thread"):
        response = client.post(f"/v1/threads/{thread_id}/messages", json={"content": "hi"}, headers=ALICE)
        assert_problem(response, 404)


# -- failure paths, with scripted chat services --------------------------------------------------------


class ScriptedChat:
    """A chat service that plays back the events it is given (dicts or objects with type/data)."""

    def __init__(self, events: list[Any], fail_after: int | None = None) -> None:
        self.events = events
        self.fail_after = fail_after
        self.reviewers: list[str | None] = []

    def create_thread(self, chart: Any) -> str:
        return "t" * 32

    def stream(self, thread_id: str, content: str, *, reviewer: str | None = None) -> Iterator[Any]:
        if thread_id != "t" * 32:
            raise NotFoundError(f"no chat thread '{thread_id}'")
        self.reviewers.append(reviewer)
        return self._events()

    def _events(self) -> Iterator[Any]:
        for n, event in enumerate(self.events):
            if self.fail_after is not None and n == self.fail_after:
                raise RuntimeError("secret chart words in a crash")
            yield event


def test_the_callers_key_name_reaches_the_chat_as_reviewer(api_settings: Settings) -> None:
    chat = ScriptedChat([{"type": "token", "data": {"text": "hi"}}, {"type": "done", "data": {}}])
    with make_client(api_settings, chat_factory=lambda settings: chat) as client:
        events = read_events(client, "t" * 32, "accept all", ALICE)
    assert [e["type"] for e in events] == ["token", "done"]
    assert chat.reviewers == ["alice"]


def test_a_stream_without_done_is_closed_with_done(api_settings: Settings) -> None:
    chat = ScriptedChat([{"type": "token", "data": {"text": "partial"}}])
    with make_client(api_settings, chat_factory=lambda settings: chat) as client:
        assert [e["type"] for e in read_events(client, "t" * 32, "hi", ALICE)] == ["token", "done"]


def test_a_crash_mid_stream_becomes_an_error_event_without_details(
    api_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    chat = ScriptedChat(
        [{"type": "token", "data": {"text": "a"}}, {"type": "token", "data": {"text": "b"}}], 1
    )
    with make_client(api_settings, chat_factory=lambda settings: chat) as client:
        events = read_events(client, "t" * 32, "hi", ALICE)
    assert [e["type"] for e in events] == ["token", "error"]
    assert events[-1]["data"]["fallback"] is False
    assert "secret" not in json.dumps(events) and "secret" not in caplog.text


def test_chat_not_available_is_503(api_settings: Settings) -> None:
    def unavailable(settings: Settings) -> Any:
        raise ServiceUnavailable("the chat assistant is not installed in this build")

    with make_client(api_settings, chat_factory=unavailable) as client:
        assert_problem(client.post("/v1/threads", json={}, headers=ALICE), 503)


def test_a_thread_also_takes_the_chart_itself_as_the_body(client: TestClient) -> None:
    created = client.post("/v1/threads", json=CHART, headers=ALICE)
    assert created.status_code == 201
    events = read_events(client, created.json()["thread_id"], "which codes and why?", ALICE)
    message = events[-2]["data"]["content"]
    assert "no chart" not in message.lower() and "E11.22" in message
    assert_problem(client.post("/v1/threads", json={"text": ""}, headers=ALICE), 422)


def test_a_thread_on_an_existing_coding_records_decisions_there(client: TestClient) -> None:
    coded = client.post("/v1/code", json=CHART, headers=ALICE).json()
    audit_id = coded["meta"]["audit_id"]
    created = client.post("/v1/threads", json={"audit_id": audit_id}, headers=ALICE)
    assert created.status_code == 201, created.text
    events = read_events(client, created.json()["thread_id"], "accept", ALICE)
    assert events[-1]["data"]["audit_id"] == audit_id
    record = client.get(f"/v1/audit/{audit_id}", headers=ALICE).json()
    assert [d["decision"] for d in record["decisions"]] == ["accept"]
    assert_problem(client.post("/v1/threads", json={"audit_id": "0" * 32}, headers=ALICE), 404)
    assert_problem(client.post("/v1/threads", json={"audit_id": "not-an-id"}, headers=ALICE), 422)
