"""Codes that come from facts around the diagnoses rather than from a diagnosis statement:
long-term drug therapy (Z79, I.C.21.c.3), tobacco (F17 / Z87.891, I.C.5.b), BMI with a weight
diagnosis (Z68, I.B.14), and weeks of gestation with a pregnancy code (Z3A, I.C.15.a)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from agents.sections import section_at
from agents.state import Section
from knowledge.codeset import get_codeset


@dataclass(frozen=True)
class Fact:
    code: str
    start: int
    end: int
    rationale: str
    guideline: str


@dataclass(frozen=True)
class Drug:
    name: str
    drug_class: str
    code: str


@lru_cache(maxsize=1)
def _drugs() -> tuple[dict[str, Drug], re.Pattern[str]]:
    text = resources.files("agents.data").joinpath("medications.tsv").read_text(encoding="utf-8")
    drugs = {
        row["name"].strip().lower(): Drug(row["name"].strip().lower(), row["class"], row["code"].strip())
        for row in csv.DictReader(text.splitlines(), delimiter="\t")
        if row["code"] and row["code"].strip()
    }
    names = sorted(drugs, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![\w-])(" + "|".join(re.escape(n) for n in names) + r")(?![\w-])", re.IGNORECASE
    )
    return drugs, pattern


_STOPPED = re.compile(
    r"\b(?:stop(?:ped|ping)?|discontinu\w*|d/c'?d|held|hold(?:ing)?|off|allerg\w*|intoleran\w*|declined?|"
    r"refus\w*|no|not on|never|start(?:ed|ing)?|initiat\w*|begin|began|trial of|consider\w*|"
    r"recommend\w*|one dose|single dose|x1|given|prophyla\w*|switch(?:ed)? (?:from|off))\b[^.;\n]{0,25}$",
    re.IGNORECASE,
)
_AFTER_STOPPED = re.compile(
    r"^[^.;\n]{0,30}\b(?:stopped|discontinued|held|started today|x ?1|once)\b", re.IGNORECASE
)
_DIABETES = ("E08-E13", "O24")
# Drugs often given for a short course or only in hospital: long-term use must be said in the line.
_NEEDS_CHRONICITY = frozenset({"antibiotic", "systemic_steroid", "nsaid", "opiate_analgesic", "antiviral"})
_INPATIENT_DRUGS = frozenset(
    {
        "heparin",
        "enoxaparin",
        "lovenox",
        "fondaparinux",
        "arixtra",
        "anticoagulation",
        "anticoagulant",
        "anticoagulants",
    }
)
_IN_HOSPITAL_ONLY = re.compile(
    r"\b(?:drip|infusion|gtt|sliding[- ]scale|iv push|bolus|protocol|correction scale)\b", re.IGNORECASE
)
_CHRONIC = re.compile(
    r"long[- ]?term|chronic(?:ally)?|maintenance|suppressive|for (?:\d+|many|several) (?:years|months)|"
    r"since \d{4}|daily for|years? of|lifelong|indefinite",
    re.IGNORECASE,
)


def medications(text: str, sections: list[Section], codes: set[str]) -> list[Fact]:
    """Z79 codes for ongoing drugs the chart lists (not stopped, held, newly started or allergies)."""
    drugs, pattern = _drugs()
    codeset = get_codeset()
    diabetic = any(codeset.in_range(c, r) for c in codes for r in _DIABETES)
    type1 = any(c.startswith(("E10", "O24.0")) for c in codes)
    out: dict[str, Fact] = {}
    for match in pattern.finditer(text):
        kind = _section(sections, match.start())
        if kind in ("allergies", "fh"):
            continue
        before = text[max(0, match.start() - 40) : match.start()]
        if _STOPPED.search(before) or _AFTER_STOPPED.search(text[match.end() : match.end() + 40]):
            continue
        drug = drugs[match.group(1).lower()]
        code = drug.code
        if _IN_HOSPITAL_ONLY.search(text[max(0, match.start() - 30) : match.end() + 30]):
            continue
        needs = drug.drug_class in _NEEDS_CHRONICITY or drug.name in _INPATIENT_DRUGS
        if needs and not _CHRONIC.search(_line(text, match.start())):
            continue
        if code in ("Z79.4", "Z79.84", "Z79.85") and (not diabetic or (code == "Z79.4" and type1)):
            continue
        if not codeset.is_billable(code) or code in out:
            continue
        out[code] = Fact(
            code,
            match.start(),
            match.end(),
            f"Ongoing {drug.drug_class.replace('_', ' ')} ({match.group(1)}) documented: long-term drug "
            "therapy status.",
            "I.C.21.c.3",
        )
    return list(out.values())


_NEVER = re.compile(r"\b(?:never|non-?|denies|no)[\s-]*(?:smok|tobacco|cig)", re.IGNORECASE)
_FORMER = re.compile(
    r"\b(?:former|ex-?|quit|previous(?:ly)?|past|remote|prior|reformed)\s*(?:-\s*)?"
    r"(?:smok\w*|tobacco(?: use)?|cig\w*)"
    r"|\b(?:quit|stopped)\s+(?:smoking|tobacco|cigarettes)\b|\bsmoker\s*\(?\s*(?:quit|former)",
    re.IGNORECASE,
)
_CURRENT = re.compile(
    r"\b(?:current(?:ly)?\s+(?:every[- ]day\s+|daily\s+|some[- ]day\s+)?smok\w*|smokes|"
    r"active(?:ly)?\s+smok\w*|"
    r"(?:\d+(?:\.\d+)?|one|two|half(?: a)?|a)\s*(?:ppd|packs?\s*(?:per|a|/)\s*day)|"
    r"cigarette smoker|daily smoker|smoker\b(?!\s*\(?\s*(?:quit|former))|"
    r"tobacco (?:use|user|smoking)\b(?!\s*disorder))",
    re.IGNORECASE,
)
_VAPE = re.compile(r"\b(?:vap(?:es|ing|er)|e-?cig\w*|juul)\b", re.IGNORECASE)
_CHEW = re.compile(r"\b(?:chew(?:ing|s)? tobacco|snuff|dip(?:s|ping)?\b|smokeless)", re.IGNORECASE)


_OTHERS = re.compile(
    r"\b(?:mother|mom|father|dad|parents?|brother|sister|siblings?|grand\w*|household|caregivers?|husband|"
    r"wife|spouse|partner|roommate|secondhand|second-hand|exposure|exposed|passive)\b",
    re.IGNORECASE,
)


def tobacco(text: str, sections: list[Section], age: int | None = None) -> list[Fact]:
    """The patient's own current tobacco use as nicotine dependence (F17.2-), former use as
    Z87.891; someone else's smoking in the line (a parent, secondhand exposure) is not the patient's."""
    if age is not None and age < 10:
        return []
    for pattern, code, why in (
        (_CHEW, "F17.220", "Chewing tobacco use is coded as nicotine dependence, chewing tobacco."),
        (_VAPE, "F17.290", "Vaping nicotine is coded as nicotine dependence, other tobacco product."),
        (_CURRENT, "F17.210", "A current smoker is coded as nicotine dependence, cigarettes."),
    ):
        for match in pattern.finditer(text):
            if _section(sections, match.start()) in ("fh", "allergies"):
                continue
            line = _line(text, match.start())
            if _NEVER.search(line) or _FORMER.search(line) or _OTHERS.search(line):
                continue
            return [Fact(code, match.start(), match.end(), why, "I.C.5.b")]
    for match in _FORMER.finditer(text):
        if _section(sections, match.start()) in ("fh", "allergies") or _OTHERS.search(
            _line(text, match.start())
        ):
            continue
        return [
            Fact(
                "Z87.891",
                match.start(),
                match.end(),
                "Former tobacco use: personal history of nicotine dependence.",
                "I.C.21.c.4",
            )
        ]
    return []


_BMI = re.compile(r"\bBMI\b\s*(?:of|is|was|=|:|-)?\s*(\d{2}(?:\.\d+)?)", re.IGNORECASE)
_PERCENTILE = re.compile(
    r"(?:(\d{1,3})\s*(?:%|percent)\s*of\s*the\s*)?\b(\d{1,2})(?:st|nd|rd|th)\s*percentile", re.IGNORECASE
)
_WEIGHT_DX = ("E66", "E43", "E44", "E46", "R63.6", "E45")


def bmi(text: str, codes: set[str], age: int | None) -> list[Fact]:
    """Z68 from a documented BMI, only beside a weight diagnosis and never in pregnancy (I.B.14)."""
    codeset = get_codeset()
    if not any(codeset.in_range(c, r) for c in codes for r in _WEIGHT_DX):
        return []
    if any(c.startswith("O") for c in codes):
        return []
    if age is not None and age < 20:
        for match in _PERCENTILE.finditer(text):
            pct = int(match.group(2))
            code = "Z68.51" if pct < 5 else "Z68.52" if pct < 85 else "Z68.53" if pct < 95 else "Z68.54"
            return [
                Fact(
                    code,
                    match.start(),
                    match.end(),
                    "Pediatric BMI percentile beside a weight diagnosis.",
                    "I.B.14",
                )
            ]
        return []
    match = _BMI.search(text)
    if not match:
        return []
    code = _adult_bmi_code(float(match.group(1)))
    if not codeset.is_billable(code):
        return []
    return [Fact(code, match.start(), match.end(), "BMI documented beside a weight diagnosis.", "I.B.14")]


def _adult_bmi_code(value: float) -> str:
    if value < 20:
        return "Z68.1"
    if value < 40:
        return f"Z68.{int(value)}"
    for limit, code in ((45, "Z68.41"), (50, "Z68.42"), (60, "Z68.43"), (70, "Z68.44")):
        if value < limit:
            return code
    return "Z68.45"


_WEEKS = re.compile(
    r"\b(\d{1,2})\s*(?:w(?:ks?|eeks?)?)\s*(?:\+?\s*\d\s*d(?:ays?)?)?\b(?:\s*(?:gestation|GA|EGA|IUP|pregnan))?"
    r"|\b(?:GA|EGA|gestational age)\s*(?:of|:)?\s*(\d{1,2})\b",
    re.IGNORECASE,
)


def gestation(text: str, codes: set[str]) -> list[Fact]:
    """Z3A weeks of gestation beside a pregnancy (O) code (I.C.15.a)."""
    if not any(c.startswith("O") and not c.startswith(("O80", "O94")) for c in codes):
        return []
    for match in _WEEKS.finditer(text):
        weeks = int(match.group(1) or match.group(2))
        if not 4 <= weeks <= 45:
            continue
        window = text[max(0, match.start() - 40) : match.end() + 40].lower()
        if not re.search(
            r"gestation|\bga\b|\bega\b|iup|pregnan|\bg\d|weeks?\b|\bw\d|\d\s*w\s*\d\s*d|lmp|edd", window
        ):
            continue
        if re.search(
            r"postpartum|post-?op|ago|old|since|for \d",
            text[max(0, match.start() - 12) : match.start()].lower(),
        ):
            continue
        code = "Z3A.01" if weeks < 8 else "Z3A.49" if weeks > 42 else f"Z3A.{weeks:02d}"
        return [
            Fact(code, match.start(), match.end(), f"{weeks} completed weeks of gestation.", "I.C.15.a.1")
        ]
    return []


def _section(sections: list[Section], offset: int) -> str:
    found = section_at(sections, offset)
    return found.name if found is not None else "other"


def _line(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text[start : end if end >= 0 else len(text)]


@lru_cache(maxsize=1)
def _allergy_rows() -> tuple[tuple[re.Pattern[str], str], ...]:
    text = resources.files("agents.data").joinpath("allergy_status.tsv").read_text(encoding="utf-8")
    return tuple(
        (re.compile(rf"(?<![\w-])(?:{row['pattern']})(?![\w-])", re.IGNORECASE), row["code"])
        for row in csv.DictReader(text.splitlines(), delimiter="\t")
    )


_ALLERGY_INLINE = re.compile(r"\b(?:allerg(?:y|ies|ic)\s*(?:to|:)|NKA?DA\b)", re.IGNORECASE)


def allergies(text: str, sections: list[Section]) -> list[Fact]:
    """Allergy status to drugs listed in the allergies section (Z88.-, Z91.04-), I.C.21.c.3."""
    spans = [(s.start, s.end) for s in sections if s.name == "allergies"]
    for match in _ALLERGY_INLINE.finditer(text):
        end = text.find("\n", match.end())
        spans.append((match.end(), end if end >= 0 else len(text)))
    out: dict[str, Fact] = {}
    for start, end in spans:
        chunk = text[start:end]
        stop = re.search(r"\n\s*\n|\b(?:meds|medications|sh|fh|pmh|ros)\s*:", chunk, re.IGNORECASE)
        if stop:
            end = start + stop.start()
        for pattern, code in _allergy_rows():
            for found in pattern.finditer(text, start, end):
                before = text[max(start, found.start() - 25) : found.start()].lower()
                if re.search(r"\bno\b|\bdenies\b|tolerat", before):
                    continue
                if code not in out:
                    out[code] = Fact(
                        code,
                        found.start(),
                        found.end(),
                        f"Documented allergy to {found.group()}: allergy status.",
                        "I.C.21.c.3",
                    )
                break
    return list(out.values())


_VACCINE = re.compile(
    r"\b(?:tdap|dtap|td|tetanus(?: booster| toxoid)?|influenza vaccine|flu (?:shot|vaccine)|shingrix|"
    r"zoster vaccine|pneumococcal vaccine|prevnar|pcv\d+|pneumovax|ppsv23|covid(?:-19)? (?:vaccine|booster)|"
    r"hep(?:atitis)? [ab] vaccine|hpv vaccine|gardasil|mmr|varicella vaccine|ipv|hib|rotavirus vaccine|"
    r"rsv vaccine|arexvy|abrysvo|"
    r"vaccines?|immunizations?)\b[^.\n]{0,40}?\b(?:given|administered|received|today|updated|done)\b",
    re.IGNORECASE,
)


def immunizations(text: str) -> list[Fact]:
    """A vaccine given at this encounter: Z23 (I.C.21.c.2)."""
    for match in _VACCINE.finditer(text):
        before = text[max(0, match.start() - 30) : match.start()].lower()
        if re.search(
            r"\b(?:declined|refused|due|deferred|recommend|offered|no)\b", before + match.group().lower()
        ):
            continue
        return [
            Fact("Z23", match.start(), match.end(), "Vaccine administered at this encounter.", "I.C.21.c.2")
        ]
    return []
