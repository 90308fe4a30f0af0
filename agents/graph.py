"""The coding graph: prepare -> extract -> propose -> ground -> check -> (revise -> ground -> check,
bounded) -> score -> (review, interactive runs only) -> finalize."""

from __future__ import annotations

from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from agents.context import RunContext
from agents.nodes.check import check
from agents.nodes.extract import extract
from agents.nodes.finalize import finalize
from agents.nodes.ground import ground
from agents.nodes.prepare import prepare
from agents.nodes.propose import propose
from agents.nodes.review import review
from agents.nodes.revise import revise
from agents.nodes.score import score
from agents.state import CodingState, InputState

# Findings the revise step can act on; anything else is left for the coder.
REPAIRABLE = frozenset(
    {
        "combination_code",
        "symptom_integral",
        "duplicate",
        "excludes1",
        "uncertain_outpatient",
        "sequencing",
        "manifestation",
        "code_first",
    }
)


def after_check(state: CodingState, runtime: Runtime[RunContext]) -> Literal["revise", "score"]:
    limit = runtime.context.max_revisions if runtime.context else 2
    repairable = [f for f in state.get("findings", []) if f.rule in REPAIRABLE and f.severity != "info"]
    if repairable and state.get("revisions", 0) < limit:
        return "revise"
    return "score"


def after_score(state: CodingState, runtime: Runtime[RunContext]) -> Literal["review", "finalize"]:
    interactive = runtime.context.interactive if runtime.context else False
    return "review" if interactive and state["review"].required else "finalize"


def build_graph(checkpointer: Any = None) -> Any:
    builder = StateGraph(CodingState, context_schema=RunContext, input_schema=InputState)
    builder.add_node("prepare", prepare)
    builder.add_node("extract", extract)
    builder.add_node("propose", propose)
    builder.add_node("ground", ground)
    builder.add_node("check", check)
    builder.add_node("revise", revise)
    builder.add_node("score", score)
    builder.add_node("review", review)
    builder.add_node("finalize", finalize)

    builder.add_edge(START, "prepare")
    builder.add_edge("prepare", "extract")
    builder.add_edge("extract", "propose")
    builder.add_edge("propose", "ground")
    builder.add_edge("ground", "check")
    builder.add_conditional_edges("check", after_check)
    builder.add_edge("revise", "ground")
    builder.add_conditional_edges("score", after_score)
    builder.add_edge("review", "finalize")
    builder.add_edge("finalize", END)
    return builder.compile(checkpointer=checkpointer, name="chartproof-coder")


graph = build_graph()
