"""Plan & Approve Deployment (IT4IT 5.4): from a DesiredProductInstance to an approved plan.

Resolves the ProductRelease (it must exist and be accepted), renders its deployment design with
the instance's parameters through the renderer plugin of that design (inline `manifests` or a
Helm `chart`), confines the objects to the instance's
namespace, hashes the plan, then asks whether it is approved and whether the change window is
open. Errors come back as Outcomes for the Planned and Approved conditions.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from it4it_operator import API_VERSION
from it4it_operator.api.desired_instance import DesiredProductInstanceSpec
from it4it_operator.controllers.context import Context
from it4it_operator.controllers.deploy.labels import APPROVAL_KIND, RELEASE_KIND
from it4it_operator.plugins.interfaces import RenderContext, RenderError
from it4it_operator.stages.deploy.approval import (
    ApprovalDecision,
    ApprovalView,
    ApproverRule,
    decide_approval,
)
from it4it_operator.stages.deploy.plan import Plan, PlanError, PlanRenderError, make_plan
from it4it_operator.stages.deploy.window import WindowError, WindowState, window_state
from it4it_operator.stages.outcome import Outcome

PLANNED = "Planned"
APPROVED = "Approved"
INLINE_RENDERER = "inline"
DESIGN_RENDERERS = (("chart", "helm"), ("manifests", INLINE_RENDERER))
"""Which renderer plugin renders which deployment design: the spec field it lives in, in the
order they are looked for (the API allows exactly one)."""
REQUESTED_BY = "it4it.dev/requested-by"
"""Who last changed the instance's spec, stamped by the MutatingAdmissionPolicy in
manifests/admission; an Approval by that user does not count (nobody approves their own). On
instances the Subscription controller writes it is the Subscription's requester, carried over:
admission accepts a carried value from the operator only."""
APPROVER_GROUPS = "it4it.dev/approver-groups"
"""On an Approval: the groups of the user who created it (a JSON list), stamped by the
MutatingAdmissionPolicy in manifests/admission, never taken from the spec."""


@dataclass(frozen=True)
class Target:
    """What to plan: a release and parameters (the spec's, or the last known good ones)."""

    release_namespace: str
    release_name: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class Unplanned(Outcome):
    """Planned=False, and when trying again later may help without a change, how soon."""

    retry_seconds: float | None = None


def renderer_name(release_spec: Mapping[str, Any]) -> str:
    """The renderer plugin for the release's deployment design: helm for a chart."""
    for design, renderer in DESIGN_RENDERERS:
        if release_spec.get(design) is not None:
            return renderer
    return INLINE_RENDERER  # it reports the missing design in a sentence


@dataclass(frozen=True)
class PlannedRelease:
    target: Target
    release: dict[str, Any]
    plan: Plan


def spec_target(dpi: dict[str, Any]) -> Target:
    spec = dpi["spec"]
    ref = spec["release"]
    return Target(
        ref.get("namespace") or dpi["metadata"]["namespace"],
        ref["name"],
        dict(spec.get("parameters") or {}),
    )


def _release_problem(release: dict[str, Any] | None, target: Target) -> Outcome | None:
    where = f"{target.release_namespace}/{target.release_name}"
    if release is None:
        return Outcome.false(
            PLANNED, "ReleaseNotFound", f"ProductRelease {where} (spec.release) does not exist."
        )
    if not (release["spec"].get("acceptance") or {}).get("accepted"):
        return Outcome.false(
            PLANNED,
            "ReleaseNotAccepted",
            f"ProductRelease {where} is not accepted "
            "(spec.acceptance.accepted is not true); it cannot be deployed.",
        )
    return None


def with_extra_replicas(
    parameters: dict[str, Any], schema: dict[str, Any] | None, extra: int
) -> dict[str, Any]:
    """`parameters` with `extra` replicas added by Operate's Scale course of action, capped at
    the release schema's maximum; unchanged when the release has no integer `replicas`."""
    prop = ((schema or {}).get("properties") or {}).get("replicas") or {}
    if not extra or prop.get("type") != "integer":
        return parameters
    base = int(parameters.get("replicas", prop.get("default", 1)))
    wanted = base + extra
    if prop.get("maximum") is not None:
        wanted = min(wanted, int(prop["maximum"]))
    return {**parameters, "replicas": wanted}


def plan_target(
    ctx: Context, dpi: dict[str, Any], target: Target, *, extra_replicas: int = 0
) -> PlannedRelease | Outcome:
    """The plan for `target`, or the Planned=False outcome that says why there is none."""
    release = ctx.kube.get(API_VERSION, RELEASE_KIND, target.release_name, target.release_namespace)
    problem = _release_problem(release, target)
    if problem is not None or release is None:
        return problem or Outcome.false(PLANNED, "ReleaseNotFound", "release missing")
    spec, meta = release["spec"], dpi["metadata"]
    if extra_replicas:
        scaled = with_extra_replicas(target.parameters, spec.get("parameters"), extra_replicas)
        target = Target(target.release_namespace, target.release_name, scaled)
    renderer = ctx.plugins.renderer(renderer_name(spec))
    images = RenderContext.images_of(spec)

    def render(params: dict[str, Any]) -> list[dict[str, Any]]:
        context = RenderContext(
            params=params,
            images=images,
            instance_name=meta["name"],
            instance_namespace=meta["namespace"],
        )
        try:
            return renderer.render(spec, context)
        except RenderError as exc:
            raise PlanRenderError(
                exc.problems, reason=exc.reason, retry_seconds=exc.retry_seconds
            ) from exc

    try:
        plan = make_plan(
            release_ref=f"{target.release_namespace}/{target.release_name}",
            release_digest=str((release.get("status") or {}).get("digest") or ""),
            parameter_schema=spec.get("parameters"),
            parameters=target.parameters,
            render=render,
            plan=dpi["spec"].get("plan") or {},
            state=dpi["spec"].get("state") or "Enabled",
            namespace=meta["namespace"],
            allowed_kinds=ctx.settings.allowed_kinds,
        )
    except PlanError as exc:
        return Unplanned(PLANNED, "False", exc.reason, str(exc), exc.retry_seconds)
    return PlannedRelease(target, release, plan)


def planned_outcome(planned: PlannedRelease) -> Outcome:
    est = planned.plan.estimate
    return Outcome.true(
        PLANNED,
        "Planned",
        f"{est['objects']} objects from ProductRelease {planned.target.release_name}, "
        f"estimated {est['seconds']}s; plan {planned.plan.plan_hash}.",
    )


def _groups(annotations: dict[str, str]) -> tuple[str, ...] | None:
    try:
        found = json.loads(annotations[APPROVER_GROUPS])
    except (KeyError, ValueError):
        return None
    return tuple(str(g) for g in found) if isinstance(found, list) else None


def approval_view(obj: dict[str, Any]) -> ApprovalView:
    """What the approval decision reads of an Approval (parsed at the edge)."""
    meta, spec = obj["metadata"], obj.get("spec") or {}
    created = meta.get("creationTimestamp")
    return ApprovalView(
        name=meta["name"],
        desired_instance=spec.get("desiredInstance", ""),
        plan_hash=spec.get("planHash", ""),
        approver=spec.get("approver", ""),
        decision=spec.get("decision") or "Approved",
        reason=spec.get("reason"),
        groups=_groups(meta.get("annotations") or {}),
        created_at=dt.datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None,
    )


def approver_rule(spec: DesiredProductInstanceSpec) -> ApproverRule:
    found = spec.plan.approvers
    if found is None:
        return ApproverRule()
    return ApproverRule(found.count, tuple(found.groups), found.expire_seconds)


def requester_of(dpi: dict[str, Any]) -> str | None:
    return (dpi["metadata"].get("annotations") or {}).get(REQUESTED_BY)


def approval(
    ctx: Context,
    dpi: dict[str, Any],
    spec: DesiredProductInstanceSpec,
    plan_hash: str,
    *,
    applied: bool = False,
) -> ApprovalDecision:
    """The approval decision for `plan_hash` (`applied`: that plan is applied already)."""
    meta = dpi["metadata"]
    views = [
        approval_view(a)
        for a in ctx.kube.by_index(APPROVAL_KIND, "by", f"{meta['namespace']}/{meta['name']}")
    ]
    return decide_approval(
        spec.plan.approval,
        plan_hash,
        views,
        requester_of(dpi),
        rule=approver_rule(spec),
        now=ctx.clock(),
        applied=applied,
        instance=meta["name"],
        namespace=meta["namespace"],
    )


def change_window(ctx: Context, spec: DesiredProductInstanceSpec) -> WindowState | Outcome:
    window = spec.plan.change_window
    try:
        return window_state(window.model_dump(by_alias=True) if window else None, ctx.clock())
    except WindowError as exc:
        return Outcome.false(PLANNED, "InvalidChangeWindow", str(exc))  # names the field
