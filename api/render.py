"""The readable view of a CodingResult for the terminal: each code with its quoted evidence,
confidence and guideline, then findings, documentation gaps and the review decision."""

from __future__ import annotations

from knowledge.schema import Chart, CodingResult


def render_result(chart: Chart, result: CodingResult) -> str:
    meta = result.meta
    head = [chart.id or "chart", chart.setting]
    if chart.specialty:
        head.append(chart.specialty)
    engine = meta.engine + (f" ({meta.model})" if meta.model else "")
    lines = [f"{' · '.join(head)} · engine {engine} · {meta.knowledge_version}"]
    fallback = getattr(meta, "fallback", None)
    if fallback:
        lines.append(f"  note: the LLM failed, the offline engine coded this chart ({fallback})")
    lines.append("")
    if not result.codes:
        lines.append("  no codes: nothing in the chart supports a reportable diagnosis")
    for n, code in enumerate(result.codes, 1):
        tags = ["principal" if chart.setting == "inpatient" else "first-listed"] if code.principal else []
        if code.hcc:
            tags.append(code.hcc)
        suffix = f"  [{', '.join(tags)}]" if tags else ""
        lines.append(f"{n:>2}. {code.code:<9} {code.description}{suffix}")
        lines.append(f"    confidence {code.confidence:.2f}")
        for ev in code.evidence:
            lines.append(f'    evidence  "{ev.text}"  (chars {ev.start}-{ev.end})')
        if code.guideline_refs:
            lines.append(f"    guideline {', '.join(code.guideline_refs)}")
    if result.findings:
        lines += ["", "findings:"]
        for f in result.findings:
            ref = f" ({f.guideline_ref})" if f.guideline_ref else ""
            lines.append(f"  {f.severity:<7} {f.rule}: {f.message}{ref}")
    if result.documentation_gaps:
        lines += ["", "documentation gaps (suggested provider queries):"]
        for gap in result.documentation_gaps:
            lines.append(f"  {gap.topic}: {gap.query}")
    review = result.review
    lines.append("")
    if review.required:
        lines.append(f"review: REQUIRED (priority {review.priority}): {', '.join(review.reasons)}")
    else:
        lines.append(f"review: not required under the active policy (priority {review.priority})")
    if meta.audit_id:
        lines.append(f"audit id: {meta.audit_id}")
    return "\n".join(lines)
