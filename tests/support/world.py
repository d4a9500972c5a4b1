"""Documents for controller unit tests: a namespace, a release, an offer over it, an order.

Small on purpose: one ConfigMap and one Deployment, automatic approval, no observation, so a
test reaches Ready in two passes and can then ask what a third pass writes.
"""

from __future__ import annotations

from typing import Any

from support.fake_kube import FakeKube

API = "it4it.dev/v1alpha1"
TEAM, SHOP = "team", "shop"
DIGEST = "sha256:" + "ab" * 32
TERMS = "2026-01"


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def release(version: str = "1.0.0", *, replicas_max: int = 5) -> dict[str, Any]:
    pod = {"app": "$(instance.name)"}
    return {
        "apiVersion": API,
        "kind": "ProductRelease",
        "metadata": {"name": f"web-{version}", "namespace": TEAM},
        "spec": {
            "product": "web",
            "version": version,
            "buildPackage": {"images": [{"name": "web", "image": f"example.com/web@{DIGEST}"}]},
            "parameters": {
                "type": "object",
                "properties": {
                    "replicas": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": replicas_max,
                        "default": 1,
                    }
                },
            },
            "manifests": [
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "$(instance.name)"},
                    "data": {"version": version},
                },
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": "$(instance.name)"},
                    "spec": {
                        "replicas": "$(params.replicas)",
                        "selector": {"matchLabels": pod},
                        "template": {
                            "metadata": {"labels": pod},
                            "spec": {"containers": [{"name": "web", "image": "$(images.web)"}]},
                        },
                    },
                },
            ],
            "acceptance": {"accepted": True, "acceptedBy": "ci"},
        },
    }


def offer(version: str = ">=1.0.0 <2.0.0", **fulfillment: Any) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "ServiceOffer",
        "metadata": {"name": "web"},
        "spec": {
            "displayName": "Web",
            "release": {"namespace": TEAM, "product": "web", "version": version},
            "pricing": {"currency": "EUR", "price": "12.50", "cost": "7.00", "period": "Monthly"},
            "terms": {"version": TERMS, "summary": "Best effort.", "sla": {"availability": "99.5"}},
            "audience": {
                "namespaces": [SHOP],
                "namespaceSelector": {"matchLabels": {"tier": "gold"}},
            },
            "fulfillment": {"approval": "Automatic", "observeSeconds": 0, **fulfillment},
            "support": {"contact": "#web", "knowledge": ["https://example.com/docs"]},
            "state": "Published",
        },
    }


def subscription(name: str = "mine", namespace_: str = SHOP, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "Subscription",
        "metadata": {"name": name, "namespace": namespace_},
        "spec": {"offer": "web", "acceptedTerms": TERMS, **spec},
    }


def instance(name: str = "direct", **plan: Any) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "DesiredProductInstance",
        "metadata": {"name": name, "namespace": SHOP},
        "spec": {
            "release": {"namespace": TEAM, "name": "web-1.0.0"},
            "plan": {"approval": "Automatic", "observeSeconds": 0, **plan},
        },
    }


def roll_out(fake: FakeKube) -> int:
    """What kube-controller-manager and the kubelets would do: every Deployment available.
    Returns how many changed."""
    changed = 0
    for deployment in fake.of_kind("Deployment"):
        want = int(deployment["spec"].get("replicas") or 0)
        status = {
            "observedGeneration": deployment["metadata"]["generation"],
            "replicas": want,
            "updatedReplicas": want,
            "readyReplicas": want,
            "availableReplicas": want,
            "conditions": [{"type": "Available", "status": "True"}],
        }
        if deployment.get("status") != status:
            fake.put({**deployment, "status": status})
            changed += 1
    return changed
