"""The workload the faults hit: one release, one offer over it, subscriptions in two namespaces.

The release renders one ConfigMap and one Deployment per instance (the shape of
benchmarks/controller_core.py, copied here because benchmarks/ is not a package), with the
Deployment's replicas taken from the subscription's parameter `replicas`, so a spec change of a
subscription shows up as a new number of replicas: what the "no lost change" check reads.
"""

from __future__ import annotations

from typing import Any

RELEASE_NS = "faults-release"
SUBS_NS = "faults-subs"
DOOMED_NS = "faults-doomed"
"""A namespace with subscriptions in it that the deletion scenario deletes whole."""
CORPUS_NS = "faults-corpus"
"""Where the invalid corpus is applied (each file must be refused)."""
OFFER, TERMS, RELEASE = "web-faults", "2026-01", "web-1-0-0"
DIGEST = "sha256:" + "cd" * 32
PLANNED = {"ConfigMap": 1, "Deployment": 1}
"""The children the release plans per instance, by kind."""
MAX_REPLICAS = 3
VERIFY_SECONDS = 5
"""The offer's operate.detect.verifySeconds: how long a repaired instance must stay healthy
before its Incident is Resolved (the API default, 30 s, only makes the suite slower)."""


def _workload(name: str) -> list[dict[str, Any]]:
    labels = {"app": name}
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": "v"}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "web", "image": f"example.com/web@{DIGEST}"}]},
                },
            },
        },
    ]


def release() -> dict[str, Any]:
    cm, deploy = _workload("$(instance.name)")
    deploy["spec"]["replicas"] = "$(params.replicas)"
    deploy["spec"]["template"]["spec"]["containers"][0]["image"] = "$(images.web)"
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "ProductRelease",
        "metadata": {"name": RELEASE, "namespace": RELEASE_NS},
        "spec": {
            "product": "web",
            "version": "1.0.0",
            "buildPackage": {"images": [{"name": "web", "image": f"example.com/web@{DIGEST}"}]},
            "parameters": {
                "type": "object",
                "properties": {"replicas": {"type": "integer", "minimum": 1, "default": 1}},
            },
            "manifests": [cm, deploy],
            "acceptance": {"accepted": True, "acceptedBy": "faults"},
        },
    }


def offer() -> dict[str, Any]:
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "ServiceOffer",
        "metadata": {"name": OFFER},
        "spec": {
            "displayName": "Web, fault suite",
            "description": "One ConfigMap and one Deployment per subscription.",
            "category": "web",
            "tags": ["faults"],
            "release": {"namespace": RELEASE_NS, "product": "web", "version": ">=1.0.0 <2.0.0"},
            "validity": {"from": "2026-01-01T00:00:00Z"},
            "pricing": {"currency": "EUR", "price": "1.00", "cost": "0.50", "period": "Monthly"},
            "terms": {
                "version": TERMS,
                "summary": "Fault suite terms.",
                "sla": {"availability": "99.5", "supportHours": "8x5", "responseMinutes": 60},
            },
            "parameters": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "replicas": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_REPLICAS,
                        "default": 1,
                    }
                },
            },
            "audience": {"namespaces": [SUBS_NS, DOOMED_NS]},
            "fulfillment": {"approval": "Automatic", "observeSeconds": 0, "rollback": "Automatic"},
            "operate": {"detect": {"verifySeconds": VERIFY_SECONDS}},
            "support": {"contact": "#faults", "hours": "8x5"},
            "state": "Published",
        },
    }


def subscription(name: str, namespace: str, replicas: int | None = None) -> dict[str, Any]:
    parameters = {} if replicas is None else {"replicas": replicas}
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "Subscription",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "offer": OFFER,
            "acceptedTerms": TERMS,
            "parameters": parameters,
            "state": "Active",
        },
    }
