"""Run the operator in this process with kopf: all namespaces or one, standalone or peered."""

from __future__ import annotations

import logging
import os

import kopf

from it4it_operator.handlers.metrics import serve

log = logging.getLogger(__name__)


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

    # Plain lines carry a timestamp and level (kopf's FULL format): SREs read them by time.
    fmt = kopf.LogFormat.JSON if log_format == "json" else kopf.LogFormat.FULL
    kopf.configure(verbose=verbose, log_format=fmt, log_refkey="object")
    for noisy in ("kubernetes", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if peering:
        # Several replicas: leader election on a Lease of that name (kopf's peering is not used).
        os.environ["IT4IT_LEADER_ELECTION"] = peering
    if metrics:
        serve(metrics[1], metrics[0])
    if namespace:
        os.environ["IT4IT_WATCH_NAMESPACE"] = namespace
    kopf.run(clusterwide=True, liveness_endpoint=liveness, standalone=True)
