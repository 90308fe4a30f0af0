"""The chat graph: one turn per coder message, on a thread kept by the checkpointer.

    START -> (an LLM configured?) agent | router
    agent -> tools -> agent ... (at most MAX_TOOL_ROUNDS rounds) -> END
    agent -> router          when the LLM fails: an "error" event, then the deterministic answer
    router -> END

Nodes stream their output through LangGraph's custom stream (`stream_mode="custom"`): "token" events
with pieces of the answer and one "tool" event per tool call. Logs carry intents, tool names and
counts, never the chart or the coder's words.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Literal

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from agents.chat import events, llm
from agents.chat.context import ChatContext
from agents.chat.prompt import system_prompt
from agents.chat.router import answer_text, route
from agents.chat.state import ChatInput, ChatState
from agents.chat.tools import TOOLS, ThreadView, ToolOutput, run_tool
from knowledge.errors import ModelError
from knowledge.schema import Chart, CodingResult

log = logging.getLogger(__name__)

MAX_TOOL_ROUNDS = 5  # model turns that may call tools within one coder message
MAX_HISTORY = 40  # messages of earlier turns sent to the model (cut at a coder message)
MAX_TOOL_CHARS = 8000  # a tool result longer than this is cut before the model reads it
_BAD_JSON = "__unparsed_arguments__"


# -- routing --------------------------------------------------------------------------------------------
def choose_mode(state: ChatState, runtime: Runtime[ChatContext]) -> Literal["agent", "router"]:
    return "agent" if runtime.context.client is not None else "router"


# -- nodes ----------------------------------------------------------------------------------------------
def agent(state: ChatState, runtime: Runtime[ChatContext]) -> Command[Literal["tools", "router", "__end__"]]:
    """One model turn: tool calls go to `tools`; a final answer ends the turn; a failure falls back."""
    context = runtime.context
    write = get_stream_writer()
    messages = state.get("messages", [])
    final = _tool_rounds(messages) >= MAX_TOOL_ROUNDS
    view = thread_view(state, context)
    prompt = system_prompt(view.chart, view.result, context.settings.llm_token_budget)
    request = [{"role": "system", "content": prompt}, *to_openai(_window(messages))]
    schemas = [spec.schema() for spec in TOOLS.values()]
    try:
        completion = llm.complete(
            context.client, context.settings, request, schemas, lambda t: write(events.token(t)), final=final
        )
    except ModelError as exc:
        log.warning("chat llm failed, falling back to the router: %s", exc)
        write(
            events.error(
                f"The language model is unavailable ({exc}); the built-in assistant answers instead."
            )
        )
        return Command(goto="router")
    if completion.tool_calls and not final:
        calls = [{"id": c.id, "name": c.name, "args": _arguments(c.arguments)} for c in completion.tool_calls]
        log.info("chat llm round tools=%s", ",".join(c.name for c in completion.tool_calls))
        return Command(
            goto="tools", update={"messages": [AIMessage(content=completion.content, tool_calls=calls)]}
        )
    if not completion.content.strip():
        why = "kept calling tools" if completion.tool_calls else "gave an empty answer"
        write(events.error(f"The language model {why}; the built-in assistant answers instead."))
        return Command(goto="router")
    if not completion.streamed:
        _stream_text(completion.content, context)
    log.info("chat llm answered chars=%d", len(completion.content))
    answer = AIMessage(content=completion.content)
    return Command(goto="__end__", update={"messages": [answer], "mode": "llm"})


def tools(state: ChatState, runtime: Runtime[ChatContext]) -> dict[str, Any]:
    """Run the tool calls of the model's last turn; each result (or error) becomes a tool message."""
    write = get_stream_writer()
    view = thread_view(state, runtime.context)
    before = view.result
    last = state["messages"][-1]
    replies: list[AnyMessage] = []
    for call in getattr(last, "tool_calls", []):
        arguments = call.get("args") or {}
        if _BAD_JSON in arguments:
            output = ToolOutput(
                call["name"], {}, "The arguments were not valid JSON.", "bad arguments", ok=False
            )
        else:
            output = run_tool(call["name"], arguments, view)
        write(events.tool(output.name, output.arguments, output.summary, output.ok))
        replies.append(ToolMessage(content=tool_content(output), tool_call_id=call["id"], name=call["name"]))
    return {"messages": replies, **_result_update(view, before)}


def router(state: ChatState, runtime: Runtime[ChatContext]) -> dict[str, Any]:
    """The deterministic answer to the coder's last message: one intent, at most one tool."""
    write = get_stream_writer()
    view = thread_view(state, runtime.context)
    before = view.result
    intent = route(_last_question(state.get("messages", [])))
    outputs = []
    if intent.tool is not None:
        output = run_tool(intent.tool, intent.args, view)
        write(events.tool(output.name, output.arguments, output.summary, output.ok))
        outputs.append(output)
    text = answer_text(intent, outputs)
    _stream_text(text, runtime.context)
    log.info("chat router intent=%s tool=%s ok=%s", intent.name, intent.tool, all(o.ok for o in outputs))
    return {"messages": [AIMessage(content=text)], "mode": "router", **_result_update(view, before)}


# -- helpers --------------------------------------------------------------------------------------------
def thread_view(state: ChatState, context: ChatContext) -> ThreadView:
    chart = state.get("chart")
    result = state.get("result")
    return ThreadView(
        settings=context.settings,
        chart=Chart.model_validate(chart) if chart else None,
        result=CodingResult.model_validate(result) if result else None,
        reviewer=context.reviewer,
    )


def tool_content(output: ToolOutput) -> str:
    """What the model reads of a tool's output: its JSON data, or the error."""
    body = output.data if output.ok else {"error": output.text}
    text = json.dumps(body, ensure_ascii=False)
    return text if len(text) <= MAX_TOOL_CHARS else text[:MAX_TOOL_CHARS] + " ...(cut)"


def to_openai(messages: list[AnyMessage]) -> list[dict[str, Any]]:
    """Thread messages as OpenAI chat messages. A tool call left without its reply (a turn that broke
    off) and a reply without its call are left out: servers refuse either."""
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    asked: set[str] = set()
    converted: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, HumanMessage):
            converted.append({"role": "user", "content": _text(message)})
        elif isinstance(message, ToolMessage):
            if message.tool_call_id in asked:
                converted.append(
                    {"role": "tool", "tool_call_id": message.tool_call_id, "content": _text(message)}
                )
        elif isinstance(message, AIMessage):
            entry: dict[str, Any] = {"role": "assistant", "content": _text(message)}
            calls = [c for c in message.tool_calls if c["id"] in answered]
            if calls:
                entry["tool_calls"] = [
                    {
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": call["name"], "arguments": json.dumps(call["args"])},
                    }
                    for call in calls
                ]
                asked.update(str(call["id"]) for call in calls)
            elif not entry["content"]:
                continue
            converted.append(entry)
    return converted


def _window(messages: list[AnyMessage]) -> list[AnyMessage]:
    """The recent messages, starting at a coder message so no tool reply loses its call."""
    if len(messages) <= MAX_HISTORY:
        return messages
    recent = messages[-MAX_HISTORY:]
    first = next((i for i, m in enumerate(recent) if isinstance(m, HumanMessage)), len(recent) - 1)
    return recent[first:]


def _tool_rounds(messages: list[AnyMessage]) -> int:
    rounds = 0
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, AIMessage) and message.tool_calls:
            rounds += 1
    return rounds


def _last_question(messages: list[AnyMessage]) -> str:
    return next((_text(m) for m in reversed(messages) if isinstance(m, HumanMessage)), "")


def _text(message: AnyMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)


def _arguments(raw: str) -> dict[str, Any]:
    try:
        parsed = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {_BAD_JSON: raw[:2000]}
    return parsed if isinstance(parsed, dict) else {_BAD_JSON: raw[:2000]}


def _result_update(view: ThreadView, before: CodingResult | None) -> dict[str, Any]:
    if view.result is None or view.result is before:
        return {}
    return {"result": view.result.model_dump(mode="json"), "audit_id": view.audit_id}


def _stream_text(text: str, context: ChatContext) -> None:
    write = get_stream_writer()
    for piece in events.chunks(text):
        write(events.token(piece))
        if context.token_delay:
            time.sleep(context.token_delay)


# -- the graph ------------------------------------------------------------------------------------------
def build_graph(checkpointer: Any = None) -> Any:
    builder = StateGraph(ChatState, context_schema=ChatContext, input_schema=ChatInput)
    builder.add_node("agent", agent)
    builder.add_node("tools", tools)
    builder.add_node("router", router)

    builder.add_conditional_edges(START, choose_mode)
    builder.add_edge("tools", "agent")
    builder.add_edge("router", END)
    return builder.compile(checkpointer=checkpointer, name="chartproof-chat")


graph = build_graph()  # for LangGraph Studio, which brings its own checkpointer
