"""The chat agent with an LLM configured, over real HTTP: the openai client against the scripted
OpenAI-compatible server (tests/fakes/openai_server.py) and, for the streaming path, a small SSE server
in this file.

The shared fake answers every turn with assistant text only; `tool_turn()` here adds tool calls to a
scripted answer by wrapping its `_completion` (monkeypatched per test), so the exact request/response
shapes of a tool-calling model go over the wire.
"""

from __future__ import annotations

import json
import os
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import tests.fakes.openai_server as fake
from agents.chat import ChatEvent, ChatService
from agents.services import get_services
from knowledge.schema import Chart
from knowledge.settings import Settings
from tests.fakes.openai_server import FakeOpenAIServer, Reply

pytestmark = pytest.mark.integration

CHART = Chart(
    id="chat-llm-1",
    text=(
        "FOLLOW-UP VISIT\nA/P:\n1. Type 2 diabetes mellitus with diabetic chronic kidney disease, "
        "CKD stage 3b. eGFR 38.\n2. Essential hypertension, controlled on lisinopril.\n"
    ),
    setting="outpatient",
    patient={"age": 67, "sex": "F"},
)


@dataclass
class ToolTurn(Reply):
    """A scripted assistant turn that calls tools: [(name, arguments dict or raw JSON text), ...]."""

    calls: list[tuple[str, Any]] = field(default_factory=list)


def tool_turn(*calls: tuple[str, Any], content: str = "") -> ToolTurn:
    return ToolTurn(content=content, calls=list(calls))


@pytest.fixture(autouse=True)
def tool_calls_on_the_wire(monkeypatch: pytest.MonkeyPatch) -> None:
    original = fake._completion

    def completion(reply: Reply, request: dict[str, Any]) -> dict[str, Any]:
        body = original(reply, request)
        if isinstance(reply, ToolTurn) and reply.calls:
            choice = body["choices"][0]
            choice["finish_reason"] = "tool_calls"
            choice["message"]["content"] = reply.content or None
            choice["message"]["tool_calls"] = [
                {
                    "id": f"call_{n}",
                    "type": "function",
                    "function": {
                        "name": name,
                        "arguments": args if isinstance(args, str) else json.dumps(args),
                    },
                }
                for n, (name, args) in enumerate(reply.calls)
            ]
        return body

    monkeypatch.setattr(fake, "_completion", completion)


@pytest.fixture(scope="module")
def data_dir(built_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private data directory (its own audit and checkpoint databases) that reads the shared,
    already built indexes through a symlink: no rebuild, and no other test's records in sight."""
    path = tmp_path_factory.mktemp("chat-llm")
    os.symlink(built_settings.index_dir, path / "index")
    return path


def llm_settings(data_dir: Path, base_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "llm_base_url": base_url,
        "llm_model": "fake-model",
        "llm_timeout": 5.0,
    }
    return Settings(**(values | overrides))


@pytest.fixture()
def service(data_dir: Path, openai_server: FakeOpenAIServer) -> Iterator[ChatService]:
    with ChatService(llm_settings(data_dir, openai_server.base_url), token_delay=0) as svc:
        yield svc


def ask(service: ChatService, thread_id: str, content: str) -> list[ChatEvent]:
    return list(service.stream(thread_id, content))


def of(events: list[ChatEvent], kind: str) -> list[dict[str, Any]]:
    return [e.data for e in events if e.type == kind]


def answer(events: list[ChatEvent]) -> str:
    return "".join(d["text"] for d in of(events, "token"))


def test_tool_call_then_streamed_answer(service: ChatService, openai_server: FakeOpenAIServer) -> None:
    final = "The note says: CKD stage 3b (eGFR 38), linked to the type 2 diabetes."
    openai_server.enqueue(tool_turn(("search_chart", {"topic": "CKD stage"})), final)
    thread_id = service.create_thread(CHART)

    events = ask(service, thread_id, "what does the note say about the CKD stage?")

    assert [e.type for e in events][-2:] == ["message", "done"]
    tools = of(events, "tool")
    assert tools == [
        {
            "name": "search_chart",
            "arguments": {"topic": "CKD stage"},
            "summary": "1 sentence(s) about 'CKD stage'",
            "ok": True,
        }
    ]
    assert len(of(events, "token")) > 1 and answer(events) == final  # chunked, nothing lost
    message = of(events, "message")[0]
    assert message["content"] == final and message["mode"] == "llm"

    first, second = openai_server.requests
    assert {t["function"]["name"] for t in first["tools"]} >= {
        "code_chart",
        "explain_code",
        "record_decision",
    }
    assert first["messages"][0]["role"] == "system" and "CKD stage 3b" in first["messages"][0]["content"]
    assert first["messages"][-1] == {"role": "user", "content": "what does the note say about the CKD stage?"}
    call, reply = second["messages"][-2:]
    assert call["role"] == "assistant" and call["tool_calls"][0]["function"]["name"] == "search_chart"
    assert reply["role"] == "tool" and reply["tool_call_id"] == "call_0"
    sentence = json.loads(reply["content"])["sentences"][0]
    assert CHART.text[sentence["start"] : sentence["end"]] == sentence["text"]
    assert "CKD stage 3b" in sentence["text"]


def test_the_next_turn_sends_the_history(service: ChatService, openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue(tool_turn(("lookup_codes", {"phrase": "essential hypertension", "k": 3})), "I10.")
    openai_server.enqueue("You asked about hypertension; I10 is essential (primary) hypertension.")
    thread_id = service.create_thread(CHART)
    ask(service, thread_id, "code for essential hypertension?")
    events = ask(service, thread_id, "and what did I just ask?")

    assert of(events, "message")[0]["mode"] == "llm"
    roles = [m["role"] for m in openai_server.requests[-1]["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert service.get_thread(thread_id)["messages"] == [
        {"role": "user", "content": "code for essential hypertension?"},
        {"role": "assistant", "content": "I10."},
        {"role": "user", "content": "and what did I just ask?"},
        {
            "role": "assistant",
            "content": "You asked about hypertension; I10 is essential (primary) hypertension.",
        },
    ]


def test_tool_errors_become_messages_the_model_reads(
    service: ChatService, openai_server: FakeOpenAIServer
) -> None:
    openai_server.enqueue(
        tool_turn(
            ("explain_code", {"code": "Q99.99.9"}), ("no_such_tool", {}), ("lookup_codes", "{not json")
        ),
        "Those were not valid requests.",
    )
    thread_id = service.create_thread(CHART)
    events = ask(service, thread_id, "explain Q99.99.9")

    assert [t["ok"] for t in of(events, "tool")] == [False, False, False]
    assert of(events, "message")[0]["content"] == "Those were not valid requests."
    replies = [m for m in openai_server.requests[-1]["messages"] if m["role"] == "tool"]
    errors = [json.loads(m["content"])["error"] for m in replies]
    assert "not shaped like an ICD-10-CM code" in errors[0]
    assert "Unknown tool 'no_such_tool'" in errors[1]
    assert "not valid JSON" in errors[2]


def test_tool_rounds_are_bounded(service: ChatService, openai_server: FakeOpenAIServer) -> None:
    looping = tool_turn(("search_guidelines", {"query": "hypertension"}))
    openai_server.enqueue(*[looping] * 6)
    thread_id = service.create_thread(CHART)
    events = ask(service, thread_id, "what does the guideline say about hypertension?")

    assert len(openai_server.requests) == 6
    assert [r["tool_choice"] for r in openai_server.requests] == ["auto"] * 5 + ["none"]
    assert "kept calling tools" in of(events, "error")[0]["message"]
    message = of(events, "message")[0]
    assert message["mode"] == "router" and "I.C.9" in message["content"]


@pytest.mark.parametrize("failure", [Reply.error(503), Reply("{}", delay=3.0)], ids=["http-503", "timeout"])
def test_llm_failure_falls_back_to_the_router(
    data_dir: Path, openai_server: FakeOpenAIServer, failure: Reply
) -> None:
    openai_server.enqueue(failure)
    settings = llm_settings(data_dir, openai_server.base_url, llm_timeout=1.0)
    with ChatService(settings, token_delay=0) as service:
        thread_id = service.create_thread(CHART)
        events = ask(service, thread_id, "look up left hip fracture, initial encounter")

    assert events[0].type == "error" and events[0].data["fallback"] is True
    assert "language model" in events[0].data["message"]
    assert of(events, "tool")[0]["name"] == "lookup_codes"
    message = of(events, "message")[0]
    assert message["mode"] == "router" and "S72." in message["content"]
    assert answer(events) == message["content"]


def test_decisions_through_the_agent_code_the_chart_first(
    data_dir: Path, openai_server: FakeOpenAIServer
) -> None:
    """record_decision on an uncoded thread codes it (the coder's own LLM calls get a 503 here and it
    falls back to the offline engine), then records the edit in the audit store."""
    chat_turns = deque(
        [
            tool_turn(
                ("record_decision", {"decision": "edit", "remove": ["N18.32"], "note": "CKD coded elsewhere"})
            ),
            "Recorded the edit without N18.32.",
        ]
    )

    def dispatch(request: dict[str, Any]) -> Any:
        return chat_turns.popleft() if "tools" in request else Reply.error(503)

    openai_server.enqueue(*[dispatch] * 12)
    settings = llm_settings(data_dir, openai_server.base_url)
    with ChatService(settings, token_delay=0) as service:
        thread_id = service.create_thread(CHART)
        events = ask(service, thread_id, "accept all but N18.32")
        thread = service.get_thread(thread_id)

    tool = of(events, "tool")[0]
    assert tool["name"] == "record_decision" and tool["ok"], tool
    assert not chat_turns
    audit_id = thread["audit_id"]
    assert audit_id and of(events, "done")[0]["audit_id"] == audit_id
    record = get_services(settings).store().get(audit_id)
    proposed = [c["code"] for c in thread["result"]["codes"]]
    assert "N18.32" in proposed and record.result["meta"].get("fallback")
    (decision,) = record.decisions
    assert decision.decision == "edit" and decision.note == "CKD coded elsewhere"
    assert decision.codes == [c for c in proposed if c != "N18.32"] == record.final_codes


# -- a streaming server ------------------------------------------------------------------------------------
class SSEServer:
    """Answers each chat completion with a scripted list of chunk deltas as text/event-stream."""

    def __init__(self) -> None:
        self.turns: deque[list[dict[str, Any]]] = deque()
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                server.requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                deltas = server.turns.popleft()
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for delta in deltas:
                    chunk = {
                        "id": "chunk",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": "fake-model",
                        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/v1"

    def __enter__(self) -> SSEServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_streamed_tool_call_and_streamed_tokens(data_dir: Path) -> None:
    arguments = json.dumps({"phrase": "left hip fracture, initial encounter", "k": 2})
    call_deltas = [
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_s1",
                    "type": "function",
                    "function": {"name": "lookup_codes", "arguments": ""},
                }
            ],
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": arguments[:20]}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": arguments[20:]}}]},
    ]
    pieces = ["S72.002A ", "fits: ", "fracture of ", "the left femoral neck."]
    with SSEServer() as server:
        server.turns.extend([call_deltas, [{"role": "assistant", "content": p} for p in pieces]])
        with ChatService(llm_settings(data_dir, server.base_url), token_delay=0) as service:
            thread_id = service.create_thread(CHART)
            events = ask(service, thread_id, "look up left hip fracture initial")

    assert of(events, "tool")[0]["arguments"] == {"phrase": "left hip fracture, initial encounter", "k": 2}
    assert [d["text"] for d in of(events, "token")] == pieces  # the server's own tokens, as they came
    assert of(events, "message")[0]["content"] == "".join(pieces)
    assert server.requests[0]["stream"] is True
    tool_reply = server.requests[1]["messages"][-1]
    assert tool_reply["tool_call_id"] == "call_s1" and "S72.002A" in tool_reply["content"]
