"""Run the operator in this process with kopf: all namespaces or one, standalone or peered."""

from __future__ import annotations

import logging
import os

import kopf

from it4it_operator.handlers.metrics import serve
from it4it_operator.handlers.startup import PEERING_ENV


def run_operator(
    *,
    namespace: str | None,
    liveness: str | None,
    log_format: str,
    peering: str | None,
    verbose: bool = False,
    metrics: tuple[str, int] | None = None,
) -> None:
    """`metrics` is (address, port) to serve Prometheus metrics on, or None for none."""
    import it4it_operator.handlers  # noqa: F401  (registers the handlers)

    fmt = kopf.LogFormat.JSON if log_format == "json" else kopf.LogFormat.PLAIN
    kopf.configure(verbose=verbose, log_format=fmt, log_refkey="object")
    for noisy in ("kubernetes", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if peering:
        os.environ[PEERING_ENV] = peering
    if metrics:
        serve(metrics[1], metrics[0])
    kopf.run(
        clusterwide=namespace is None,
        namespaces=[namespace] if namespace else [],
        liveness_endpoint=liveness,
    )
