"""Fulfill Deployment (IT4IT 5.4): make the cluster hold exactly the planned objects.

Objects are applied with server-side apply under one field manager, in dependency order
(configuration and accounts, services, workloads), labelled with the instance and owned by the
ActualProductInstance; objects of the instance that left the plan are pruned, workloads first.
Applying is idempotent, so an operator restarted mid-way simply applies again: no duplicates;
and an object already as planned is not applied at all (`controllers.apply`). Pod templates of
workloads carry the instance label too, so their ReplicaSets and Pods are watched by it.
A release's objects are written, pruned and deleted as the namespace's deployer
(`Context.tenant`, stages/deploy/deployer.py), never with the operator's own rights.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

from it4it_operator import API_VERSION
from it4it_operator.controllers.apply import apply_all, ensure_applied
from it4it_operator.controllers.context import Context
from it4it_operator.controllers.deploy.labels import (
    ACTUAL_KIND,
    INSTANCE_LABEL,
    RELEASE_LABEL,
    instance_labels,
    owner_reference,
)
from it4it_operator.stages.deploy.objects import object_key
from it4it_operator.stages.deploy.order import removal_order


def ensure_actual(ctx: Context, dpi: dict[str, Any]) -> dict[str, Any]:
    """The ActualProductInstance of `dpi` (same name and namespace), created when missing."""
    meta = dpi["metadata"]
    body = {
        "apiVersion": API_VERSION,
        "kind": ACTUAL_KIND,
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "labels": instance_labels(meta["name"]),
            "ownerReferences": [owner_reference(dpi)],
        },
        "spec": {"desiredInstance": meta["name"]},
    }
    return ensure_applied(ctx, body)[0]


POD_TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})
"""Workloads whose pod template may gain a label after creation (a Job's may not)."""


def _prepared(obj: dict[str, Any], actual: dict[str, Any], release: str) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    meta = out.setdefault("metadata", {})
    instance = actual["metadata"]["name"]
    meta["labels"] = {
        **(meta.get("labels") or {}),
        **instance_labels(instance),
        RELEASE_LABEL: release,
    }
    meta["ownerReferences"] = [owner_reference(actual)]
    template = (out.get("spec") or {}).get("template")
    if out.get("kind") in POD_TEMPLATE_KINDS and isinstance(template, dict):
        pod_meta = template.setdefault("metadata", {})
        pod_meta["labels"] = {**(pod_meta.get("labels") or {}), INSTANCE_LABEL: instance}
    return out


def apply_objects(
    ctx: Context, objects: Sequence[dict[str, Any]], actual: dict[str, Any], release: str
) -> int:
    """Apply, in the given (dependency) order, every object not already as planned, all or
    none (an object the API server refuses raises before any is written); returns how many
    took an apply."""
    namespace = actual["metadata"]["namespace"]
    return apply_all(ctx, [_prepared(o, actual, release) for o in objects], ctx.tenant(namespace))


def instance_objects(ctx: Context, namespace: str, instance: str) -> list[dict[str, Any]]:
    """Every object of an allowed kind that carries the instance's label (from the cache)."""
    found: list[dict[str, Any]] = []
    for _group, kind in sorted(ctx.settings.allowed_kinds):
        if ctx.kube.cache.has(kind):
            found += ctx.kube.by_index(kind, "by", f"{namespace}/{instance}")
    return found


def delete_objects(ctx: Context, objects: Iterable[dict[str, Any]]) -> list[str]:
    """Delete objects (as their namespace's deployer), workloads first; returns "Kind/name" of
    those that were still there."""
    deleted = []
    for obj in removal_order(list(objects)):
        meta = obj["metadata"]
        kube = ctx.tenant(meta["namespace"])
        if kube.delete(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace")):
            deleted.append(f"{obj['kind']}/{meta['name']}")
    return deleted


def prune(ctx: Context, namespace: str, instance: str, keep: Iterable[dict[str, Any]]) -> list[str]:
    """Delete the instance's objects that the plan (`keep`) no longer has."""
    wanted = {object_key(o) for o in keep}
    stale = [o for o in instance_objects(ctx, namespace, instance) if object_key(o) not in wanted]
    return delete_objects(ctx, stale)
