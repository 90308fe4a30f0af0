"""The offline engine: statements of the note -> codes, deterministic, no network.

1. Each affirmed statement of a diagnosis section (assessment, impression, diagnoses; the whole note
   when it has none) is looked up in the hybrid code index; a statement whose parts name separate
   conditions is coded part by part. Elsewhere (history, HPI, course) only chronic conditions that
   are coded whenever present are taken.
2. Family-history statements look up Z80-Z84, history-of statements Z85-Z87 / Z9x status codes.
3. Uncertain diagnoses are coded as established for inpatients (II.H, III.C) and left out for
   outpatient and emergency visits, whose symptoms are coded instead (IV.H).
4. Supplements: long-term drugs (Z79), tobacco, BMI with a weight diagnosis, weeks of gestation.
5. Repairs after the rule tool (combination codes, integral symptoms, duplicates) live in repairs.py.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from agents.engine import supplements
from agents.engine.diabetes import with_control_status, with_documented_type
from agents.engine.matcher import ACCEPT, Match, Matcher, clinical_words, is_qualifier
from agents.engine.statements import comma_parts, joined_parts
from agents.state import Mention, Proposal, Proposals, Quote, Section
from knowledge.codeset import CodeSet, get_codeset
from knowledge.guidelines import rules_for_code
from knowledge.schema import Chart
from knowledge.search import CodeSearch
from knowledge.text import words as words_of

ENGINE = "offline"
DIAGNOSIS_SECTIONS = frozenset({"assessment"})
NO_ASSESSMENT_SECTIONS = frozenset({"assessment", "course", "hpi", "other", "exam", "plan", "pmh"})
SKIP_SECTIONS = frozenset({"allergies", "ros", "meds", "results", "psh"})
_LAB_VALUE = re.compile(
    r"^[A-Za-z][A-Za-z0-9/ -]{0,12}\s*[:=]?\s*[<>]?\s*\d+(?:\.\d+)?\s*(?:%|mg/dl|mmol/l)?\s*$", re.IGNORECASE
)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'/+-]*")
_RELATIVE = re.compile(
    r"\b(?:mother|mom|father|dad|parents?|brother|sister|siblings?|son|daughter|children|aunt|uncle|"
    r"cousin|grand\w+|family|fh|fhx|maternal|paternal)\b",
    re.IGNORECASE,
)
# "My impression is ...", "The diagnosis is ...": a diagnosis statement wherever it is written.
_STATES_DIAGNOSIS = re.compile(
    r"(?:(?:my|our|the|final|working|clinical)\s+)?(?:impression|assessment|diagnosis|dx)\s+(?:is|was|of)\b",
    re.IGNORECASE,
)
_PRESENT = re.compile(
    r"\b(?:current(?:ly)?|active(?:ly)?|ongoing|still|now|new|stage \d|today)\b", re.IGNORECASE
)
_METASTATIC = re.compile(r"\bmetasta\w*|\bmets\b|\bsecondary (?:to|malignan)", re.IGNORECASE)
_CONNECTORS = frozenset({"of", "with", "without", "in", "due", "to", "w/", "w/o", "and", "the", "at", "on"})


_ORGANISM = re.compile(
    r"\b(?:E\.?\s?coli|MRSA|MSSA|VRE|ESBL(?:[- ]producing)?(?: E\.?\s?coli)?|pseudomonas|klebsiella|"
    r"enterococc\w*|strep(?:tococc\w*)?(?: pneumoniae| pyogenes)?|GBS|GAS|staph(?:ylococc\w*)?(?: aureus)?|"
    r"H\.?\s?pylori|C\.?\s?diff(?:icile)?|proteus|serratia|enterobacter|candida|RSV|influenza [AB]|"
    r"COVID(?:-19)?|norovirus|rotavirus|adenovirus|mycoplasma)\b",
    re.IGNORECASE,
)


def _organism_split(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """ "E. coli UTI", "MRSA cellulitis L leg": the organism and the infection, as two pieces (the
    organism becomes a B95-B97 code beside a localized infection, or joins a combination code)."""
    found = _ORGANISM.search(text, start, end)
    if found is None:
        return []
    before = (start, found.start()) if found.start() - start > 2 else None
    after = (found.end(), end) if end - found.end() > 2 else None
    rest = [span for span in (before, after) if span and clinical_words(text[span[0] : span[1]])]
    if not rest:
        return []
    return [
        (found.start(), found.end()),
        *[(a + len(text[a:b]) - len(text[a:b].lstrip()), b) for a, b in rest],
    ]


def _clinical_runs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Maximal runs of condition words. Connectors (of, with, due to) and short tokens ("vitamin D",
    "type 2", "stage 3b") may sit inside a run; short tokens may also close it ("hepatitis B")."""
    runs: list[tuple[int, int]] = []
    run_start: int | None = None
    run_end: int | None = None
    for token in _WORD.finditer(text, start, end):
        word = token.group().lower()
        short = len(word) <= 2 or word.isdigit() or bool(re.fullmatch(r"\d+[a-z]", word))
        if clinical_words(word) and not short:
            run_start = token.start() if run_start is None else run_start
            run_end = token.end()
        elif run_start is not None and short and run_end is not None and token.start() - run_end <= 1:
            run_end = token.end()  # "vitamin D", "hepatitis B", "CKD 3b": part of the name
        elif run_start is not None and (word in _CONNECTORS or short):
            continue
        else:
            if run_start is not None and run_end is not None:
                runs.append((run_start, run_end))
            run_start = run_end = None
    if run_start is not None and run_end is not None:
        runs.append((run_start, run_end))
    return runs


FAMILY = "Z80-Z84"
HISTORY = "Z85-Z87,Z89-Z99"


@lru_cache(maxsize=1)
def _family_table() -> tuple[tuple[str, str], ...]:
    text = resources.files("agents.data").joinpath("family_history.tsv").read_text(encoding="utf-8")
    return tuple(
        (r["condition"], r["family_code"]) for r in csv.DictReader(text.splitlines(), delimiter="\t")
    )


def family_code(condition: str) -> str | None:
    """The Z80-Z84 family-history code for a condition code (first matching row wins)."""
    codeset = get_codeset()
    if condition.startswith(("Z80", "Z81", "Z82", "Z83", "Z84")):
        return condition
    found = next((z for spec, z in _family_table() if codeset.in_range(condition, spec)), None)
    return None if found == "none" else found  # "none": an acute illness of a relative


@lru_cache(maxsize=1)
def chronic_patterns() -> tuple[str, ...]:
    text = resources.files("agents.data").joinpath("chronic_conditions.tsv").read_text(encoding="utf-8")
    return tuple(row["pattern"] for row in csv.DictReader(text.splitlines(), delimiter="\t"))


@dataclass
class _Pick:
    match: Match
    mention: Mention
    span: tuple[int, int]
    why: str
    refs: tuple[str, ...]
    assertion: str = "affirmed"


_PREGNANCY = re.compile(
    r"pregnan|gestation|\bG\d+\s*P\d|\bIUP\b|trimester|postpartum|\blabor\b|deliver|"
    r"prenatal|antepartum|\d+\s*w(?:ee)?ks?\s*\d*\s*d?\b.*gestation|\b\d{1,2}w\d?d?\b|\bEDD\b|"
    r"\bLMP\b|\bOB\b",
    re.IGNORECASE,
)
_NEWBORN = re.compile(
    r"newborn|neonat|\bNICU\b|born at|birth weight|\bday of life\b|\bDOL\b|infant", re.IGNORECASE
)
_DRUG_EVENT = re.compile(
    r"overdos|poison|toxic|adverse|underdos|ingest|side effect|induced|reaction to|"
    r"took (?:extra|too)|intentional|accidental|missed doses|ran out|not taking|"
    r"non-?adheren|noncomplian|skipp",
    re.IGNORECASE,
)
_CANCER = re.compile(
    r"cancer|carcinoma|malignan|neoplasm|tumou?r|lymphoma|leukemia|melanoma|metasta|sarcoma|"
    r"myeloma|\bCA\b|adenocarcinoma|\bmets?\b|glioma|blastoma|\bCLL\b|\bAML\b|\bCML\b|"
    r"\bALL\b|\bDLBCL\b|\bNHL\b|\bIDC\b|\bDCIS\b|\bSCC\b|\bBCC\b|\bNSCLC\b|\bSCLC\b|"
    r"\bHCC\b|\bRCC\b|hodgkin|seminoma|mesothelioma",
    re.IGNORECASE,
)
_INJURY = re.compile(
    r"fractur|\bfx\b|sprain|strain|lacerat|contusion|injur|dislocat|tear|wound|burn|abrasion|"
    r"bite|trauma|fall|fell|crush|puncture|avulsion|concussion|hematoma|bruis|foreign body|"
    r"amputat|subluxation|whiplash|\bMVC\b|\bMVA\b|struck|hit|twist|rolled|sequela",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ChartFacts:
    pregnant: bool
    newborn: bool

    @classmethod
    def of(cls, chart: Chart) -> ChartFacts:
        text = chart.text
        female = chart.patient.sex != "M"
        age = chart.patient.age
        pregnant = female and (age is None or 10 <= age <= 60) and bool(_PREGNANCY.search(text))
        newborn = (age is not None and age < 1) or (age is None and bool(_NEWBORN.search(text)))
        return cls(pregnant=pregnant, newborn=newborn)


def plausible(code: str, mention: Mention, text: str, facts: ChartFacts) -> bool:
    """Chapter sanity: codes that need a context the chart does not give are not taken from a lookup."""
    line_start = text.rfind("\n", 0, mention.start) + 1
    line_end = text.find("\n", mention.end)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    first = code[0]
    if first in "VWXY":
        return False  # external causes are not reported by the offline engine
    if first == "P":
        return facts.newborn
    if code.startswith("Z38"):
        return facts.newborn
    if first == "O" or code.startswith(("Z3A", "Z34", "Z37", "Z39")):
        return facts.pregnant
    if first == "C" or code.startswith("D0"):
        return bool(_CANCER.search(mention.text))
    if first == "T" and "T07" <= code[:3] <= "T88" and "T36" <= code[:3] <= "T65":
        return bool(_DRUG_EVENT.search(line))
    if first == "S" or (first == "T" and code[:3] < "T36"):
        return bool(_INJURY.search(line))
    return True


class OfflineEngine:
    name = ENGINE

    def __init__(self, search: CodeSearch) -> None:
        self.matcher = Matcher(search)
        self.codeset = get_codeset()

    def propose(self, chart: Chart, sections: list[Section], mentions: list[Mention]) -> Proposals:
        text = chart.text
        has_dx = any(s.name in DIAGNOSIS_SECTIONS and text[s.start : s.end].strip() for s in sections)
        coding_sections = DIAGNOSIS_SECTIONS if has_dx else NO_ASSESSMENT_SECTIONS
        inpatient = chart.setting == "inpatient"
        facts = ChartFacts.of(chart)
        picks: list[_Pick] = []
        for mention in mentions:
            picks.extend(self._code(mention, text, coding_sections, inpatient, facts))
        proposals = _merge(picks)
        codes = {p.code for p in proposals}
        facts = [
            *supplements.medications(text, sections, codes),
            *supplements.tobacco(text, sections, chart.patient.age),
            *supplements.bmi(text, codes, chart.patient.age),
            *supplements.gestation(text, codes),
            *supplements.allergies(text, sections),
            *supplements.immunizations(text),
        ]
        for fact in facts:
            if fact.code in codes or (fact.code == "Z87.891" and any(c[:3] == "F17" for c in codes)):
                continue
            codes.add(fact.code)
            proposals.append(
                Proposal(
                    code=fact.code,
                    quotes=[Quote(text=text[fact.start : fact.end], start=fact.start)],
                    rationale=fact.rationale,
                    guideline_refs=[fact.guideline],
                    match=0.8,
                    source="supplement",
                    rank=200_000 + fact.start,
                )
            )
        proposals = _with_trimester(_organisms_as_additional_codes(_with_sepsis_first(proposals), text), text)
        proposals = [p for p in proposals if p.code not in TOO_GENERIC]
        proposals = _without_unspecified_siblings(proposals, self.codeset)
        _mark_principal(proposals, mentions, sections)
        return Proposals(proposals=proposals, engine=ENGINE)

    # -- one mention --------------------------------------------------------------------------------
    def _code(
        self, mention: Mention, text: str, coding: frozenset[str], inpatient: bool, facts: ChartFacts
    ) -> list[_Pick]:
        if mention.section in SKIP_SECTIONS:
            return []
        head = mention.part_assertions[0] if mention.part_assertions else mention.assertion
        if head == "historical" and mention.assertion != "historical":
            # "colon cancer, no recurrence": the head is history; the trailing negation is not
            first = mention.parts[0]
            mention = mention.model_copy(
                update={
                    "start": first.start,
                    "end": first.end,
                    "text": text[first.start : first.end],
                    "assertion": "historical",
                    "parts": [],
                    "part_assertions": [],
                }
            )
        if mention.assertion in ("negated", "hypothetical") and not any(
            a in ("affirmed", "uncertain") for a in mention.part_assertions
        ):
            return []
        if mention.section == "fh" or (mention.assertion == "family" and _RELATIVE.search(mention.text)):
            return self._family(mention, text)
        if mention.assertion == "family":
            return []
        if mention.assertion == "historical":
            if not clinical_words(mention.text):
                return []
            if _PRESENT.search(mention.text):
                return []  # "History: 64 y/o, current smoker": the history label, a present condition
            # "h/o" of a symptom, a drug or a circumstance is not a history code
            found = self._condition(text, mention.start, mention.end, "ABCDEFGHIJKLMNOPQSTZ")
            if found is None:
                return []
            condition, (c_start, c_end) = found
            cleaned = " ".join(clinical_words(text[c_start:c_end]))
            match = self.matcher.best(f"personal history of {cleaned}", HISTORY)
            if condition.code[0] == "Z":
                match = condition  # already a status or history code ("s/p TKA" -> Z96.65-)
            if match and match.coverage >= ACCEPT:
                return [
                    _Pick(
                        match, mention, (mention.start, mention.end), "history", ("I.C.21.c.4",), "historical"
                    )
                ]
            return []
        in_dx = mention.section in coding or bool(_STATES_DIAGNOSIS.match(mention.text))
        picks = []
        for match, span, assertion in self._readings(mention, text, inpatient and in_dx):
            if not in_dx and not self._chronic(match.code):
                continue
            if not mention.first and (match.score < 1.1 or match.margin < 0.03):
                continue
            if match.code[0] == "Z" and (
                match.score < 1.1 or len(clinical_words(text[span[0] : span[1]])) < 2
            ):
                continue  # a status or encounter code needs a phrase that says so ("Tests", "partner" do not)
            if match.code.startswith("C") and _METASTATIC.search(text[span[0] : span[1]]):
                secondary = self.matcher.best(f"secondary malignant neoplasm of {mention.text}", "C77-C79")
                if secondary is not None:
                    match = secondary
            if not plausible(match.code, mention, text, facts):
                continue
            typed = with_control_status(with_documented_type(match.code, mention.text, text), mention.text)
            if typed != match.code:
                match = Match(
                    typed,
                    self.codeset.title(typed),
                    match.score,
                    match.coverage,
                    match.phrase,
                    match.alternatives,
                )
            uncertain = assertion == "uncertain"
            why = "uncertain, coded as established (inpatient)" if uncertain else "stated"
            refs = ("II.H", "III.C") if uncertain else ()
            picks.append(_Pick(match, mention, span, why, refs, assertion))
        return picks

    def _condition(
        self, text: str, start: int, end: int, allowed: str
    ) -> tuple[Match, tuple[int, int]] | None:
        """The condition a history or family statement names: its condition words together, else
        its "A with B" pieces, else its runs of condition words ("older brother with Parkinson's
        disease" -> Parkinson's disease). Only codes whose first letter is in `allowed` count."""
        cleaned = " ".join(clinical_words(text[start:end]))
        if not cleaned:
            return None
        candidates: list[tuple[Match | None, tuple[int, int]]] = [(self.matcher.best(cleaned), (start, end))]
        pieces = comma_parts(text, start, end) + joined_parts(text, start, end)
        candidates += [(self.matcher.best(text[a:b]), (a, b)) for a, b in pieces]
        candidates += [(self.matcher.best(text[a:b]), (a, b)) for a, b in _clinical_runs(text, start, end)]
        for match, span in candidates:
            if match is not None and match.code[0] in allowed and match.score >= 1.0:
                return match, span
        return None

    def _family(self, mention: Mention, text: str) -> list[_Pick]:
        """Family history: the relative's condition is looked up, then mapped to its Z80-Z84 code."""
        spans = [(p.start, p.end) for p in mention.parts] or [(mention.start, mention.end)]
        picks = []
        for start, end in spans:
            cleaned = " ".join(clinical_words(text[start:end]))
            if not cleaned:
                continue
            # a relative's symptom, injury or circumstance is not family history: diseases only
            found = self._condition(text, start, end, "ABCDEFGHIJKLMNOQ")
            condition = found[0] if found is not None else None
            code = family_code(condition.code) if condition is not None else None
            if code is not None and condition is not None:
                match = Match(
                    code,
                    self.codeset.title(code),
                    condition.score,
                    condition.coverage,
                    text[start:end],
                    condition.alternatives,
                )
            else:
                match = self.matcher.best(f"family history of {cleaned}", FAMILY)
                if match is None or not _condition_covered(match):
                    continue
            picks.append(_Pick(match, mention, (start, end), "family history", ("I.C.21.c.4",), "family"))
        return picks

    def _readings(
        self, mention: Mention, text: str, allow_uncertain: bool
    ) -> list[tuple[Match, tuple[int, int], str]]:
        """The statement as one condition, or its parts as several, whichever the code set fits better;
        failing both, the longest run of its words that names a condition (modifiers such as
        "new-onset" or "exertional" that the classification does not index are left out).
        Each reading carries its own assertion: "chest pain, possibly costochondritis" codes the pain."""
        if _LAB_VALUE.match(mention.text):
            return []
        allowed = {"affirmed"} | ({"uncertain"} if allow_uncertain else set())
        groups = self._groups(mention, text)
        if len(groups) > 1 or mention.assertion not in allowed:
            parts: list[tuple[Match, tuple[int, int], str]] = []
            for start, end, assertion in groups:
                if assertion not in allowed:
                    continue
                parts.extend((m, span, assertion) for m, span in self._part(text, start, end))
            if mention.assertion not in allowed:
                return parts
            whole = self.matcher.top(mention.text)
            if whole is not None and whole.coverage >= ACCEPT and (len(parts) < 2 or whole.coverage >= 0.85):
                return [(whole, (mention.start, mention.end), mention.assertion)]
            if parts:
                return parts
        else:
            start, end, _ = groups[0]
            found = self._part(text, start, end)
            if found:
                return [(m, span, mention.assertion) for m, span in found]
        if mention.assertion not in allowed:
            return []
        return [(m, span, mention.assertion) for m, span in self._runs(mention, text)]

    def _groups(self, mention: Mention, text: str) -> list[tuple[int, int, str]]:
        """Comma parts, with parts that only qualify ("right wrist", "moderate") joined to the part
        before them."""
        if not mention.parts:
            return [(mention.start, mention.end, mention.assertion)]
        labels = mention.part_assertions or [mention.assertion] * len(mention.parts)
        groups: list[tuple[int, int, str]] = []
        for part, label in zip(mention.parts, labels, strict=False):
            if groups and (
                is_qualifier(text[part.start : part.end]) or self._weak_word(text[part.start : part.end])
            ):
                start, _, kept = groups[-1]
                groups[-1] = (start, part.end, kept)
            else:
                groups.append((part.start, part.end, label))
        return groups

    def _weak_word(self, phrase: str) -> bool:
        """A one-word part that does not name a condition by itself ("nodular", "trunk")."""
        if len(clinical_words(phrase)) != 1 or len(words_of(phrase)) > 2:
            return False
        match = self.matcher.top(phrase)
        return match is None or match.score < 1.25

    def _part(self, text: str, start: int, end: int) -> list[tuple[Match, tuple[int, int]]]:
        """One part: itself when it names a condition well, else its "A with/and/due to B" pieces."""
        match = self.matcher.best(text[start:end])
        pieces = [(self.matcher.best(text[a:b]), (a, b)) for a, b in _organism_split(text, start, end)]
        pieces = pieces or [(self.matcher.best(text[a:b]), (a, b)) for a, b in joined_parts(text, start, end)]
        found = [(m, span) for m, span in pieces if m is not None]
        if match is not None and match.coverage >= 0.85:
            # "cough and fever": two conditions each named exactly beat one code that happens to
            # mention both words somewhere in its inclusion terms; a combination code the pieces
            # themselves rank ("hypertensive heart" -> I13.10 among its candidates) stays whole
            near = {m.code for m, _ in found} | {code for m, _ in found for code, _ in m.alternatives}
            separate = len(found) == len(pieces) >= 2 and all(m.score >= 1.1 for m, _ in found)
            separate = separate and match.code not in near
            if not (separate and match.score < min(m.score for m, _ in found)):
                return [(match, (start, end))]
        if found:
            return found
        if match is not None:
            return [(match, (start, end))]
        window = self._window(Mention(start=start, end=end, text=text[start:end]), text)
        return [window] if window is not None else []

    def _runs(self, mention: Mention, text: str) -> list[tuple[Match, tuple[int, int]]]:
        """Narrative statements ("For her vitamin D deficiency I have started ..."): each run of words
        that could name a condition (joined by of/with/without/in/due to) is looked up on its own,
        trimmed of edge words when the whole run does not fit a code."""
        found: list[tuple[Match, tuple[int, int]]] = []
        for start, end in _clinical_runs(text, mention.start, mention.end):
            phrase = text[start:end]
            match = self.matcher.best(phrase)
            single = len(clinical_words(phrase)) < 2
            if match is not None and match.coverage >= 0.9 and not (single and match.score < 1.25):
                found.append((match, (start, end)))
                continue
            inner = Mention(start=start, end=end, text=phrase, first=True)
            window = self._window(inner, text)
            if window is not None:
                found.append(window)
        return found

    def _window(self, mention: Mention, text: str) -> tuple[Match, tuple[int, int]] | None:
        tokens = [(m.start(), m.end()) for m in _WORD.finditer(text, mention.start, mention.end)]
        n = len(tokens)
        if n < 2 or n > 12:
            return None
        wanted = len(clinical_words(mention.text))
        for size in range(n - 1, max(0, n - 4), -1):
            best: tuple[Match, tuple[int, int]] | None = None
            for i in range(0, n - size + 1):
                start, end = tokens[i][0], tokens[i + size - 1][1]
                phrase = text[start:end]
                kept = len(clinical_words(phrase))
                if kept < 1 or kept * 2 < wanted:
                    continue
                match = self.matcher.best(phrase)
                if match is None or match.coverage < 0.9 or (kept < 2 and match.score < 1.25):
                    continue
                if best is None or match.score > best[0].score:
                    best = (match, (start, end))
            if best is not None:
                return best
        return None

    def _chronic(self, code: str) -> bool:
        return any(self.codeset.in_range(code, p) for p in chronic_patterns())


_SYSTEMIC_INFECTION = (
    "A40",
    "A41",
    "A02.1",
    "A20.7",
    "A22.7",
    "A26.7",
    "A32.7",
    "A39.2",
    "A39.3",
    "A39.4",
    "A42.7",
    "A54.86",
    "B37.7",
    "O85",
    "P36",
    "T81.44",
    "O03.37",
    "O08.82",
)


# Codes a lookup of a loose word lands on that an expert would never report from such a word.
TOO_GENERIC = frozenset(
    {"R52", "R69", "R68.89", "Z71.9", "Z76.89", "Z02.9", "Z04.9", "Z53.9", "Z53.8", "R99"}
)
# "Infection due to <organism>, site not specified" beside a localized infection: the organism is an
# additional code from B95-B97 instead (I.C.1, the "use additional code" notes of the infections).
_ORGANISM_AS_ADDITIONAL = {
    "A49.01": "B95.61",
    "A49.02": "B95.62",
    "A49.1": "B95.5",
    "A49.8": "B96.89",
    "A49.9": None,
    "B96.20": "B96.20",
}
_LOCALIZED_INFECTION = (
    "L03",
    "L02",
    "L08",
    "N39.0",
    "N10",
    "N30",
    "N34",
    "J15",
    "J18",
    "J44.0",
    "K65",
    "K81",
    "M00",
    "M86",
    "T81.4",
    "T84.5",
    "T82.7",
    "T83.5",
    "H66",
    "J01",
    "J02",
    "J03",
    "J20",
    "A41",
    "A40",
    "K57.2",
    "K35",
    "N41",
    "N45",
    "N70",
    "N73",
    "L08.9",
    "I33",
    "G00",
    "G04",
)


def _organisms_as_additional_codes(proposals: list[Proposal], text: str) -> list[Proposal]:
    if not any(p.code.startswith(_LOCALIZED_INFECTION) for p in proposals):
        return proposals
    out = []
    for p in proposals:
        if p.code in _ORGANISM_AS_ADDITIONAL:
            target = _ORGANISM_AS_ADDITIONAL[p.code]
            if p.code == "A49.8" and re.search(r"\bE\.?\s*coli\b", text, re.IGNORECASE):
                target = "B96.20"
            if target is None:
                continue
            p = p.model_copy(
                update={
                    "code": target,
                    "guideline_refs": ["I.C.1"],
                    "rationale": f"The organism of a localized infection is reported as {target} (B95-B97).",
                }
            )
        out.append(p)
    return out


_TRIMESTER_WORDS = (
    ("first", re.compile(r"\b(?:first|1st)\s+trimester\b", re.IGNORECASE)),
    ("second", re.compile(r"\b(?:second|2nd)\s+trimester\b", re.IGNORECASE)),
    ("third", re.compile(r"\b(?:third|3rd)\s+trimester\b", re.IGNORECASE)),
)


def _trimester(text: str, proposals: list[Proposal]) -> str | None:
    """The trimester the chart documents: in words, else from the weeks of gestation (Z3A):
    first < 14 weeks, second 14-27, third 28 and after (I.C.15.a.3)."""
    for name, pattern in _TRIMESTER_WORDS:
        if pattern.search(text):
            return name
    weeks = next((p.code for p in proposals if p.code.startswith("Z3A.")), None)
    if weeks is None or weeks in ("Z3A.00",):
        return None
    value = 1 if weeks == "Z3A.01" else 43 if weeks == "Z3A.49" else int(weeks[4:])
    return "first" if value < 14 else "second" if value < 28 else "third"


def _with_trimester(proposals: list[Proposal], text: str) -> list[Proposal]:
    """Pregnancy codes with an "unspecified trimester" title take the documented trimester."""
    codeset = get_codeset()
    trimester = None
    out = []
    for p in proposals:
        title = codeset.title(p.code).lower() if codeset.is_valid(p.code) else ""
        if p.code.startswith("O") and "unspecified trimester" in title:
            trimester = trimester or _trimester(text, proposals)
            if trimester is not None:
                parent = p.code[:-1]
                sibling = (
                    next(
                        (
                            c
                            for c in codeset.billable_descendants(parent)
                            if f"{trimester} trimester" in codeset.title(c).lower()
                        ),
                        None,
                    )
                    if codeset.is_valid(parent)
                    else None
                )
                if sibling is not None:
                    p = p.model_copy(
                        update={"code": sibling, "guideline_refs": [*p.guideline_refs, "I.C.15.a.3"]}
                    )
        out.append(p)
    return out


def _with_sepsis_first(proposals: list[Proposal]) -> list[Proposal]:
    """Severe sepsis (R65.2-) is never coded alone: the systemic infection comes first, A41.9 when
    the organism is not documented (I.C.1.d.4)."""
    severe = next((p for p in proposals if p.code.startswith("R65.2")), None)
    if severe is None or any(p.code.startswith(_SYSTEMIC_INFECTION) for p in proposals):
        return proposals
    sepsis = Proposal(
        code="A41.9",
        quotes=list(severe.quotes),
        rationale="Severe sepsis documented without a named organism: sepsis, unspecified organism, "
        "is sequenced before R65.2- (I.C.1.d.4).",
        guideline_refs=["I.C.1.d.4"],
        match=severe.match,
        source="combination",
        rank=severe.rank - 1,
        features=dict(severe.features),
    )
    return [*proposals, sepsis]


def _without_unspecified_siblings(proposals: list[Proposal], codeset: CodeSet) -> list[Proposal]:
    """An "unspecified" code beside a specified code of the same subcategory says nothing more
    (HFrEF -> I50.20 beside acute on chronic systolic I50.23): keep the specified one (I.B.12)."""
    out = []
    for p in proposals:
        title = codeset.title(p.code).lower() if codeset.is_valid(p.code) else ""
        vague = "unspecified" in title or "without complications" in title
        stem = p.code[:3]
        sibling = next(
            (
                q
                for q in proposals
                if q is not p
                and q.code.startswith(stem)
                and q.code != p.code
                and "unspecified" not in codeset.title(q.code).lower()
            ),
            None,
        )
        if vague and sibling is not None:
            sibling.quotes.extend(p.quotes)
            continue
        out.append(p)
    return out


def _condition_covered(match: Match) -> bool:
    # "family history of X" always covers its own three words: ask for more than that.
    return match.coverage >= 0.85


def _merge(picks: list[_Pick]) -> list[Proposal]:
    by_code: dict[str, Proposal] = {}
    for pick in picks:
        code = pick.match.code
        quote = Quote(
            text=pick.mention.text if pick.span == (pick.mention.start, pick.mention.end) else "",
            start=pick.span[0],
        )
        proposal = by_code.get(code)
        if proposal is None:
            refs = list(pick.refs) + [r.id for r in rules_for_code(code)[:2] if r.id not in pick.refs]
            proposal = Proposal(
                code=code,
                rationale=f"'{pick.match.phrase}' indexes to {code} {pick.match.description} ({pick.why}).",
                guideline_refs=refs,
                match=round(pick.match.quality, 3),
                assertion=pick.assertion,
                source="lookup",
                rank=_rank(pick.mention, pick.span[0]),
                features={
                    **pick.match.features(),
                    "diagnosis_section": float(pick.mention.section == "assessment"),
                },
            )
            by_code[code] = proposal
        proposal.quotes.append(quote.model_copy(update={"text": quote.text or pick.match.phrase}))
        proposal.match = max(proposal.match, round(pick.match.quality, 3))
        proposal.rank = min(proposal.rank, _rank(pick.mention, pick.span[0]))
    return list(by_code.values())


def _rank(mention: Mention, start: int) -> int:
    """Reporting order before sequencing rules: diagnosis sections first, in the order written."""
    section_weight = 0 if mention.section == "assessment" else 100_000
    return section_weight + start


def _mark_principal(proposals: list[Proposal], mentions: list[Mention], sections: list[Section]) -> None:
    if not proposals:
        return
    principal_titles = [s for s in sections if "principal" in s.title.lower() or "primary" in s.title.lower()]
    ordered = sorted(proposals, key=lambda p: p.rank)
    if principal_titles:
        first = principal_titles[0]
        inside = [p for p in ordered if any(first.start <= (q.start or -1) < first.end for q in p.quotes)]
        if inside:
            ordered.remove(inside[0])
            ordered.insert(0, inside[0])
    ordered[0].principal = True
    for i, proposal in enumerate(ordered):
        proposal.rank = i
    proposals.sort(key=lambda p: p.rank)
