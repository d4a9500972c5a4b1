"""The metric series the operator really exports, read from its collectors (not a list kept by
hand), and the metric names a PromQL expression refers to."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import CollectorRegistry

from it4it_operator.handlers import metrics

MONITORING = Path(__file__).resolve().parents[2] / "manifests" / "monitoring"
SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
}
SCRAPE_SERIES = {"up"}
"""What Prometheus itself adds for every target."""


def exported_series() -> set[str]:
    registry = CollectorRegistry()
    registry.register(metrics.IncidentCollector(lambda: []))
    registry.register(metrics.StateCollector(lambda kind: []))
    families = list(registry.collect())
    for collector in (metrics.RECONCILES, metrics.DURATION, metrics.QUEUE, metrics.CACHED):
        families.extend(collector.collect())
    return {f.name + suffix for f in families for suffix in SUFFIXES[f.type]}


def referenced(expression: str) -> set[str]:
    """Metric names in a PromQL expression: it4it_* and the scrape series."""
    names = set(re.findall(r"\b(it4it_[a-z0-9_]+)", expression))
    return names | {n for n in SCRAPE_SERIES if re.search(rf"\b{n}\s*\{{", expression)}
