"""Approval status: whether an Approval counts for its DesiredProductInstance right now.

An Approval signs off one plan hash. It stops counting when the instance's plan changes, and
never counts when the approver is the user who requested the change; its Ready condition says
which, so `kubectl wait --for=condition=Ready approval/NAME` tells an approver it took effect.
"""

from __future__ import annotations

from typing import Any

from it4it_operator import API_VERSION
from it4it_operator.controllers.context import Context
from it4it_operator.controllers.deploy.labels import DPI_KIND
from it4it_operator.controllers.deploy.planning import REQUESTED_BY
from it4it_operator.controllers.status import StatusWriter
from it4it_operator.stages.outcome import Outcome


def _verdict(approval: dict[str, Any], dpi: dict[str, Any] | None) -> Outcome:
    spec = approval["spec"]
    name = spec.get("desiredInstance")
    if dpi is None:
        return Outcome.false(
            "Ready", "InstanceNotFound", f"DesiredProductInstance {name} does not exist."
        )
    current = (dpi.get("status") or {}).get("planHash")
    if current != spec.get("planHash"):
        return Outcome.false(
            "Ready",
            "StalePlan",
            f"Approves plan {spec.get('planHash')}, but the plan of {name} is "
            f"now {current}; a new Approval is needed.",
        )
    requester = (dpi["metadata"].get("annotations") or {}).get(REQUESTED_BY)
    if requester and requester == spec.get("approver"):
        return Outcome.false(
            "Ready",
            "SelfApprovalRefused",
            f"{requester} requested this change and cannot approve it.",
        )
    return Outcome.true("Ready", "Counted", f"Approves the current plan of {name}.")


def _incident_verdict(approval: dict[str, Any], incident: dict[str, Any] | None) -> Outcome:
    """An Approval of an incident's course of action (Operate, Manual remediation)."""
    name = approval["spec"]["incident"]
    if incident is None:
        return Outcome.false("Ready", "IncidentNotFound", f"Incident {name} does not exist.")
    reporter = (incident["metadata"].get("annotations") or {}).get(REQUESTED_BY)
    if reporter and reporter == approval["spec"].get("approver"):
        return Outcome.false(
            "Ready",
            "SelfApprovalRefused",
            f"{reporter} reported incident {name} and cannot approve its remedy.",
        )
    action = (incident.get("status") or {}).get("courseOfAction") or "its course of action"
    return Outcome.true("Ready", "Counted", f"Approves {action} for incident {name}.")


def record_approval(ctx: Context, namespace: str, name: str) -> None:
    approval = ctx.kube.get(API_VERSION, "Approval", name, namespace)
    if approval is None:
        return None
    w = StatusWriter(ctx, approval, ("Ready",))
    if incident := approval["spec"].get("incident"):
        verdict = _incident_verdict(
            approval, ctx.kube.get(API_VERSION, "Incident", incident, namespace)
        )
    else:
        dpi = ctx.kube.get(
            API_VERSION, DPI_KIND, approval["spec"].get("desiredInstance", ""), namespace
        )
        verdict = _verdict(approval, dpi)
    w.set(verdict)
    w.update(phase="Counted" if verdict.ok else verdict.reason)
    w.flush()
    return None
