"""The LLM proposer: the chart, its mentions and candidate codes in; validated code proposals out.

Same contract as the offline engine (`propose`, `revise` -> Proposals). Every answer is parsed into
a pydantic model and retried a bounded number of times with the validation error sent back to the
model. Codes that are not billable ICD-10-CM FY2026 codes are dropped here, so a hallucinated code
never leaves this module; quotes are passed on as text for the ground node to locate in the chart.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import openai

from agents.llm.answer import AnswerError, LLMAnswer, parse_answer
from agents.llm.provider import make_client
from agents.llm.tokens import Messages, check_budget, fit_to_budget
from agents.state import Candidate, Mention, Proposal, Proposals, Quote
from knowledge.codeset import get_codeset, normalize_code
from knowledge.errors import InputError, ModelError
from knowledge.guidelines import guideline_index
from knowledge.schema import Chart, Finding
from knowledge.settings import Settings
from prompts import Prompt, load_prompt

log = logging.getLogger(__name__)

LLM_MATCH = 0.75  # how well an LLM's words fit its code, before grounding and checks say more
_ECHO_LIMIT = 1000  # characters of a bad answer sent back to the model with the error
_NONE = "(none)"


class LLMProposer:
    """Proposes and revises codes with an OpenAI-compatible chat model.

    Raises ModelError (never anything else from the LLM side) when the graph should fall back to
    the offline engine: no LLM configured, the server unreachable, slower than `llm_timeout`, an
    HTTP error, a chart too long for `llm_token_budget`, or no valid answer after
    1 + `llm_max_retries` tries. The message is short and readable; the graph puts it in meta.
    """

    name = "llm"
    # Bounds a model that loops (small models under a JSON grammar can emit whitespace until the
    # context is full); a full code set with quotes fits well within it.
    max_answer_tokens = 2048

    def __init__(self, settings: Settings, client: openai.OpenAI | None = None) -> None:
        self.settings = settings
        self._client = client
        self._json_mode = True  # dropped for good once a server rejects response_format

    @property
    def client(self) -> openai.OpenAI:
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    def propose(
        self,
        chart: Chart,
        mentions: list[Mention],
        candidates: dict[int, list[Candidate]],
        guideline_refs: dict[int, list[str]],
    ) -> Proposals:
        prompt = load_prompt("propose_codes")
        order = _mention_order(mentions)

        def render(cands: Sequence[str], guides: Sequence[str]) -> Messages:
            return prompt.messages(
                **_chart_values(chart), candidates=_block(cands), guidelines=_block(guides)
            )

        fitted = fit_to_budget(
            render,
            _candidate_lines(mentions, candidates, order),
            _guideline_lines(guideline_refs, order),
            self.settings.llm_token_budget,
        )
        return self._ask(prompt, fitted.messages)

    def revise(self, chart: Chart, proposals: list[Proposal], findings: list[Finding]) -> Proposals:
        prompt = load_prompt("revise_codes")
        messages = prompt.messages(
            **_chart_values(chart),
            codes=_block([_code_line(p) for p in proposals]),
            findings=_block([_finding_line(f) for f in findings]),
        )
        check_budget(messages, self.settings.llm_token_budget)
        return self._ask(prompt, messages)

    def _ask(self, prompt: Prompt, messages: Messages) -> Proposals:
        """Ask, validate, and on an unusable answer ask again with the error, a bounded number of
        times (the open_deep_research pattern: the model reads its mistake and fixes it)."""
        conversation = list(messages)
        usage: dict[str, int] = {}
        tries = 1 + self.settings.llm_max_retries
        for _ in range(tries):
            response = self._complete(conversation)
            _add_usage(usage, response)
            text = response.choices[0].message.content if response.choices else None
            try:
                answer = parse_answer(text)
            except AnswerError as exc:
                log.info("llm answer rejected (%s): %s", prompt.name, str(exc)[:200])
                conversation += _feedback(text, exc)
                continue
            return self._proposals(answer, prompt, usage)
        raise ModelError(f"the LLM gave no valid answer in {tries} tries")

    def _complete(self, messages: Messages) -> Any:
        request: dict[str, Any] = {
            "model": self.settings.llm_model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self.max_answer_tokens,
        }
        if self._json_mode:
            try:
                return self._call({**request, "response_format": {"type": "json_object"}})
            except openai.BadRequestError:
                log.info("llm server refused a JSON-mode request; asking without response_format")
                response = self._call(request)
                self._json_mode = False  # only now is response_format known to be the problem
                return response
        return self._call(request)

    def _call(self, request: dict[str, Any]) -> Any:
        """One HTTP call; transport and server failures become user-readable ModelErrors. A 400 is
        re-raised as is, so `_complete` can retry it without response_format."""
        try:
            return self.client.chat.completions.create(**request)
        except openai.BadRequestError as exc:
            if "response_format" in request:
                raise
            raise ModelError(f"the LLM server refused the request (HTTP {exc.status_code})") from exc
        except openai.APITimeoutError as exc:
            raise ModelError(f"the LLM did not answer within {self.settings.llm_timeout:g} s") from exc
        except openai.APIConnectionError as exc:
            raise ModelError(f"cannot reach the LLM server at {self.settings.llm_base_url}") from exc
        except openai.APIStatusError as exc:
            raise ModelError(f"the LLM server answered HTTP {exc.status_code}") from exc
        except openai.OpenAIError as exc:
            raise ModelError(f"the LLM call failed: {type(exc).__name__}") from exc

    def _proposals(self, answer: LLMAnswer, prompt: Prompt, usage: dict[str, int]) -> Proposals:
        return Proposals(
            proposals=_to_proposals(answer),
            engine=self.name,
            model=self.settings.llm_model,
            prompt_version=prompt.version,
            tokens=usage,
        )


def _to_proposals(answer: LLMAnswer) -> list[Proposal]:
    """Billable codes only, each once (quotes merged), with at most one principal."""
    codeset = get_codeset()
    known_refs = _known_guideline_refs()
    by_code: dict[str, Proposal] = {}
    for item in answer.codes:
        try:
            code = normalize_code(item.code)
        except InputError:
            code = ""
        if not codeset.is_billable(code):
            log.info("llm code dropped: %r is not a billable ICD-10-CM code", item.code[:20])
            continue
        quotes = [Quote(text=q.strip()) for q in item.evidence if q.strip()]
        refs = [r.strip() for r in item.guideline_refs if r.strip() in known_refs]
        if code in by_code:
            _merge(by_code[code], quotes, refs, item.principal)
            continue
        by_code[code] = Proposal(
            code=code,
            quotes=quotes,
            rationale=item.rationale.strip(),
            guideline_refs=refs,
            match=LLM_MATCH,
            source="llm",
            principal=item.principal,
        )
    proposals = list(by_code.values())
    principal = next((p for p in proposals if p.principal), None)
    for proposal in proposals:
        proposal.principal = proposal is principal
    return proposals


def _merge(proposal: Proposal, quotes: list[Quote], refs: list[str], principal: bool) -> None:
    seen = {q.text for q in proposal.quotes}
    proposal.quotes += [q for q in quotes if q.text not in seen]
    proposal.guideline_refs += [r for r in refs if r not in proposal.guideline_refs]
    proposal.principal = proposal.principal or principal


def _known_guideline_refs() -> set[str]:
    """Guideline ids and the sections above them ("I.C.4.a" for "I.C.4.a.2"): a model may cite a
    section at any level, but never one that does not exist."""
    known: set[str] = set()
    for rule_id in guideline_index():
        parts = rule_id.split("-")[0].split(".")
        known.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
        known.add(rule_id)
    return known


def _feedback(text: str | None, error: AnswerError) -> Messages:
    echo = (text or "")[:_ECHO_LIMIT]
    return [
        {"role": "assistant", "content": echo},
        {
            "role": "user",
            "content": f"Your answer could not be used. {error} "
            'Answer again with only one JSON object of the form {"codes": [...]} as instructed.',
        },
    ]


def _add_usage(total: dict[str, int], response: Any) -> None:
    usage = getattr(response, "usage", None)
    if usage is None:
        return
    total["prompt"] = total.get("prompt", 0) + (usage.prompt_tokens or 0)
    total["completion"] = total.get("completion", 0) + (usage.completion_tokens or 0)


def _chart_values(chart: Chart) -> dict[str, str]:
    setting = f"{chart.setting} ({chart.specialty})" if chart.specialty else chart.setting
    facts = []
    if chart.patient.age is not None:
        facts.append(f"age {chart.patient.age}")
    if chart.patient.sex:
        facts.append(f"sex {chart.patient.sex}")
    return {"setting": setting, "patient": ", ".join(facts) or "not stated", "chart": chart.text}


def _block(lines: Sequence[str]) -> str:
    return "\n".join(lines) if lines else _NONE


def _mention_order(mentions: list[Mention]) -> list[int]:
    """Affirmed mentions first, then the rest, each in chart order: trimming drops from the end."""

    def key(i: int) -> tuple[bool, int]:
        return mentions[i].assertion != "affirmed", mentions[i].start

    return sorted(range(len(mentions)), key=key)


def _candidate_lines(
    mentions: list[Mention], candidates: dict[int, list[Candidate]], order: list[int]
) -> list[str]:
    lines = []
    for i in order:
        mention = mentions[i]
        codes = "; ".join(f"{c.code}: {c.description}" for c in candidates.get(i, [])) or "no candidates"
        lines.append(f'- "{mention.text}" ({mention.assertion}, {mention.section}): {codes}')
    return lines


def _guideline_lines(guideline_refs: dict[int, list[str]], order: list[int]) -> list[str]:
    index = guideline_index()
    keys = [*order, *(i for i in sorted(guideline_refs) if i not in order)]
    refs = dict.fromkeys(ref for i in keys for ref in guideline_refs.get(i, []))
    lines = []
    for ref in refs:
        rule = index.get(ref)
        lines.append(f"- {ref} {rule.title}: {rule.rule}" if rule else f"- {ref}")
    return lines


def _code_line(proposal: Proposal) -> str:
    title = get_codeset().title(proposal.code)
    quotes = [q.text for q in proposal.quotes] or [e.text for e in proposal.evidence]
    evidence = "; ".join(f'"{q}"' for q in quotes) or "no evidence"
    principal = " [principal]" if proposal.principal else ""
    return f"- {proposal.code} {title}{principal}: {evidence}"


def _finding_line(finding: Finding) -> str:
    codes = f" (codes: {', '.join(finding.codes)})" if finding.codes else ""
    ref = f" [guideline {finding.guideline_ref}]" if finding.guideline_ref else ""
    return f"- {finding.severity} {finding.rule}: {finding.message}{codes}{ref}"
