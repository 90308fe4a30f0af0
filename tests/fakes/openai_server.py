"""A scriptable OpenAI-compatible server on loopback, so the real openai client, its HTTP stack,
timeouts and our JSON parsing are exercised without a network (the simonw/llm `.enqueue()` idea at
the HTTP layer).

    server.enqueue({"codes": [...]})           # a JSON answer (a dict is sent as its JSON text)
    server.enqueue("not json")                 # any assistant text, verbatim
    server.enqueue(Reply.error(503))           # an HTTP error status
    server.enqueue(Reply("{}", delay=2.0))     # an answer slower than the client's timeout
    server.enqueue(lambda request: ...)        # decide from the request body; return any of the above

Each POST to /v1/chat/completions takes the next scripted turn; with none left it answers 500, so a
test that asks more than it scripted fails loudly. `requests` records every request body received.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "fake-model"


@dataclass
class Reply:
    """One scripted HTTP answer: assistant `content`, or an error `status` with `message`."""

    content: str = ""
    status: int = 200
    message: str = ""
    delay: float = 0.0
    usage: dict[str, int] | None = None

    @classmethod
    def error(cls, status: int, message: str = "scripted error") -> Reply:
        return cls(status=status, message=message)


Turn = str | dict[str, Any] | list[Any] | Reply | Callable[[dict[str, Any]], Any]


def _as_reply(turn: Any, request: dict[str, Any]) -> Reply:
    if callable(turn) and not isinstance(turn, Reply):
        turn = turn(request)
    if isinstance(turn, Reply):
        return turn
    if isinstance(turn, dict | list):
        return Reply(json.dumps(turn))
    return Reply(str(turn))


class FakeOpenAIServer:
    def __init__(self) -> None:
        self._turns: deque[Turn] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[dict[str, Any]] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))  # 0: a free port
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._serve, name="fake-openai", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}/v1"

    def enqueue(self, *turns: Turn) -> FakeOpenAIServer:
        with self._lock:
            self._turns.extend(turns)
        return self

    @property
    def pending(self) -> int:
        return len(self._turns)

    def _serve(self) -> None:
        self._httpd.serve_forever(poll_interval=0.02)  # a short poll keeps stop() (teardown) fast

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping out a scripted delay
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_reply(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(request)
            turn = self._turns.popleft() if self._turns else None
        if turn is None:
            return Reply.error(500, "the fake server has no scripted turn left")
        return _as_reply(turn, request)


def _completion(reply: Reply, request: dict[str, Any]) -> dict[str, Any]:
    prompt = sum(len(str(m.get("content", ""))) for m in request.get("messages", [])) // 4
    usage = reply.usage or {"prompt_tokens": prompt, "completion_tokens": len(reply.content) // 4}
    usage = {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]}
    return {
        "id": f"chatcmpl-fake-{len(request)}",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", MODEL),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
    }


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})
            else:
                self._send(404, {"error": {"message": "not found", "type": "not_found"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, {"error": {"message": "not found", "type": "not_found"}})
                return
            try:
                request = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._send(400, {"error": {"message": "body is not JSON", "type": "invalid_request_error"}})
                return
            reply = server._next_reply(request)
            if reply.delay and server._stopping.wait(reply.delay):
                return
            if reply.status != 200:
                error = {"message": reply.message, "type": "invalid_request_error", "code": None}
                self._send(reply.status, {"error": error})
            else:
                self._send(200, _completion(reply, request))

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                pass

    return Handler
