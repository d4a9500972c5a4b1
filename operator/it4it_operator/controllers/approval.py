"""Approval status: whether an Approval counts for its DesiredProductInstance right now.

An Approval signs off (or rejects) one plan hash. It stops counting when the instance's plan
changes or when it expires, and never counts when the approver is the user who requested the
change or, under a policy with groups, is in none of them (stages.deploy.approval has the rule);
its Ready condition says which, so `kubectl wait --for=condition=Ready approval/NAME` tells an
approver it took effect. An expiry is scheduled: the pass returns when it is due.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from it4it_operator import API_VERSION
from it4it_operator.api.desired_instance import DesiredProductInstanceSpec
from it4it_operator.controllers.context import Context
from it4it_operator.controllers.deploy import planning
from it4it_operator.controllers.deploy.labels import DPI_KIND
from it4it_operator.controllers.status import StatusWriter
from it4it_operator.stages.deploy.approval import (
    REJECTED,
    STALE_PLAN,
    ApproverRule,
    judge_approval,
)
from it4it_operator.stages.outcome import Outcome


def _verdict(
    ctx: Context, approval: dict[str, Any], dpi: dict[str, Any] | None
) -> tuple[Outcome, dt.datetime | None]:
    """Whether the Approval counts now, by the rule of stages.deploy.approval, and when it
    stops counting by itself (its expiry)."""
    spec = approval["spec"]
    name = spec.get("desiredInstance")
    if dpi is None:
        return Outcome.false(
            "Ready", "InstanceNotFound", f"DesiredProductInstance {name} does not exist."
        ), None
    try:
        rule = planning.approver_rule(DesiredProductInstanceSpec.model_validate(dpi["spec"]))
    except ValidationError:
        rule = ApproverRule()
    status = dpi.get("status") or {}
    current = status.get("planHash") or "(not planned yet)"
    verdict = judge_approval(
        planning.approval_view(approval),
        plan_hash=current,
        requester=planning.requester_of(dpi),
        rule=rule,
        now=ctx.clock(),
        applied=status.get("appliedPlanHash") == current,
    )
    if not verdict.counts:
        message = verdict.message[0].upper() + verdict.message[1:]
        if verdict.reason == STALE_PLAN:
            message += f" of {name}; a new Approval is needed"
        return Outcome.false("Ready", verdict.reason, f"{message}."), None
    verb = "Rejects" if verdict.approval.decision == REJECTED else "Approves"
    return (
        Outcome.true("Ready", "Counted", f"{verb} the current plan of {name}."),
        verdict.expires_at,
    )


def _incident_verdict(approval: dict[str, Any], incident: dict[str, Any] | None) -> Outcome:
    """An Approval of an incident's course of action (Operate, Manual remediation)."""
    name = approval["spec"]["incident"]
    if incident is None:
        return Outcome.false("Ready", "IncidentNotFound", f"Incident {name} does not exist.")
    reporter = (incident["metadata"].get("annotations") or {}).get(planning.REQUESTED_BY)
    if reporter and reporter == approval["spec"].get("approver"):
        return Outcome.false(
            "Ready",
            "SelfApprovalRefused",
            f"{reporter} reported incident {name} and cannot approve its remedy.",
        )
    action = (incident.get("status") or {}).get("courseOfAction") or "its course of action"
    if approval["spec"].get("decision") == REJECTED:
        return Outcome.false(
            "Ready",
            REJECTED,
            f"Rejects {action} for incident {name}: nothing runs on its account.",
        )
    return Outcome.true("Ready", "Counted", f"Approves {action} for incident {name}.")


def record_approval(ctx: Context, namespace: str, name: str) -> float | None:
    """Write the Approval's Ready condition; returns seconds until it expires, if it does."""
    approval = ctx.kube.get(API_VERSION, "Approval", name, namespace)
    if approval is None:
        return None
    w = StatusWriter(ctx, approval, ("Ready",))
    expires_at = None
    if incident := approval["spec"].get("incident"):
        verdict = _incident_verdict(
            approval, ctx.kube.get(API_VERSION, "Incident", incident, namespace)
        )
    else:
        dpi = ctx.kube.get(
            API_VERSION, DPI_KIND, approval["spec"].get("desiredInstance", ""), namespace
        )
        verdict, expires_at = _verdict(ctx, approval, dpi)
    w.set(verdict)
    w.update(phase="Counted" if verdict.ok else verdict.reason)
    w.flush()
    if expires_at is None:
        return None
    return max(1.0, (expires_at - ctx.clock()).total_seconds())
