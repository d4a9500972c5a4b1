"""Validate Deployment (IT4IT 5.4): what really runs, compared with the desired model.

Reads back every planned object, asks the health assessor plugin for its kind (with the pods of
workloads, so failing or restarting pods show), lists drift against the plan, and writes what it
found on the ActualProductInstance: resources with health, drift, known errors of the release.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from it4it_operator.controllers.context import Context
from it4it_operator.controllers.deploy.labels import INSTANCE_LABEL
from it4it_operator.controllers.status import StatusWriter
from it4it_operator.stages.consume.service_status import record_health_sample
from it4it_operator.stages.deploy.drift import compute_drift
from it4it_operator.stages.deploy.health import instance_health
from it4it_operator.stages.deploy.objects import api_group, describe, object_key
from it4it_operator.stages.deploy.observe import ObjectHealth
from it4it_operator.stages.outcome import Outcome

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}


@dataclass(frozen=True)
class Inspection:
    """The live state of one instance's planned objects."""

    live: dict[tuple[str, str, str], dict[str, Any] | None]
    objects: list[ObjectHealth]
    resources: list[dict[str, Any]]
    drift: list[str]
    health: str


REVISION = "deployment.kubernetes.io/revision"


def _current_revision(
    ctx: Context, deployment: dict[str, Any], selector: dict[str, str]
) -> dict[str, str]:
    """The selector narrowed to the Deployment's newest ReplicaSet: failed pods left behind by
    an earlier (e.g. rolled back) revision say nothing about the one running now."""
    uid = deployment["metadata"]["uid"]
    owned = [
        rs
        for rs in _instance_objects(ctx, "ReplicaSet", deployment, selector)
        if any(o.get("uid") == uid for o in rs["metadata"].get("ownerReferences") or [])
    ]
    if not owned:
        return selector
    newest = max(
        owned, key=lambda rs: int(rs["metadata"].get("annotations", {}).get(REVISION, "0"))
    )
    template_hash = newest["metadata"].get("labels", {}).get("pod-template-hash")
    return {**selector, "pod-template-hash": template_hash} if template_hash else selector


def current_pods(ctx: Context, obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The pods of a workload's current revision (the newest ReplicaSet's for a Deployment)."""
    if obj["kind"] not in WORKLOADS:
        return []
    selector = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels")
    if not selector:
        return []
    if obj["kind"] == "Deployment":
        selector = _current_revision(ctx, obj, selector)
    pods = _instance_objects(ctx, "Pod", obj, selector)
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def _instance_objects(
    ctx: Context, kind: str, owner: dict[str, Any], selector: dict[str, str]
) -> list[dict[str, Any]]:
    """Cached ReplicaSets or Pods of the owner's instance that match `selector`."""
    meta = owner["metadata"]
    instance = (meta.get("labels") or {}).get(INSTANCE_LABEL)
    found = ctx.kube.by_index(kind, "by", f"{meta['namespace']}/{instance}")
    return [
        o
        for o in found
        if all((o["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())
    ]


def inspect(ctx: Context, desired: list[dict[str, Any]], *, disabled: bool) -> Inspection:
    live: dict[tuple[str, str, str], dict[str, Any] | None] = {}
    objects: list[ObjectHealth] = []
    resources: list[dict[str, Any]] = []
    for want in desired:
        meta = want["metadata"]
        found = ctx.kube.get(want["apiVersion"], want["kind"], meta["name"], meta["namespace"])
        live[object_key(want)] = found
        if found is None:
            health, message, uid = "Missing", "not found", None
        else:
            assessor = ctx.plugins.assessor_for(api_group(want["apiVersion"]), want["kind"])
            report = assessor.assess(found, pods=current_pods(ctx, found))
            health, message, uid = report.health, report.message, found["metadata"]["uid"]
        objects.append(ObjectHealth(describe(want), health, message))
        resources.append(
            {
                "apiVersion": want["apiVersion"],
                "kind": want["kind"],
                "name": meta["name"],
                "uid": uid,
                "health": health,
                "message": message or None,
            }
        )
    resources = [{k: v for k, v in r.items() if v is not None} for r in resources]
    drift = compute_drift(desired, live)
    overall = instance_health([o.health for o in objects], disabled=disabled)
    return Inspection(live, objects, resources, drift, overall)


def known_errors(release: dict[str, Any]) -> list[str]:
    """Known defects of the release (Knowledge Items for Operate), by id."""
    return [str(d["id"]) for d in release["spec"].get("knownDefects") or []]


def record_actual(
    ctx: Context,
    actual: dict[str, Any],
    *,
    release: str,
    plan_hash: str,
    seen: Inspection,
    errors: list[str],
    in_change: bool,
    phase: str,
    reapplied_for: str | None = None,
) -> None:
    """Write what runs onto the ActualProductInstance's status (only when it changed); its
    Ready condition says whether what runs is healthy, with an Event when that changes."""
    w = StatusWriter(ctx, actual, ("Ready",), record=True)
    history = (actual.get("status") or {}).get("healthHistory") or []
    if history or seen.health != "Progressing":
        # Every up/down transition, as this writer sees it (the Subscription's availability
        # is measured from it: a short outage between two of its passes is not lost).
        history = record_health_sample(history, seen.health, ctx.clock())
    w.update(
        release=release,
        planHash=plan_hash,
        health=seen.health,
        healthHistory=history or None,
        resources=seen.resources,
        drift=seen.drift,
        knownErrors=errors,
        inChange=in_change,
        phase=phase,
        reappliedFor=reapplied_for,
    )
    if seen.health in ("Healthy", "Suspended"):
        # Healthy is news when the instance recovers; on the first rollout the instance's
        # own AllAvailable Event says it.
        recovered = (w.condition("Ready") or {}).get("status") == "False"
        w.set(
            Outcome.true("Ready", seen.health, f"Release {release} is {seen.health}."),
            event=recovered,
        )
    else:
        unhealthy = [
            f"{o.name} ({o.message})" if o.message else o.name
            for o in seen.objects
            if o.health != "Healthy"
        ]
        w.set(
            Outcome(
                "Ready",
                "Unknown" if seen.health == "Progressing" else "False",
                seen.health,
                f"Release {release} is {seen.health}: " + ", ".join(unhealthy[:5]) + ".",
            )
        )
    w.flush()
