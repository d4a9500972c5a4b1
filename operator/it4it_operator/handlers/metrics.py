"""Prometheus metrics of the reconcile loops, for SREs: how often each kind is reconciled, how
long a pass takes, how many passes failed, how much work waits, what the caches hold, and the
state the alerts of manifests/monitoring/ watch (instances by health, objects Stalled,
subscriptions whose SLA is breached, open incidents). Everything is read from the watch caches
when Prometheus scrapes: no API call, nothing on the reconcile path.
Served on --metrics-port (off when not given)."""

from __future__ import annotations

import time
from collections import Counter as Counter_
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from it4it_operator.controllers.queue import Key, Reconcile

RECONCILES = Counter(
    "it4it_reconcile_total", "Reconcile passes by kind and result", ["kind", "result"]
)
DURATION = Histogram(
    "it4it_reconcile_duration_seconds",
    "Duration of one reconcile pass",
    ["kind"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
QUEUE = Gauge("it4it_workqueue_depth", "Objects waiting for a reconcile")
CACHED = Gauge("it4it_cache_objects", "Objects held in the watch caches", ["kind"])


def measured(reconcile: Reconcile) -> Reconcile:
    """`reconcile`, counted and timed per kind."""

    def timed(key: Key) -> float | None:
        started = time.monotonic()
        result = "error"
        try:
            delay = reconcile(key)
            result = "success"
            return delay
        finally:
            RECONCILES.labels(key.kind, result).inc()
            DURATION.labels(key.kind).observe(time.monotonic() - started)

    return timed


def track(depth: Callable[[], int], sizes: Callable[[], dict[str, int]]) -> None:
    """Gauges read when Prometheus scrapes, not kept up to date by the hot path."""
    QUEUE.set_function(depth)
    for kind in sizes():
        CACHED.labels(kind).set_function(_size_of(sizes, kind))


def _size_of(sizes: Callable[[], dict[str, int]], kind: str) -> Callable[[], float]:
    return lambda: float(sizes().get(kind, 0))


RESOLVE_BUCKETS = (60.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0)


class IncidentCollector(Collector):
    """Operate figures read from the incident cache when Prometheus scrapes: open incidents by
    priority, remediation actions by course and result, and how long resolved ones took."""

    def __init__(self, incidents: Callable[[], list[dict[str, Any]]]) -> None:
        self.incidents = incidents

    def collect(self) -> Iterator[GaugeMetricFamily | GaugeHistogramMetricFamily]:
        found = self.incidents()
        opened = GaugeMetricFamily(
            "it4it_open_incidents", "Incidents not yet Resolved or Closed", labels=["priority"]
        )
        by_priority = Counter_(
            (i.get("status") or {}).get("priority") or "None"
            for i in found
            if (i.get("status") or {}).get("phase") not in ("Resolved", "Closed")
        )
        for priority in ("P1", "P2", "P3", "P4"):
            opened.add_metric([priority], by_priority.get(priority, 0))
        yield opened
        actions = GaugeMetricFamily(
            "it4it_remediation_actions",
            "Remediation actions recorded on the current incidents, by course and result",
            labels=["action", "result"],
        )
        for (action, result), n in sorted(
            Counter_(
                (str(a.get("action")), str(a.get("result")))
                for i in found
                for a in (i.get("status") or {}).get("actions") or []
            ).items()
        ):
            actions.add_metric([action, result], n)
        yield actions
        took = sorted(
            float(t)
            for i in found
            if (t := (i.get("status") or {}).get("timeToResolveSeconds")) is not None
        )
        buckets = [(str(b), float(sum(1 for t in took if t <= b))) for b in RESOLVE_BUCKETS]
        yield GaugeHistogramMetricFamily(
            "it4it_incident_time_to_resolve_seconds",
            "Time from detection to resolution of the resolved incidents",
            buckets=[*buckets, ("+Inf", float(len(took)))],
            gsum_value=sum(took),
        )


def track_incidents(incidents: Callable[[], list[dict[str, Any]]]) -> None:
    REGISTRY.register(IncidentCollector(incidents))


KINDS = (
    "ProductRelease",
    "ServiceOffer",
    "Subscription",
    "DesiredProductInstance",
    "Approval",
    "ActualProductInstance",
    "Incident",
)
HEALTHS = ("Healthy", "Progressing", "Degraded", "Missing", "Suspended")


def _stalled(obj: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Stalled" and c.get("status") == "True"
        for c in (obj.get("status") or {}).get("conditions") or []
    )


class StateCollector(Collector):
    """What the alerts watch, read from the caches (`objects(kind)`) when Prometheus scrapes:
    ActualProductInstances by health, objects of each kind that are Stalled (a person must
    change something), and Subscriptions whose measured availability breaks their SLA."""

    def __init__(self, objects: Callable[[str], list[dict[str, Any]]]) -> None:
        self.objects = objects

    def collect(self) -> Iterator[GaugeMetricFamily]:
        instances = GaugeMetricFamily(
            "it4it_instances",
            "ActualProductInstances by the health of what runs",
            labels=["health"],
        )
        by_health = Counter_(
            (a.get("status") or {}).get("health") or "Unknown"
            for a in self.objects("ActualProductInstance")
        )
        for health in (*HEALTHS, "Unknown"):
            instances.add_metric([health], by_health.get(health, 0))
        yield instances
        stalled = GaugeMetricFamily(
            "it4it_stalled_objects",
            "Objects whose kstatus Stalled condition is True, by kind",
            labels=["kind"],
        )
        for kind in KINDS:
            stalled.add_metric([kind], sum(1 for o in self.objects(kind) if _stalled(o)))
        yield stalled
        breached = GaugeMetricFamily(
            "it4it_sla_breached_subscriptions",
            "Subscriptions whose measured availability is below their SLA, by offer",
            labels=["offer"],
        )
        for offer, n in sorted(
            Counter_(
                str((s.get("spec") or {}).get("offer"))
                for s in self.objects("Subscription")
                if ((s.get("status") or {}).get("serviceStatus") or {}).get("slaMet") is False
            ).items()
        ):
            breached.add_metric([offer], n)
        yield breached


def track_state(objects: Callable[[str], list[dict[str, Any]]]) -> None:
    REGISTRY.register(StateCollector(objects))


def serve(port: int, address: str = "0.0.0.0") -> None:
    start_http_server(port, addr=address)
