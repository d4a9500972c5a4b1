"""The workload the faults hit: one release, one offer over it, subscriptions in two namespaces.

The release renders one ConfigMap and one Deployment per instance (the dev cluster's workload,
`it4it_operator.devcluster.workload`, which the benchmark uses too), with the Deployment's
replicas taken from the subscription's parameter `replicas`, so a spec change of a subscription
shows up as a new number of replicas: what the "no lost change" check reads.
"""

from __future__ import annotations

from typing import Any

from it4it_operator.devcluster import workload as devworkload

RELEASE_NS = "faults-release"
SUBS_NS = "faults-subs"
DOOMED_NS = "faults-doomed"
"""A namespace with subscriptions in it that the deletion scenario deletes whole."""
CORPUS_NS = "faults-corpus"
"""Where the invalid corpus is applied (each file must be refused)."""
OFFER, RELEASE = "web-faults", "web-1-0-0"
TERMS, DIGEST = devworkload.TERMS, devworkload.DIGEST
PLANNED = {"ConfigMap": 1, "Deployment": 1}
"""The children the release plans per instance, by kind."""
MAX_REPLICAS = 3
VERIFY_SECONDS = 5
"""The offer's operate.detect.verifySeconds: how long a repaired instance must stay healthy
before its Incident is Resolved (the API default, 30 s, only makes the suite slower)."""


def release() -> dict[str, Any]:
    return devworkload.release(RELEASE, RELEASE_NS, accepted_by="faults")


def offer() -> dict[str, Any]:
    return devworkload.offer(
        OFFER,
        release_namespace=RELEASE_NS,
        audience=[SUBS_NS, DOOMED_NS],
        purpose="faults suite",
        max_replicas=MAX_REPLICAS,
        operate={"detect": {"verifySeconds": VERIFY_SECONDS}},
    )


def subscription(name: str, namespace: str, replicas: int | None = None) -> dict[str, Any]:
    return devworkload.subscription(name, OFFER, namespace=namespace, replicas=replicas)
