"""Fulfill Deployment (IT4IT 5.4): make the cluster hold exactly the planned objects.

Objects are applied with server-side apply under one field manager, in dependency order
(configuration and accounts, services, workloads), labelled with the instance and owned by the
ActualProductInstance; objects of the instance that left the plan are pruned, workloads first.
Applying is idempotent, so an operator restarted mid-way simply applies again: no duplicates.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

from it4it_operator import API_VERSION
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
    return ctx.kube.apply(body)


def _prepared(obj: dict[str, Any], actual: dict[str, Any], release: str) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    meta = out.setdefault("metadata", {})
    meta["labels"] = {
        **(meta.get("labels") or {}),
        **instance_labels(actual["metadata"]["name"]),
        RELEASE_LABEL: release,
    }
    meta["ownerReferences"] = [owner_reference(actual)]
    return out


def apply_objects(
    ctx: Context, objects: Sequence[dict[str, Any]], actual: dict[str, Any], release: str
) -> list[dict[str, Any]]:
    """Apply every object in the given (dependency) order; return the live objects."""
    return [ctx.kube.apply(_prepared(o, actual, release)) for o in objects]


def instance_objects(ctx: Context, namespace: str, instance: str) -> list[dict[str, Any]]:
    """Every object of an allowed kind that carries the instance's label."""
    found: list[dict[str, Any]] = []
    for group, kind in sorted(ctx.settings.allowed_kinds):
        found += ctx.kube.list_group_kind(group, kind, namespace, {INSTANCE_LABEL: instance})
    return found


def delete_objects(ctx: Context, objects: Iterable[dict[str, Any]]) -> list[str]:
    """Delete objects, workloads first; returns "Kind/name" of those that were still there."""
    deleted = []
    for obj in removal_order(list(objects)):
        meta = obj["metadata"]
        if ctx.kube.delete(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace")):
            deleted.append(f"{obj['kind']}/{meta['name']}")
    return deleted


def prune(ctx: Context, namespace: str, instance: str, keep: Iterable[dict[str, Any]]) -> list[str]:
    """Delete the instance's objects that the plan (`keep`) no longer has."""
    wanted = {object_key(o) for o in keep}
    stale = [o for o in instance_objects(ctx, namespace, instance) if object_key(o) not in wanted]
    return delete_objects(ctx, stale)
