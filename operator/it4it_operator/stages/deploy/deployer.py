"""Apply as the tenant: who a release's objects are written as, and what the API server said.

DESIGN.md "Rules the controllers keep" wants what a release renders bounded by the namespace it
lands in. The allow-list of kinds (`tenancy.py`) bounds the kinds; this module bounds the rights:
the operator writes a release's objects impersonating a ServiceAccount of the instance's own
namespace (the *deployer*, default `it4it-deployer`, bound to the built-in `admin` ClusterRole
there), so the API server's RBAC escalation checks and Pod Security Admission judge the release
with the tenant's rights, never the operator's (Flux's multi-tenancy lockdown does the same).

The deployer is created by the platform team (`it4it tenant enable NAMESPACE`, the chart's
`tenants` value or the kustomize component in `manifests/tenant/`), never by a release.

Pod Security Admission only *warns* about a Deployment whose pod template breaks the
namespace's level (it refuses the pods later, in the ReplicaSet controller, where nobody sees
it). `pod_security_refusal` turns such a warning from a dry run into a refusal, so a plan with
a privileged pod is refused before anything of it is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

DEFAULT_DEPLOYER = "it4it-deployer"
"""The deployer ServiceAccount's name in every tenant namespace (IT4IT_DEPLOYER)."""
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
POD_TEMPLATE_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
)
"""Kinds Pod Security Admission judges by their pods (it warns for all but Pod)."""
_VIOLATION = "would violate PodSecurity"
RBAC = "rbac.authorization.k8s.io"
MANAGED_BY = {
    "app.kubernetes.io/managed-by": "it4it",
    "app.kubernetes.io/part-of": "it4it-operator",
}


def deployer_user(namespace: str, name: str = DEFAULT_DEPLOYER) -> str:
    """The username a ServiceAccount authenticates as, which the operator impersonates."""
    return f"system:serviceaccount:{namespace}:{name}"


def enable_command(namespace: str, name: str = DEFAULT_DEPLOYER) -> str:
    """What a platform engineer runs to let releases deploy into `namespace`."""
    suffix = "" if name == DEFAULT_DEPLOYER else f" --service-account {name}"
    return f"it4it tenant enable {namespace}{suffix}"


def deployer_missing_message(namespace: str, name: str = DEFAULT_DEPLOYER) -> str:
    return (
        f"Namespace {namespace} has no ServiceAccount {name}, which the operator deploys a "
        f"release's objects as; a platform engineer enables the namespace with "
        f"`{enable_command(namespace, name)}`."
    )


def deployer_objects(namespace: str, name: str = DEFAULT_DEPLOYER) -> list[dict[str, Any]]:
    """The deployer of `namespace`: a ServiceAccount bound to the built-in `admin` ClusterRole
    in that namespace only. The RoleBinding comes first, so the ServiceAccount (whose arrival
    wakes the namespace's instances) has its rights when it appears."""
    meta = {"namespace": namespace, "labels": dict(MANAGED_BY)}
    return [
        {
            "apiVersion": f"{RBAC}/v1",
            "kind": "RoleBinding",
            "metadata": {"name": name, **meta},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "admin",
            },
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
        },
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, **meta}},
    ]


def pod_security_enforced(namespace_labels: Mapping[str, str] | None) -> bool:
    """Whether the namespace enforces a Pod Security level stricter than privileged."""
    level = (namespace_labels or {}).get(ENFORCE_LABEL)
    return bool(level) and level != "privileged"


def judged_by_pod_security(obj: Mapping[str, Any]) -> bool:
    return obj.get("kind") in POD_TEMPLATE_KINDS


def pod_security_refusal(warnings: Iterable[str]) -> str | None:
    """The Pod Security violation among an apply's warnings, as a sentence; None if none."""
    found = [w for w in warnings if _VIOLATION in w]
    return "; ".join(found) if found else None
