"""The LLM path end to end over real HTTP: the openai client against a scripted OpenAI-compatible
server on loopback. No network, no model: each test scripts the exact turns it needs."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from agents.llm import LLMProposer, llm_configured
from agents.llm.tokens import count_messages, fit_to_budget
from agents.state import Candidate, Mention, Proposal, Quote
from knowledge.errors import ModelError
from knowledge.schema import Chart, Finding
from knowledge.settings import Settings
from tests.fakes.openai_server import FakeOpenAIServer, Reply

pytestmark = pytest.mark.integration
PROMPTS = Path(__file__).resolve().parents[2] / "prompts"

CHART = Chart(
    id="t1",
    text=(
        "Assessment: Type 2 diabetes mellitus with diabetic chronic kidney disease, CKD stage 3b. "
        "Essential hypertension, controlled. No chest pain. Note {braces} and $dollar stay as written."
    ),
    setting="outpatient",
    patient={"age": 67, "sex": "F"},
)
DM_QUOTE = "Type 2 diabetes mellitus with diabetic chronic kidney disease"


def mention(text: str, assertion: str = "affirmed") -> Mention:
    start = CHART.text.index(text)
    return Mention(start=start, end=start + len(text), text=text, assertion=assertion, section="assessment")


MENTIONS = [mention(DM_QUOTE), mention("Essential hypertension"), mention("chest pain", "negated")]
CANDIDATES = {
    0: [Candidate(code="E11.22", description="Type 2 diabetes mellitus with diabetic CKD", score=0.9)],
    1: [Candidate(code="I10", description="Essential (primary) hypertension", score=0.95)],
    2: [Candidate(code="R07.9", description="Chest pain, unspecified", score=0.6)],
}
REFS = {0: ["I.C.4.a.2"], 1: ["I.C.9.a.2"]}


def good_answer() -> dict:
    return {
        "codes": [
            {
                "code": "E11.22",
                "evidence": [DM_QUOTE],
                "rationale": "Diabetes with CKD is a combination code.",
                "guideline_refs": ["I.C.4.a", "X.9.9"],
                "principal": True,
            },
            {"code": "i10", "evidence": ["Essential hypertension", "  "], "principal": False},
        ]
    }


def settings_for(server: FakeOpenAIServer, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "llm_base_url": server.base_url,
        "llm_model": "fake-model",
        "llm_timeout": 5.0,
        "llm_max_retries": 2,
    }
    return Settings(**(values | overrides))


def propose(settings: Settings):
    return LLMProposer(settings).propose(CHART, MENTIONS, CANDIDATES, REFS)


def test_well_formed_answer_becomes_proposals(openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue(good_answer())
    result = propose(settings_for(openai_server))

    assert [p.code for p in result.proposals] == ["E11.22", "I10"]
    dm, htn = result.proposals
    assert dm.quotes == [Quote(text=DM_QUOTE)] and dm.principal and dm.source == "llm"
    assert dm.match == 0.75 and dm.evidence == []  # grounding happens in another node
    assert dm.guideline_refs == ["I.C.4.a"]  # a section that does not exist is dropped
    assert htn.quotes == [Quote(text="Essential hypertension")] and not htn.principal
    assert result.engine == "llm" and result.model == "fake-model"
    assert result.tokens["prompt"] > 0 and result.tokens["completion"] > 0

    request = openai_server.requests[0]
    assert request["temperature"] == 0 and request["response_format"] == {"type": "json_object"}
    assert request["model"] == "fake-model"


def test_prompt_carries_chart_candidates_and_guidelines(openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue(good_answer())
    propose(settings_for(openai_server))

    system, user = openai_server.requests[0]["messages"]
    assert system["role"] == "system" and "IV.H" in system["content"]
    assert CHART.text in user["content"]  # whole and verbatim, braces and dollar signs included
    for code in ("E11.22", "I10", "R07.9"):
        assert code in user["content"]
    assert "I.C.4.a.2" in user["content"] and "outpatient" in user["content"]


def test_fenced_json_with_prose_around_it(openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue(f"Here are the codes:\n```json\n{json.dumps(good_answer())}\n```\nDone.")
    result = propose(settings_for(openai_server))
    assert [p.code for p in result.proposals] == ["E11.22", "I10"]


def test_malformed_then_good_answer_retries_with_the_error(openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue('{"codes": [{"code": "E11.22"', good_answer())
    result = propose(settings_for(openai_server))

    assert [p.code for p in result.proposals] == ["E11.22", "I10"]
    assert len(openai_server.requests) == 2
    retry = openai_server.requests[1]["messages"]
    assert retry[-2] == {"role": "assistant", "content": '{"codes": [{"code": "E11.22"'}
    assert retry[-1]["role"] == "user" and "no valid JSON" in retry[-1]["content"]


def test_schema_invalid_answer_is_fed_back(openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue({"codes": [{"code": "E11.22", "evidence": []}]}, good_answer())
    propose(settings_for(openai_server))
    feedback = openai_server.requests[1]["messages"][-1]["content"]
    assert "codes.0.evidence" in feedback


@pytest.mark.parametrize("retries", [0, 2])
def test_always_malformed_raises_after_bounded_tries(openai_server: FakeOpenAIServer, retries: int) -> None:
    openai_server.enqueue(*["I think the patient has diabetes."] * 6)
    with pytest.raises(ModelError, match=f"no valid answer in {1 + retries} tries"):
        propose(settings_for(openai_server, llm_max_retries=retries))
    assert len(openai_server.requests) == 1 + retries


def test_hallucinated_and_non_billable_codes_are_dropped(openai_server: FakeOpenAIServer) -> None:
    answer = good_answer()
    answer["codes"] += [
        {"code": "E11.99", "evidence": [DM_QUOTE]},  # well shaped, not in the code set
        {"code": "XYZ", "evidence": [DM_QUOTE]},  # not shaped like a code
        {"code": "E11", "evidence": [DM_QUOTE]},  # a category, not billable
        {"code": "E1122", "evidence": ["CKD stage 3b"]},  # a duplicate: its quote is merged
    ]
    openai_server.enqueue(answer)
    result = propose(settings_for(openai_server))
    assert [p.code for p in result.proposals] == ["E11.22", "I10"]
    assert [q.text for q in result.proposals[0].quotes] == [DM_QUOTE, "CKD stage 3b"]


def test_timeout_raises_model_error(openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue(Reply(json.dumps(good_answer()), delay=3.0))
    started = time.monotonic()
    with pytest.raises(ModelError, match="did not answer within 0.5 s"):
        propose(settings_for(openai_server, llm_timeout=0.5))
    assert time.monotonic() - started < 2.5  # no hidden client retries
    assert len(openai_server.requests) == 1


def test_server_error_and_unreachable_server_raise_model_error(openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue(Reply.error(503, "overloaded"))
    with pytest.raises(ModelError, match="HTTP 503"):
        propose(settings_for(openai_server))
    closed = Settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="m", llm_timeout=1.0)
    with pytest.raises(ModelError, match="cannot reach"):
        propose(closed)


def test_response_format_rejected_retries_once_without_it(openai_server: FakeOpenAIServer) -> None:
    def no_json_mode(request: dict) -> object:
        if "response_format" in request:
            return Reply.error(400, "response_format is not supported")
        return good_answer()

    openai_server.enqueue(no_json_mode, no_json_mode, no_json_mode)
    proposer = LLMProposer(settings_for(openai_server))
    result = proposer.propose(CHART, MENTIONS, CANDIDATES, REFS)
    assert [p.code for p in result.proposals] == ["E11.22", "I10"]
    assert ["response_format" in r for r in openai_server.requests] == [True, False]
    proposer.propose(CHART, MENTIONS, CANDIDATES, REFS)  # remembered: no second rejected call
    assert ["response_format" in r for r in openai_server.requests] == [True, False, False]


def test_prompt_version_is_the_hash_of_the_file(openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue(good_answer(), good_answer())
    first = propose(settings_for(openai_server))
    second = propose(settings_for(openai_server))
    expected = hashlib.sha256((PROMPTS / "propose_codes.md").read_bytes()).hexdigest()[:12]
    assert first.prompt_version == second.prompt_version == expected


def test_revise_sends_codes_and_findings(openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue({"codes": [{"code": "E11.22", "evidence": [DM_QUOTE], "principal": True}]})
    current = [
        Proposal(code="E11.9", quotes=[Quote(text="Type 2 diabetes mellitus")], principal=True),
        Proposal(code="N18.9", quotes=[Quote(text="chronic kidney disease")]),
    ]
    finding = Finding(
        rule="combination_code", severity="error", message="Use E11.22 for diabetes with CKD.",
        codes=["E11.9", "N18.9"], guideline_ref="I.C.4.a.2",
    )  # fmt: skip
    result = LLMProposer(settings_for(openai_server)).revise(CHART, current, [finding])

    assert [p.code for p in result.proposals] == ["E11.22"]
    expected = hashlib.sha256((PROMPTS / "revise_codes.md").read_bytes()).hexdigest()[:12]
    assert result.prompt_version == expected
    user = openai_server.requests[0]["messages"][-1]["content"]
    assert "E11.9" in user and "N18.9" in user and "combination_code" in user and CHART.text in user


def test_token_budget_trims_lists_before_the_chart(openai_server: FakeOpenAIServer) -> None:
    many = {0: [Candidate(code=f"E11.{i}", description="filler " * 30, score=0.5) for i in range(40)]}
    openai_server.enqueue(good_answer())
    propose_settings = settings_for(openai_server, llm_token_budget=1200)
    LLMProposer(propose_settings).propose(CHART, MENTIONS, many | {1: CANDIDATES[1]}, REFS)

    messages = openai_server.requests[0]["messages"]
    assert count_messages(messages) <= 1200
    assert CHART.text in messages[-1]["content"]


def test_fit_to_budget_drops_guidelines_then_candidates() -> None:
    def render(cands, guides):
        return [{"role": "user", "content": "CHART\n" + "\n".join([*cands, "--", *guides])}]

    cands = [f"candidate line {i} " + "word " * 20 for i in range(10)]
    guides = [f"guideline line {i} " + "word " * 20 for i in range(10)]
    full = count_messages(render(cands, guides))
    assert fit_to_budget(render, cands, guides, full).kept_guidelines == 10

    fitted = fit_to_budget(render, cands, guides, full - 30)
    assert fitted.kept_candidates == 10 and 0 < fitted.kept_guidelines < 10
    assert fitted.tokens <= full - 30

    only_half = count_messages(render(cands[:5], ()))
    fitted = fit_to_budget(render, cands, guides, only_half)
    assert (fitted.kept_candidates, fitted.kept_guidelines) == (5, 0)


def test_chart_over_budget_raises_before_any_request(openai_server: FakeOpenAIServer) -> None:
    long_chart = CHART.model_copy(update={"text": "Hypertension follow-up. " * 600})
    with pytest.raises(ModelError, match="too long for the LLM token budget"):
        LLMProposer(settings_for(openai_server, llm_token_budget=1000)).propose(long_chart, [], {}, {})
    assert openai_server.requests == []


def test_llm_configured_and_unconfigured_proposer() -> None:
    assert not llm_configured(Settings(llm_base_url=None, llm_model=None))
    assert llm_configured(Settings(llm_base_url="http://127.0.0.1:1/v1", llm_model="m"))
    with pytest.raises(ModelError, match="no LLM is configured"):
        LLMProposer(Settings(llm_base_url=None, llm_model=None)).propose(CHART, [], {}, {})
