"""Prometheus metrics, in a registry of the app's own (several apps in one process do not collide).

Labels are bounded: routes are templates (/v1/audit/{audit_id}), review reasons are cut at the ':'
(low_confidence, not low_confidence:E11.22), rule ids come from the fixed rule table.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from knowledge.schema import CodingResult, Finding

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "chartproof_http_requests", "HTTP requests answered.", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "chartproof_http_request_duration_seconds",
            "Time to answer an HTTP request (to the first byte of a stream).",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.charts = Counter("chartproof_charts_coded", "Charts coded.", ["setting", "engine"], registry=r)
        self.coding_seconds = Histogram(
            "chartproof_coding_duration_seconds",
            "Time to code one chart.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.codes = Counter("chartproof_codes_proposed", "Codes proposed by coding runs.", registry=r)
        self.reviews = Counter(
            "chartproof_reviews_routed", "Charts routed to human review.", ["setting"], registry=r
        )
        self.review_reasons = Counter(
            "chartproof_review_reasons", "Reasons charts were routed to review.", ["reason"], registry=r
        )
        self.decisions = Counter(
            "chartproof_review_decisions", "Coders' review decisions recorded.", ["decision"], registry=r
        )
        self.findings = Counter(
            "chartproof_rule_findings",
            "Rule-tool findings (coding runs and /v1/check).",
            ["rule", "severity"],
            registry=r,
        )

    def coded(self, result: CodingResult, setting: str, seconds: float) -> None:
        self.charts.labels(setting, result.meta.engine).inc()
        self.coding_seconds.observe(seconds)
        self.codes.inc(len(result.codes))
        if result.review.required:
            self.reviews.labels(setting).inc()
        for reason in result.review.reasons:
            self.review_reasons.labels(reason.split(":", 1)[0]).inc()
        self.found(result.findings)

    def found(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.findings.labels(finding.rule, finding.severity).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
