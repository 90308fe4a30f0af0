"""The LangGraph checkpointer factory on real databases: a graph pauses at interrupt(), a second
checkpointer on the same database sees the paused thread, and Command(resume=...) finishes it."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from agents.store.checkpointer import checkpointer, close_checkpointer, open_checkpointer
from knowledge.errors import StorageError
from knowledge.settings import Settings
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.integration

PG_URL = TEST_DATABASE_URL


class ReviewState(TypedDict, total=False):
    codes: list[str]
    decision: str
    final: list[str]


def propose(state: ReviewState) -> dict[str, Any]:
    return {"codes": ["E11.22", "N18.30", "I10"]}


def review(state: ReviewState) -> dict[str, Any]:
    answer = interrupt({"question": "accept these codes?", "codes": state["codes"]})
    return {"decision": answer["decision"], "final": [c for c in state["codes"] if c not in answer["drop"]]}


def build(saver: BaseCheckpointSaver) -> Any:
    builder = StateGraph(ReviewState)
    builder.add_node("propose", propose)
    builder.add_node("review", review)
    builder.add_edge(START, "propose")
    builder.add_edge("propose", "review")
    builder.add_edge("review", END)
    return builder.compile(checkpointer=saver)



@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Settings, str | None]:
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path), None
    return Settings(data_dir=tmp_path, database_url=PG_URL), request.getfixturevalue("pg_schema")


def test_interrupt_pause_persist_and_resume(target: tuple[Settings, str | None]) -> None:
    settings, schema = target
    config = {"configurable": {"thread_id": f"thread-{uuid.uuid4().hex}"}}

    first = open_checkpointer(settings, schema=schema)
    try:
        assert isinstance(first, SqliteSaver if settings.database_url is None else PostgresSaver)
        paused = build(first).invoke({}, config)
        assert paused["codes"] == ["E11.22", "N18.30", "I10"]
        [pending] = paused["__interrupt__"]
        assert pending.value == {"question": "accept these codes?", "codes": ["E11.22", "N18.30", "I10"]}

        # A second checkpointer (another replica, or a restart) sees the paused thread and resumes it.
        with checkpointer(settings, schema=schema) as second:
            graph = build(second)
            snapshot = graph.get_state(config)
            assert snapshot.next == ("review",)
            assert snapshot.interrupts[0].value["codes"] == ["E11.22", "N18.30", "I10"]
            done = graph.invoke(Command(resume={"decision": "edit", "drop": ["I10"]}), config)
            assert done["decision"] == "edit" and done["final"] == ["E11.22", "N18.30"]

        # ...and the first sees the finished thread.
        after = build(first).get_state(config)
        assert after.next == ()
        assert after.values == {
            "codes": ["E11.22", "N18.30", "I10"],
            "decision": "edit",
            "final": ["E11.22", "N18.30"],
        }
        other = build(first).get_state({"configurable": {"thread_id": "never-started"}})
        assert other.values == {} and other.next == ()
    finally:
        close_checkpointer(first)


def test_unreachable_or_unwritable_checkpoint_store(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError, match="cannot open the checkpoint store"):
        open_checkpointer(Settings(data_dir=blocker / "sub"))
    with pytest.raises(StorageError, match="PostgreSQL 127.0.0.1:1/x") as err:
        open_checkpointer(Settings(data_dir=tmp_path, database_url="postgresql://u:secret@127.0.0.1:1/x"))
    assert "secret" not in str(err.value)
