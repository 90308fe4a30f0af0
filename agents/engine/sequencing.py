"""Reporting order: the principal (inpatient, Section II) or first-listed (outpatient, IV.G) code
first, then the rest in the order the provider listed them, with the ICD-10-CM sequencing rules
that override the written order:
- a systemic infection (sepsis) before the localized infection and R65.2- (I.C.1.d.4);
- hypertensive heart / kidney combination codes before the I50 and N18 codes they ask for (I.C.9.a);
- a diabetes-with-CKD code before its N18 stage code (use additional code, I.C.4.a);
- the reason for an encounter for examination, screening, follow-up or chemotherapy first (IV.O);
- the reason for an encounter for examination, screening, follow-up or chemotherapy first (IV.O);
- codes that may never be first (R65.2-, B95-B97, Z3A, Z68, Z79, Z87.891, ...) move down.
"""

from __future__ import annotations

from agents.state import Proposal

_SYSTEMIC = ("A40", "A41", "A02.1", "A22.7", "A26.7", "A32.7", "A39.2", "A39.4", "A42.7", "B37.7")
_NEVER_FIRST = (
    "R65.2",
    "B95",
    "B96",
    "B97",
    "Z3A",
    "Z68",
    "Z79",
    "Z87.891",
    "Z80",
    "Z81",
    "Z82",
    "Z83",
    "Z84",
    "Z85",
    "Z86",
    "Z87",
    "Z88",
    "Z91",
    "Z92",
    "Z95",
    "Z96",
    "Z99",
    "Z17",
    "Z16",
    "Z77",
)
_ASKED_BY = (
    (("I50",), ("I11.0", "I13.0", "I13.2")),
    (("N18",), ("I12", "I13")),
    (("N18",), ("E08.22", "E09.22", "E10.22", "E11.22", "E13.22")),
)


# The reason for the encounter: general examinations and screening (IV.O, I.C.21.c.12-13), follow-up
# after completed treatment (I.C.21.c.8), and encounters for chemotherapy or radiotherapy (I.C.2.e.2).
_ENCOUNTER_REASON = ("Z00", "Z01", "Z02", "Z03", "Z04", "Z08", "Z09", "Z11", "Z12", "Z13", "Z51.0", "Z51.1")


def reporting_order(proposals: list[Proposal], setting: str = "outpatient") -> list[Proposal]:
    if not proposals:
        return proposals
    ordered = sorted(proposals, key=lambda p: (not p.principal, p.rank))
    first = ordered[0]
    systemic = next((p for p in ordered if p.code.startswith(_SYSTEMIC)), None)
    reason = next((p for p in ordered if p.code.startswith(_ENCOUNTER_REASON)), None)
    if reason is not None and (setting != "inpatient" or reason.code.startswith("Z51")):
        first = reason
    elif systemic is not None and not first.code.startswith(
        ("O", "P", "T81", "T80", "T82", "T83", "T84", "T85")
    ):
        first = systemic
    else:
        for asked, askers in _ASKED_BY:
            if first.code.startswith(asked):
                asker = next((p for p in ordered if p.code.startswith(askers)), None)
                if asker is not None:
                    first = asker
                    break
    if first.code.startswith(_NEVER_FIRST):
        first = next((p for p in ordered if not p.code.startswith(_NEVER_FIRST)), first)
    ordered.remove(first)
    ordered.insert(0, first)
    for i, proposal in enumerate(ordered):
        proposal.principal = i == 0
        proposal.rank = i
    return ordered
