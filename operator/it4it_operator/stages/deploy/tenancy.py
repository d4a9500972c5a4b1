"""Keep what a release renders inside the instance's namespace (Plan & Approve Deployment).

DESIGN.md "Rules the controllers keep": what a release renders lands only in the instance's
namespace; cluster-scoped kinds and kinds outside an allow-list are refused; no object leaks
across namespaces. `confine` checks a rendered plan before anything is applied, so a refused
plan is never half applied, and names every problem at once so one edit fixes the release.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from it4it_operator.stages.deploy.objects import (
    KindKey,
    describe,
    kind_key,
    metadata_of,
    object_key,
    object_name,
)

DEFAULT_ALLOWED_KINDS: frozenset[KindKey] = frozenset(
    {
        ("", "ConfigMap"),
        ("", "Secret"),
        ("", "Service"),
        ("", "ServiceAccount"),
        ("", "PersistentVolumeClaim"),
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("batch", "Job"),
        ("batch", "CronJob"),
        ("networking.k8s.io", "Ingress"),
        ("networking.k8s.io", "NetworkPolicy"),
        ("rbac.authorization.k8s.io", "Role"),
        ("rbac.authorization.k8s.io", "RoleBinding"),
        ("autoscaling", "HorizontalPodAutoscaler"),
        ("policy", "PodDisruptionBudget"),
    }
)
"""Namespaced kinds a release may create unless the operator is configured otherwise."""

CLUSTER_SCOPED_KINDS: frozenset[str] = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "FlowSchema",
        "IngressClass",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)
"""Well-known cluster-scoped kinds, refused with a message saying so whatever the allow-list."""


class TenancyError(ValueError):
    """The rendered objects break tenancy; `problems` holds one sentence per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_allowed_kinds(text: str) -> frozenset[KindKey]:
    """Parse an allow-list such as "apps/Deployment,/ConfigMap,batch/Job".

    Each entry is "group/Kind"; the core group is written "/Kind" or just "Kind". Meant for an
    environment variable, so a malformed entry or a cluster-scoped kind raises ValueError.
    """
    kinds: set[KindKey] = set()
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        group, _, kind = entry.rpartition("/")
        if not kind or "/" in group or not kind[0].isupper() or not kind.isalnum():
            raise ValueError(f"allowed kind {entry!r} is not of the form group/Kind")
        if kind in CLUSTER_SCOPED_KINDS:
            raise ValueError(f"allowed kind {entry!r} is cluster-scoped; only namespaced kinds")
        kinds.add((group.strip(), kind))
    if not kinds:
        raise ValueError("the allow-list of kinds is empty")
    return frozenset(kinds)


def _where(index: int, obj: Mapping[str, Any]) -> str:
    return f"manifest {index} ({describe(obj)})"


def _identity_problems(index: int, obj: Mapping[str, Any]) -> list[str]:
    where = _where(index, obj)
    missing = [
        field
        for field, present in (
            ("apiVersion", obj.get("apiVersion")),
            ("kind", obj.get("kind")),
            ("metadata.name", object_name(obj)),
        )
        if not present
    ]
    return [f"{where} has no {field}." for field in missing]


def _kind_problems(index: int, obj: Mapping[str, Any], allowed: frozenset[KindKey]) -> list[str]:
    group, kind = kind_key(obj)
    if kind in CLUSTER_SCOPED_KINDS:
        return [
            f"{_where(index, obj)} is refused: {kind} is cluster-scoped, and a release may only "
            "create objects in the instance's namespace."
        ]
    if (group, kind) not in allowed:
        shown = f"{group}/{kind}" if group else kind
        return [f"{_where(index, obj)} is refused: {shown} is not on the allow-list of kinds."]
    return []


def _namespace_problems(index: int, obj: Mapping[str, Any], namespace: str) -> list[str]:
    problems = []
    named = metadata_of(obj).get("namespace")
    if named and named != namespace:
        problems.append(
            f"{_where(index, obj)} names namespace {named!r}, but the instance lives in "
            f"{namespace!r}; remove metadata.namespace or set it to {namespace!r}."
        )
    if kind_key(obj)[1] == "RoleBinding":
        for subject in obj.get("subjects") or []:
            other = subject.get("namespace") if isinstance(subject, Mapping) else None
            if other and other != namespace:
                problems.append(
                    f"{_where(index, obj)} binds a subject in namespace {other!r}; "
                    f"a release may only grant access within {namespace!r}."
                )
    return problems


def confine(
    objects: Sequence[Mapping[str, Any]],
    *,
    namespace: str,
    allowed_kinds: frozenset[KindKey] = DEFAULT_ALLOWED_KINDS,
) -> list[dict[str, Any]]:
    """Return copies of `objects` placed in `namespace`, or raise TenancyError naming each problem.

    Objects without a namespace get the instance's; an object naming another namespace is
    refused, never moved. Duplicates of (group, kind, name) are refused too, since server-side
    apply would silently merge them.
    """
    problems: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}
    for index, obj in enumerate(objects):
        if not isinstance(obj, Mapping):
            problems.append(f"manifest {index} is not an object.")
            continue
        identity = _identity_problems(index, obj)
        problems += identity
        if obj.get("apiVersion") and obj.get("kind"):
            problems += _kind_problems(index, obj, allowed_kinds)
        problems += _namespace_problems(index, obj, namespace)
        key = object_key(obj)
        if not identity and key in seen:
            problems.append(
                f"{_where(index, obj)} duplicates manifest {seen[key]}: each group, kind and "
                "name may appear once."
            )
        seen.setdefault(key, index)
    if problems:
        raise TenancyError(problems)
    return [_placed(obj, namespace) for obj in objects]


def _placed(obj: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    placed = copy.deepcopy(dict(obj))
    placed["metadata"] = {**metadata_of(placed), "namespace": namespace}
    return placed
