"""Prometheus metrics of the reconcile loops, for SREs: how often each kind is reconciled, how
long a pass takes, and how many passes failed. Served on --metrics-port (off when not given)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

from prometheus_client import Counter, Histogram, start_http_server

RECONCILES = Counter(
    "it4it_reconcile_total", "Reconcile passes by kind and result", ["kind", "result"]
)
DURATION = Histogram(
    "it4it_reconcile_duration_seconds",
    "Duration of one reconcile pass",
    ["kind"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

Handler = TypeVar("Handler", bound=Callable[..., None])


def observed(kind: str) -> Callable[[Handler], Handler]:
    """Count and time every call of a handler that reconciles objects of `kind`."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def timed(*args: Any, **kwargs: Any) -> None:
            started = time.monotonic()
            result = "error"
            try:
                handler(*args, **kwargs)
                result = "success"
            finally:
                RECONCILES.labels(kind, result).inc()
                DURATION.labels(kind).observe(time.monotonic() - started)

        return timed  # type: ignore[return-value]

    return wrap


def serve(port: int, address: str = "0.0.0.0") -> None:
    start_http_server(port, addr=address)
