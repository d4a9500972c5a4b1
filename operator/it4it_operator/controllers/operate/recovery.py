"""Ensure Disaster Recovery Objectives (IT4IT 5.7.1) on one ActualProductInstance: its drills.

Detection calls `rehearse` on every pass over a handed-over instance (every change of its
workloads and pods, and the moments a drill asks for). It gathers the workloads with the pods of
their current revisions, lets `stages.operate.recovery` judge the drill, and carries the verdict
out on the instance's status writer: status.recovery, the RecoveryObjectiveMet condition, and an
Event when a drill started, passed or failed.

Starting a drill is the disaster simulation: the drill is recorded and flushed first, so a
restarted operator never starts it twice for one window occurrence, then the pods are deleted
as the namespace's deployer (the operator itself may not delete pods: the simulated disaster is
bounded by the tenant's rights, like everything a release does). A missed objective goes back
to detection as the breach RecoveryObjectiveMissed, raised as an Incident like any symptom.
"""

from __future__ import annotations

import logging
from typing import Any

from it4it_operator.api import conditions
from it4it_operator.api.common import OperatePolicy
from it4it_operator.controllers.context import Context
from it4it_operator.controllers.deploy.inspection import current_pods
from it4it_operator.controllers.status import StatusWriter
from it4it_operator.k8s.errors import ApiError
from it4it_operator.stages.operate.recovery import (
    DRILL_FAILED,
    DRILL_NOT_RUN,
    DRILL_PASSED,
    DRILL_SCHEDULED,
    DRILL_STARTED,
    RECOVERY_OBJECTIVE_MET,
    Drill,
    Workload,
    drill_refused,
    recovery_drill,
)
from it4it_operator.stages.outcome import Outcome

log = logging.getLogger(__name__)

NO_DRILL = Drill(
    None, None, Outcome.unknown(RECOVERY_OBJECTIVE_MET, DRILL_SCHEDULED, "No recovery policy.")
)
"""What an instance without spec.operate.recovery gets: nothing under way, nothing to raise."""
TOLD = {"Passed": ("Normal", DRILL_PASSED), "Failed": ("Warning", DRILL_FAILED)}


def rehearse(
    ctx: Context,
    actual: dict[str, Any],
    operate: OperatePolicy,
    w: StatusWriter,
    workloads: list[dict[str, Any]],
) -> Drill:
    """Run the instance's recovery drill one step on `w`; returns the stage's verdict.

    `workloads` are the instance's live Deployments, StatefulSets and DaemonSets. Without a
    recovery policy the condition is removed (if it was there) and nothing else is written.
    """
    policy = operate.recovery
    if policy is None:
        conditions.remove_condition(w.conditions, RECOVERY_OBJECTIVE_MET)
        return NO_DRILL
    drills: list[Workload] = [(workload, current_pods(ctx, workload)) for workload in workloads]
    drill = recovery_drill(
        [window.model_dump(by_alias=True) for window in policy.drills],
        ctx.clock(),
        policy.objective_seconds,
        w.status.get("recovery"),
        drills,
    )
    if drill.action == "Start":
        _record(w, drill)
        w.event("Normal", DRILL_STARTED, drill.condition.message)
        w.flush()  # recorded before the pods go: a restart never drills twice in one occurrence
        refusal = _simulate_disaster(ctx, actual, drills)
        if refusal is None:
            return drill
        drill = drill_refused(drill, refusal)
        w.event("Warning", DRILL_NOT_RUN, drill.condition.message)
    elif drill.action in TOLD:
        kind, reason = TOLD[drill.action]
        w.event(kind, reason, drill.condition.message)
    _record(w, drill)
    return drill


def _record(w: StatusWriter, drill: Drill) -> None:
    w.update(recovery=drill.record)
    w.set(drill.condition, event=False)  # the drill's own Events say it


def _simulate_disaster(ctx: Context, actual: dict[str, Any], drills: list[Workload]) -> str | None:
    """Delete the pods of the workloads as the namespace's deployer; the refusal, if any."""
    namespace = actual["metadata"]["namespace"]
    tenant = ctx.tenant(namespace)
    refused = []
    for _, pods in drills:
        for pod in pods:
            name = pod["metadata"]["name"]
            try:
                tenant.delete("v1", "Pod", name, namespace)
            except ApiError as exc:
                refused.append(f"pod {name}: {exc}")
    if refused:
        log.warning("recovery drill on %s/%s: %s", namespace, actual["metadata"]["name"], refused)
        return "; ".join(refused)
    log.info("recovery drill on %s/%s started", namespace, actual["metadata"]["name"])
    return None
