"""The LLM path against a real model: llama.cpp serving SmolLM2-135M over HTTP.

A 135M model codes badly, and that is not what is tested: the plumbing is. The call must finish
within its timeout, and whatever the model says must come out either as proposals whose codes are
all billable FY2026 codes with non-empty quotes, or as a ModelError (the graph's fallback signal).
"""

from __future__ import annotations

import pytest

from agents.llm import LLMProposer
from agents.state import Candidate, Mention, Proposal, Proposals, Quote
from knowledge.codeset import get_codeset
from knowledge.errors import ModelError
from knowledge.schema import Chart, Finding
from knowledge.settings import Settings
from prompts import load_prompt

pytestmark = pytest.mark.llm

CHART = Chart(
    id="smoke",
    text="Assessment: Essential hypertension. Type 2 diabetes mellitus without complications.",
    setting="outpatient",
    patient={"age": 61, "sex": "M"},
)


def _proposer(base_url: str) -> LLMProposer:
    # n_ctx is 4096: the prompt budget plus the answer bound must fit in it.
    settings = Settings(
        llm_base_url=base_url,
        llm_model="smollm2",
        llm_timeout=120.0,
        llm_max_retries=1,
        llm_token_budget=2500,
    )
    proposer = LLMProposer(settings)
    proposer.max_answer_tokens = 512  # keeps a looping 135M model to seconds on 2 cores
    return proposer


def _mentions() -> tuple[list[Mention], dict[int, list[Candidate]], dict[int, list[str]]]:
    phrases = ["Essential hypertension", "Type 2 diabetes mellitus without complications"]
    mentions = []
    for phrase in phrases:
        start = CHART.text.index(phrase)
        mentions.append(Mention(start=start, end=start + len(phrase), text=phrase, section="assessment"))
    candidates = {
        0: [Candidate(code="I10", description="Essential (primary) hypertension", score=0.9)],
        1: [Candidate(code="E11.9", description="Type 2 diabetes mellitus without complications", score=0.9)],
    }
    return mentions, candidates, {1: ["I.C.4.a.2"]}


def _assert_sound(result: Proposals, prompt: str) -> None:
    codeset = get_codeset()
    assert result.engine == "llm" and result.model == "smollm2"
    assert result.prompt_version == load_prompt(prompt).version
    for proposal in result.proposals:
        assert codeset.is_valid(proposal.code) and codeset.is_billable(proposal.code), proposal.code
        assert proposal.quotes and all(q.text.strip() for q in proposal.quotes)
        assert proposal.source == "llm" and proposal.evidence == []
    assert sum(p.principal for p in result.proposals) <= 1


def test_propose_completes_with_sound_output_or_model_error(llama_server: str) -> None:
    mentions, candidates, refs = _mentions()
    try:
        result = _proposer(llama_server).propose(CHART, mentions, candidates, refs)
    except ModelError as exc:  # unusable output, caught and reported: the graph would fall back
        assert str(exc)
        return
    _assert_sound(result, "propose_codes")
    assert result.tokens.get("prompt", 0) > 0


def test_revise_completes_with_sound_output_or_model_error(llama_server: str) -> None:
    current = [Proposal(code="E11.9", quotes=[Quote(text="Type 2 diabetes mellitus")])]
    finding = Finding(rule="principal", severity="error", message="No principal diagnosis is marked.")
    try:
        result = _proposer(llama_server).revise(CHART, current, [finding])
    except ModelError as exc:
        assert str(exc)
        return
    _assert_sound(result, "revise_codes")
