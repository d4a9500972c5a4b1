"""Prometheus metrics of the reconcile loops, for SREs: how often each kind is reconciled, how
long a pass takes, how many passes failed, how much work waits, and what the caches hold.
Served on --metrics-port (off when not given)."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import Counter, Gauge, Histogram, start_http_server

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


def serve(port: int, address: str = "0.0.0.0") -> None:
    start_http_server(port, addr=address)
