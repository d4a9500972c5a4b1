"""A small workload to drive the operator with: the benchmark and the fault suite share it.

One ProductRelease that renders one ConfigMap and one Deployment per instance (its replicas
from the parameter `replicas`), one ServiceOffer over it with automatic approval and no
observation, and Subscriptions to that offer. `objects()` are the same two objects as a release
renders them, for applying them directly (the benchmark's floor).
"""

from __future__ import annotations

from typing import Any

DIGEST = "sha256:" + "cd" * 32
TERMS = "2026-01"
API_VERSION = "it4it.dev/v1alpha1"


def objects(name: str) -> list[dict[str, Any]]:
    """The ConfigMap and the one-replica Deployment of one instance called `name`."""
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


def release(name: str, namespace: str, *, accepted_by: str) -> dict[str, Any]:
    """Release web 1.0.0 of those two objects, accepted."""
    config_map, deployment = objects("$(instance.name)")
    deployment["spec"]["replicas"] = "$(params.replicas)"
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = "$(images.web)"
    return {
        "apiVersion": API_VERSION,
        "kind": "ProductRelease",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "product": "web",
            "version": "1.0.0",
            "buildPackage": {"images": [{"name": "web", "image": f"example.com/web@{DIGEST}"}]},
            "parameters": {
                "type": "object",
                "properties": {"replicas": {"type": "integer", "minimum": 1, "default": 1}},
            },
            "manifests": [config_map, deployment],
            "acceptance": {"accepted": True, "acceptedBy": accepted_by},
        },
    }


def offer(
    name: str,
    *,
    release_namespace: str,
    audience: list[str],
    purpose: str,
    max_replicas: int = 5,
    operate: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An offer over the release for the namespaces of `audience` (the sample offer's shape)."""
    spec: dict[str, Any] = {
        "displayName": f"Web, {purpose}",
        "description": "One ConfigMap and one Deployment per subscription.",
        "category": "web",
        "tags": [purpose.split(maxsplit=1)[0]],
        "release": {"namespace": release_namespace, "product": "web", "version": ">=1.0.0 <2.0.0"},
        "validity": {"from": "2026-01-01T00:00:00Z"},
        "pricing": {"currency": "EUR", "price": "1.00", "cost": "0.50", "period": "Monthly"},
        "terms": {
            "version": TERMS,
            "summary": f"Terms of the {purpose}.",
            "sla": {"availability": "99.5", "supportHours": "8x5", "responseMinutes": 60},
        },
        "parameters": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "replicas": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": max_replicas,
                    "default": 1,
                }
            },
        },
        "audience": {"namespaces": list(audience)},
        "fulfillment": {"approval": "Automatic", "observeSeconds": 0, "rollback": "Automatic"},
        "support": {"contact": f"#{purpose.split(maxsplit=1)[0]}", "hours": "8x5"},
        "state": "Published",
    }
    if operate:
        spec["operate"] = operate
    return {
        "apiVersion": API_VERSION,
        "kind": "ServiceOffer",
        "metadata": {"name": name},
        "spec": spec,
    }


def subscription(
    name: str, offer_name: str, *, namespace: str | None = None, replicas: int | None = None
) -> dict[str, Any]:
    """An order of `offer_name` with the current terms (and `replicas` when given)."""
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": API_VERSION,
        "kind": "Subscription",
        "metadata": meta,
        "spec": {
            "offer": offer_name,
            "acceptedTerms": TERMS,
            "parameters": {} if replicas is None else {"replicas": replicas},
            "state": "Active",
        },
    }
