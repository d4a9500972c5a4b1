"""Detect Issue (IT4IT 5.7.2) on one ActualProductInstance, once it is handed over to Operate.

Gathers from the caches what the instance's workloads show (object health, the pods of the
current revisions, replicas, drift, the measured availability against the contract's SLA), lets
`stages.operate.detect` name the symptoms and their breaches, and turns each breach into an
Incident (source Detected), one open Incident per instance and symptom. While the instance is in
a change (the Deploy stages judge it), inside a maintenance window of its plan or while a
recovery drill has it down on purpose (`recovery`), a breach raises nothing and is counted on the
instance instead. Runs on every change of the instance, its workloads and pods, and at the
moment a symptom would breach or a drill is due: nothing is polled.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pydantic import ValidationError

from it4it_operator import API_VERSION
from it4it_operator.api.desired_instance import DesiredProductInstanceSpec
from it4it_operator.controllers.context import Context
from it4it_operator.controllers.deploy.inspection import WORKLOADS, current_pods
from it4it_operator.controllers.deploy.labels import (
    ACTUAL_KIND,
    DPI_KIND,
    INSTANCE_LABEL,
    MANAGED_BY,
    RELEASE_LABEL,
    SUBSCRIPTION_LABEL,
    owner_reference,
)
from it4it_operator.controllers.operate.incidents import INCIDENT_KIND, notify, open_incidents
from it4it_operator.controllers.operate.recovery import rehearse
from it4it_operator.controllers.status import StatusWriter
from it4it_operator.controllers.watches import RELEASE_NAMESPACE_LABEL
from it4it_operator.k8s.errors import ConflictError
from it4it_operator.stages.deploy.window import WindowError
from it4it_operator.stages.operate.detect import RECOVERY_OBJECTIVE_MISSED, detect
from it4it_operator.stages.operate.maintenance import MaintenanceState, maintenance_state
from it4it_operator.stages.operate.priority import impact_of, priority, urgency_of
from it4it_operator.stages.operate.recovery import Drill

log = logging.getLogger(__name__)
SYMPTOM_LABEL = "it4it.dev/symptom"


def _until(ctx: Context, *moments: dt.datetime | None) -> float | None:
    due = [m for m in moments if m is not None]
    if not due:
        return None
    return max(1.0, (min(due) - ctx.clock()).total_seconds())


def detect_issues(ctx: Context, namespace: str, name: str) -> float | None:
    """Detect on one instance; returns seconds until a symptom would breach, or None."""
    actual = ctx.kube.get(API_VERSION, ACTUAL_KIND, name, namespace)
    dpi = ctx.kube.get(API_VERSION, DPI_KIND, name, namespace)
    if actual is None or dpi is None:
        return None
    going = [o["metadata"].get("deletionTimestamp") for o in (actual, dpi)]
    if any(going) or ctx.namespace_going(namespace):
        return None  # being decommissioned: no Incident can (or should) be raised there
    status = dpi.get("status") or {}
    if not status.get("stablePlanHash") or status.get("stablePlanHash") != status.get("planHash"):
        return None  # in a change: the Deploy stages validate and observe, Operate waits
    try:
        spec = DesiredProductInstanceSpec.model_validate(dpi["spec"])
    except ValidationError:
        return None  # the Deploy controller reports the spec
    if spec.state == "Disabled":
        return None
    now = ctx.clock()
    operate = spec.operate
    windows = [w.model_dump(by_alias=True) for w in operate.maintenance]
    notified = (actual.get("status") or {}).get("maintenanceNotice")
    try:
        maintenance = maintenance_state(
            windows,
            now,
            operate.notice_seconds,
            notified_for=dt.datetime.fromisoformat(notified.replace("Z", "+00:00"))
            if notified
            else None,
        )
    except WindowError as exc:
        log.warning("maintenance windows of %s/%s: %s", namespace, name, exc)
        maintenance = None
    subscription = _subscription(ctx, dpi)
    workloads = _workloads(ctx, actual)
    service = ((subscription or {}).get("status") or {}).get("serviceStatus") or {}
    contract = ((subscription or {}).get("status") or {}).get("contract") or {}
    sla = contract.get("sla") or {} if _measured_long_enough(contract, now) else {}
    seen = detect(
        objects=(actual.get("status") or {}).get("resources") or [],
        pods=_pods(ctx, actual),
        drift=(actual.get("status") or {}).get("drift") or [],
        workloads=workloads,
        availability=service.get("availability"),
        sla=sla.get("availability"),
        thresholds=operate.detect.model_dump(by_alias=True),
        now=now,
        previous=(actual.get("status") or {}).get("symptoms") or [],
    )
    w = StatusWriter(ctx, actual, ("Ready",))
    drill = rehearse(ctx, actual, operate, w, workloads)
    suppressed = dict((actual.get("status") or {}).get("suppressed") or {})
    observations = _carry_suppression(actual, [*seen.observations, *drill.observations])
    opened = {_symptom_of(i) for i in open_incidents(ctx, namespace, name)}
    for breach in [*seen.breaches, *drill.breaches]:
        symptom = breach["symptom"]
        if symptom in opened:
            continue
        if window := _suppressing(symptom, maintenance, drill):
            observed = observations[symptom]
            if not observed.get("suppressed"):
                observed["suppressed"] = True
                suppressed[window] = int(suppressed.get(window) or 0) + 1
            continue
        _raise_incident(ctx, actual, dpi, subscription, breach)
    w.update(symptoms=list(observations.values()) or None, suppressed=suppressed or None)
    if maintenance is not None and maintenance.notice_due and maintenance.next_start:
        # Publish Service Status: subscribers hear of maintenance before it starts.
        start = maintenance.next_start.strftime("%Y-%m-%dT%H:%M:%SZ")
        if subscription is not None:
            notify(
                ctx,
                subscription,
                "MaintenanceScheduled",
                f"{maintenance.message} Instance {name} is maintained from {start}.",
                "Normal",
            )
        w.update(maintenanceNotice=start)
    w.flush()
    due = (seen.recheck_at, maintenance.recheck_at if maintenance else None, drill.recheck_at)
    return _until(ctx, *due)


def _suppressing(symptom: str, maintenance: MaintenanceState | None, drill: Drill) -> str | None:
    """Why a breach is counted instead of raised (the status.suppressed key), or None: inside a
    maintenance window, or while a recovery drill has the instance down on purpose. What the
    drill itself found is raised: the drill was planned to find it."""
    if symptom == RECOVERY_OBJECTIVE_MISSED:
        return None
    if maintenance is not None and maintenance.active:
        return "maintenance"
    return "recoveryDrill" if drill.under_way else None


SLA_MEASURING_PERIOD = dt.timedelta(days=1)
"""Availability over a shorter time says nothing about an SLA: a minute of a rollout in the
first hour of a contract is not a breach of 99.5 %."""


def _measured_long_enough(contract: dict[str, Any], now: dt.datetime) -> bool:
    agreed = contract.get("agreedAt")
    if not agreed:
        return False
    since = dt.datetime.fromisoformat(str(agreed).replace("Z", "+00:00"))
    return now - since >= SLA_MEASURING_PERIOD


def _symptom_of(incident: dict[str, Any]) -> str:
    return str((incident.get("status") or {}).get("symptom") or incident["spec"].get("symptom"))


def _carry_suppression(
    actual: dict[str, Any], observations: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The new observations by symptom, keeping the mark of one already counted as suppressed
    (the same observation: same symptom, same since), so a breach is counted once."""
    before = {
        o["symptom"]: o
        for o in (actual.get("status") or {}).get("symptoms") or []
        if o.get("suppressed")
    }
    out = {}
    for observed in observations:
        entry = dict(observed)
        earlier = before.get(entry["symptom"])
        if earlier and earlier.get("since") == entry.get("since"):
            entry["suppressed"] = True
        out[entry["symptom"]] = entry
    return out


def _subscription(ctx: Context, dpi: dict[str, Any]) -> dict[str, Any] | None:
    sub = (dpi["metadata"].get("labels") or {}).get(SUBSCRIPTION_LABEL)
    if not sub:
        return None
    return ctx.kube.get(API_VERSION, "Subscription", sub, dpi["metadata"]["namespace"])


def _live(ctx: Context, actual: dict[str, Any]) -> list[dict[str, Any]]:
    namespace = actual["metadata"]["namespace"]
    found = []
    for resource in (actual.get("status") or {}).get("resources") or []:
        if resource.get("kind") in WORKLOADS:
            live = ctx.kube.get(
                resource["apiVersion"], resource["kind"], resource["name"], namespace
            )
            if live is not None:
                found.append(live)
    return found


def _workloads(ctx: Context, actual: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for w in _live(ctx, actual) if w["kind"] != "Job"]


def _pods(ctx: Context, actual: dict[str, Any]) -> list[dict[str, Any]]:
    pods: list[dict[str, Any]] = []
    for workload in _live(ctx, actual):
        pods += current_pods(ctx, workload)
    return pods


def _affected_subscriptions(subscription: dict[str, Any] | None) -> int:
    return 1 if subscription else 0


def _raise_incident(
    ctx: Context,
    actual: dict[str, Any],
    dpi: dict[str, Any],
    subscription: dict[str, Any] | None,
    breach: dict[str, Any],
) -> None:
    """Create the Incident of one breach; its name is fixed by instance, symptom and how many
    came before, so a pass repeated after a crash finds the one it created."""
    meta = actual["metadata"]
    namespace, instance, symptom = meta["namespace"], meta["name"], str(breach["symptom"])
    earlier = [
        i
        for i in ctx.kube.by_index(INCIDENT_KIND, "by", f"{namespace}/{instance}")
        if (i["metadata"].get("labels") or {}).get(SYMPTOM_LABEL) == symptom
    ]
    name = f"{instance}-{symptom.lower()}-{len(earlier) + 1}"[:253]
    sla = (((subscription or {}).get("status") or {}).get("contract") or {}).get("sla") or {}
    impact = impact_of(_affected_subscriptions(subscription), sla.get("availability"))
    urgency = urgency_of(symptom)
    release = (dpi.get("status") or {}).get("currentRelease") or dpi["spec"]["release"]["name"]
    release_ns = dpi["spec"]["release"].get("namespace") or namespace
    labels = {
        INSTANCE_LABEL: instance,
        SYMPTOM_LABEL: symptom,
        RELEASE_LABEL: release,
        RELEASE_NAMESPACE_LABEL: release_ns,
        **MANAGED_BY,
    }
    if subscription:
        labels[SUBSCRIPTION_LABEL] = subscription["metadata"]["name"]
    body: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": INCIDENT_KIND,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "ownerReferences": [owner_reference(actual, controller=False)],
        },
        "spec": {
            "instance": instance,
            "summary": str(breach.get("message") or symptom)[:256],
            "impact": impact,
            "urgency": urgency,
            "source": "Detected",
            "symptom": symptom,
        },
    }
    try:
        created = ctx.kube.create(body)
    except ConflictError:
        return  # created by the pass before a crash
    ctx.kube.emit_event(
        actual,
        "Warning",
        "IncidentRaised",
        f"Incident {name} ({priority(impact, urgency)}): {body['spec']['summary']}",
    )
    log.info("raised incident %s/%s (%s)", namespace, created["metadata"]["name"], symptom)
