"""The level-based reconcile of one DesiredProductInstance through the four Deploy stages.

Every pass starts from what the API server holds (the instance's spec and status, the live
objects) and converges: plan, approve, wait for the change window, fulfil when the applied plan
differs, validate, observe, and hand over. All progress lives in status (`appliedPlanHash`,
`changeStartedAt`, `observeStartedAt`, `failedPlanHash`, `lastKnownGood`), so an operator
restarted at any point picks up where it was. A failed release is recorded by its plan hash;
with rollback Automatic the next pass deploys the last known good release instead, until the
spec changes.

Every pass reads from the cache and writes only what differs. It returns when it wants to look
again without a change to wake it (the change window opening, the observation ending, the
validation deadline); workload, approval and release changes wake it through the watches.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from it4it_operator import API_VERSION
from it4it_operator.api.desired_instance import DesiredProductInstanceSpec
from it4it_operator.controllers.context import Context
from it4it_operator.controllers.deploy import fulfillment, inspection, planning
from it4it_operator.controllers.deploy.decommission import decommission
from it4it_operator.controllers.deploy.labels import ACTUAL_KIND, DPI_KIND, FINALIZER
from it4it_operator.controllers.queue import sooner
from it4it_operator.controllers.status import RECONCILING, STALLED, StatusWriter, not_ready
from it4it_operator.k8s.errors import ForbiddenError, InvalidError
from it4it_operator.stages.deploy.deployer import deployer_missing_message
from it4it_operator.stages.deploy.observe import append_history, observe, rollback_decision
from it4it_operator.stages.deploy.observe import validate_deployment as validation
from it4it_operator.stages.outcome import Outcome

log = logging.getLogger(__name__)
REAPPLY_ANNOTATION = "it4it.dev/reapply"
"""On the ActualProductInstance: Operate asks for the planned objects to be applied again."""
SCALE_ANNOTATION = "it4it.dev/scale"
"""On the DesiredProductInstance: Operate asks for one replica more."""
ROLLBACK_ANNOTATION = "it4it.dev/rollback"
"""On the DesiredProductInstance: Operate asks for a rollback to the good release before."""

READY, FULFILLED, VALIDATED, STABLE = "Ready", "Fulfilled", "Validated", "Stable"
CONDITIONS = (READY, planning.PLANNED, planning.APPROVED, FULFILLED, VALIDATED, STABLE)
FOLLOW_UP = 0.0
"""Returned when the next pass should run at once (e.g. right after recording a failure)."""


def _until(ctx: Context, moment: dt.datetime | None) -> float | None:
    """Seconds from now until `moment` (at least one), None when there is no such moment."""
    if moment is None:
        return None
    return max(1.0, (moment - ctx.clock()).total_seconds())


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


@dataclass
class Pass:
    """One reconcile pass: the context, the instance, and its status being written."""

    ctx: Context
    dpi: dict[str, Any]
    spec: DesiredProductInstanceSpec
    w: StatusWriter
    retry_in: float | None = None
    """Set when there is no plan yet but trying again later may help (a chart repository down)."""

    @property
    def status(self) -> dict[str, Any]:
        return self.w.status

    @property
    def disabled(self) -> bool:
        return self.spec.state == "Disabled"

    def not_ready(self, reason: str, message: str, phase: str, *, stalled: bool = False) -> None:
        not_ready(self.w, Outcome.false(READY, reason, message), phase, stalled=stalled)

    def history(self, planned: planning.PlannedRelease, result: str, message: str = "") -> None:
        entry = {
            "release": planned.target.release_name,
            "planHash": planned.plan.plan_hash,
            "result": result,
            "at": _iso(self.ctx.clock()),
        }
        if message:
            entry["message"] = message[:500]
        self.w.update(history=append_history(self.status.get("history") or [], entry))


def reconcile_instance(ctx: Context, namespace: str, name: str) -> float | None:
    """Reconcile one instance; returns seconds until it wants another pass (None: no hurry)."""
    for _ in range(3):
        dpi = ctx.kube.get(API_VERSION, DPI_KIND, name, namespace)
        if dpi is None:
            return None
        if dpi["metadata"].get("deletionTimestamp"):
            return _remove(ctx, dpi)
        _hold_finalizer(ctx, dpi)
        w = StatusWriter(ctx, dpi, CONDITIONS, coalesce=True)
        try:
            spec = DesiredProductInstanceSpec.model_validate(dpi["spec"])
        except ValidationError as exc:
            refusal = Outcome.false(planning.PLANNED, "InvalidSpec", _invalid(exc))
            w.set(refusal)
            not_ready(w, refusal, "Refused", stalled=True)
            w.flush()
            return None
        step = Pass(ctx, dpi, spec, w)
        try:
            delay = _reconcile(step)
        except (InvalidError, ForbiddenError) as exc:
            delay = _refused(step, exc)
        step.w.flush()
        if delay != FOLLOW_UP:
            return delay
    return FOLLOW_UP


def _invalid(exc: ValidationError) -> str:
    problems = [f"spec.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    return "; ".join(problems[:5])


def _hold_finalizer(ctx: Context, dpi: dict[str, Any]) -> None:
    """Instances the operator did not create itself get the decommission finalizer here."""
    finalizers = list(dpi["metadata"].get("finalizers") or [])
    if FINALIZER not in finalizers:
        ctx.kube.patch_metadata(dpi, {"finalizers": [*finalizers, FINALIZER]})


def _remove(ctx: Context, dpi: dict[str, Any]) -> float | None:
    """Decommission in order, then let the deletion finish by releasing the finalizer."""
    meta = dpi["metadata"]
    finalizers = list(meta.get("finalizers") or [])
    if FINALIZER not in finalizers:
        return None
    if decommission(ctx, meta["namespace"], meta["name"]):
        return 2.0  # what is left goes through its own deletion; look again shortly
    ctx.kube.patch_metadata(
        dpi,
        {
            "finalizers": [f for f in finalizers if f != FINALIZER],
            "resourceVersion": meta.get("resourceVersion"),
        },
    )
    return None


REFUSALS = ("ObjectRefused", "ObjectForbidden")
DEPLOYER_MISSING = "DeployerMissing"
REFUSAL_RETRY = 60.0
"""Seconds before a plan the API server refused is tried again (someone may have fixed RBAC or
an admission policy); a new spec or release is tried at once."""


def _refused(p: Pass, exc: InvalidError | ForbiddenError) -> float | None:
    """The API server refused an object of the plan: say which and why, and hold the plan
    (nothing of it stays applied) until it changes or the retry is due."""
    detail = exc.fields() if isinstance(exc, InvalidError) else exc.message
    reason = REFUSALS[0] if isinstance(exc, InvalidError) else REFUSALS[1]
    message = f"The API server refused {exc.what}: {detail}"
    if exc.also:
        message += f"; it also refuses {'; '.join(exc.also)}"
    p.w.set(Outcome.false(FULFILLED, reason, message))
    p.not_ready(reason, message, "Refused", stalled=True)
    p.w.update(
        lastFailure={
            "release": p.spec.release.name,
            "planHash": p.status.get("planHash"),
            "reason": reason,
            "message": message[:4096],
            "at": _iso(p.ctx.clock()),
        }
    )
    return REFUSAL_RETRY


def _holding_refusal(p: Pass, plan_hash: str) -> float | None:
    """Seconds left before a refused plan is tried again; None when it may be applied now."""
    failure = p.status.get("lastFailure") or {}
    if failure.get("planHash") != plan_hash or failure.get("reason") not in REFUSALS:
        return None
    left = (
        REFUSAL_RETRY
        - (p.ctx.clock() - (_parse(failure.get("at")) or p.ctx.clock())).total_seconds()
    )
    return left if left > 0 else None


def _target(p: Pass) -> tuple[planning.PlannedRelease, bool] | None:
    """The plan to run: the spec's, or after its failure the last known good (rolled back)."""
    _take_scale_request(p)
    planned = planning.plan_target(
        p.ctx,
        p.dpi,
        planning.spec_target(p.dpi),
        extra_replicas=int(p.status.get("extraReplicas") or 0),
    )
    if isinstance(planned, Outcome):
        p.w.set(planned)
        # A release not there yet may still arrive (GitOps syncs in any order), a chart
        # repository may come back: keep trying.
        retry = planned.retry_seconds if isinstance(planned, planning.Unplanned) else None
        waiting = planned.reason == "ReleaseNotFound" or retry is not None
        p.retry_in = retry
        p.not_ready(
            planned.reason,
            planned.message,
            "Pending" if waiting else "Refused",
            stalled=not waiting,
        )
        return None
    p.w.set(planning.planned_outcome(planned))
    p.w.update(planHash=planned.plan.plan_hash, estimate=dict(planned.plan.estimate))
    if p.status.get("failedPlanHash") != planned.plan.plan_hash:
        return planned, False
    failure = p.status.get("lastFailure") or {}
    decision = rollback_decision(
        p.spec.plan.rollback, p.status.get("lastKnownGood"), planned.target.release_name
    )
    if decision.action != "RollBack" or decision.target is None:
        p.not_ready(
            decision.reason,
            f"{failure.get('message', '')} {decision.message}".strip(),
            "Failed",
            stalled=True,
        )
        return None
    good = decision.target
    target = planning.Target(
        good.get("releaseNamespace") or planned.target.release_namespace,
        good["release"],
        dict(good.get("parameters") or {}),
    )
    rollback = planning.plan_target(p.ctx, p.dpi, target)
    if isinstance(rollback, Outcome):
        p.not_ready(
            "RollbackFailed",
            f"Cannot plan the last known good release: {rollback.message}",
            "Failed",
            stalled=True,
        )
        return None
    return rollback, True


def _reconcile(p: Pass) -> float | None:
    chosen = _target(p)
    if chosen is None:
        return p.retry_in
    planned, rolled_back = chosen
    plan_hash = planned.plan.plan_hash
    if not rolled_back and (asked := _rollback_asked(p)):
        return _roll_back_for(p, planned, asked)
    expiry: float | None = None  # when a counting Approval of the unapplied plan expires
    applied = p.status.get("appliedPlanHash") == plan_hash
    if not rolled_back:
        decision = planning.approval(p.ctx, p.dpi, p.spec, plan_hash, applied=applied)
        approved, expiry = decision.outcome, _until(p.ctx, decision.recheck_at)
        # An automatic approval is nobody's decision: no Event for it.
        p.w.set(approved, event=approved.reason != "AutomaticApproval")
        if not approved.ok:
            phase = "Rejected" if decision.rejected else "AwaitingApproval"
            p.not_ready(approved.reason, approved.message, phase, stalled=decision.rejected)
            return expiry  # an Approval wakes it; an expiry is scheduled
    if not applied:
        if not rolled_back:
            window = planning.change_window(p.ctx, p.spec)
            if isinstance(window, Outcome):
                p.w.set(window)
                p.not_ready(window.reason, window.message, "Refused", stalled=True)
                return None
            if not window.open:
                p.w.set(Outcome.false(FULFILLED, "OutsideChangeWindow", window.message))
                p.not_ready("OutsideChangeWindow", window.message, "WaitingForWindow")
                return sooner(_until(p.ctx, window.next_open), expiry)
        if (wait := _holding_refusal(p, plan_hash)) is not None:
            return sooner(wait, expiry)
        if not _deployer_ready(p):
            return expiry  # the deployer ServiceAccount's arrival wakes it
        _fulfill(p, planned, rolled_back)
    actual = p.ctx.kube.get(
        API_VERSION, ACTUAL_KIND, p.dpi["metadata"]["name"], p.dpi["metadata"]["namespace"]
    ) or fulfillment.ensure_actual(p.ctx, p.dpi)
    return _validate_and_observe(p, planned, actual, rolled_back)


def _deployer_ready(p: Pass) -> bool:
    """Whether the namespace has the deployer a release's objects are written as; if not,
    Stalled naming the command that enables the namespace (nothing is applied)."""
    namespace = p.dpi["metadata"]["namespace"]
    if p.ctx.has_deployer(namespace):
        return True
    message = deployer_missing_message(namespace, p.ctx.settings.deployer)
    p.w.set(Outcome.false(FULFILLED, DEPLOYER_MISSING, message))
    p.not_ready(DEPLOYER_MISSING, message, "Refused", stalled=True)
    return False


def _take_scale_request(p: Pass) -> None:
    """Operate's Scale course of action (annotation it4it.dev/scale, one request per attempt):
    one replica more, planned, approved by policy and rolled out like any change."""
    asked = (p.dpi["metadata"].get("annotations") or {}).get(SCALE_ANNOTATION)
    if asked and asked != p.status.get("scaledFor"):
        extra = int(p.status.get("extraReplicas") or 0) + 1
        p.w.update(scaledFor=asked, extraReplicas=extra)
        p.w.event("Normal", "ScaledUp", f"{asked} asked for one replica more ({extra} added).")


def _rollback_asked(p: Pass) -> str | None:
    """An Operate Rollback request (annotation it4it.dev/rollback) not yet carried out."""
    asked = (p.dpi["metadata"].get("annotations") or {}).get(ROLLBACK_ANNOTATION)
    return asked if asked and asked != p.status.get("rolledBackFor") else None


def _roll_back_for(p: Pass, planned: planning.PlannedRelease, incident: str) -> float | None:
    """Record the running release as failed for `incident`, so the next pass rolls back to the
    good release before it (planned, approved by policy, fulfilled, validated, observed)."""
    previous = p.status.get("previousKnownGood")
    p.w.update(rolledBackFor=incident)
    if not previous or previous.get("planHash") == planned.plan.plan_hash:
        p.w.event(
            "Warning",
            "RollbackImpossible",
            f"{incident} asked for a rollback, but no good release is known before "
            f"{planned.target.release_name}.",
        )
        return FOLLOW_UP
    message = f"Incident {incident} asked for a rollback of {planned.target.release_name}."
    p.w.update(
        failedPlanHash=planned.plan.plan_hash,
        lastFailure={
            "release": planned.target.release_name,
            "planHash": planned.plan.plan_hash,
            "reason": "IncidentRollback",
            "message": message,
            "at": _iso(p.ctx.clock()),
        },
        lastKnownGood=previous,
        previousKnownGood=None,
    )
    p.history(planned, "Failed", message)
    return FOLLOW_UP


def _fulfill(p: Pass, planned: planning.PlannedRelease, rolled_back: bool) -> None:
    """Fulfill Deployment: apply the plan, prune the rest, and remember that we did."""
    ctx, meta = p.ctx, p.dpi["metadata"]
    # The change is visible before the first object moves: stablePlanHash no longer matches.
    actual = fulfillment.ensure_actual(ctx, p.dpi)
    objects = list(planned.plan.objects)
    fulfillment.apply_objects(ctx, objects, actual, planned.target.release_name)
    pruned = fulfillment.prune(ctx, meta["namespace"], meta["name"], objects)
    release = planned.target.release_name
    message = f"Applied {len(objects)} objects of ProductRelease {release} in dependency order"
    message += f"; removed {', '.join(pruned)}." if pruned else "."
    p.w.update(
        appliedPlanHash=planned.plan.plan_hash,
        currentRelease=release,
        actual=meta["name"],
        changeStartedAt=_iso(ctx.clock()),
        observeStartedAt=None,
        stablePlanHash=None,
    )
    if rolled_back:
        failure = p.status.get("lastFailure") or {}
        text = (
            f"Release {failure.get('release')} failed: {failure.get('message')} "
            f"Rolled back to the last known good release {release}."
        )
        p.w.event("Warning", "RolledBack", text)
        p.history(planned, "RolledBack", text)
    else:
        p.history(planned, "Applied")
    p.w.set(Outcome.true(FULFILLED, "RollbackApplied" if rolled_back else "Applied", message))
    p.w.set(Outcome.unknown(VALIDATED, "Validating", "Checking that every object is available."))
    p.w.set(Outcome.unknown(STABLE, "AwaitingValidation", "Observation starts once validated."))


def _fail(
    p: Pass,
    planned: planning.PlannedRelease,
    rolled_back: bool,
    outcome: Outcome,
) -> float | None:
    """Record a failed validation or observation; the next pass rolls back (or holds)."""
    p.w.set(outcome)
    if rolled_back:
        p.not_ready(
            "RollbackFailed",
            f"The last known good release "
            f"{planned.target.release_name} failed too: {outcome.message}",
            "Failed",
            stalled=True,
        )
        return None
    p.w.update(
        failedPlanHash=planned.plan.plan_hash,
        lastFailure={
            "release": planned.target.release_name,
            "planHash": planned.plan.plan_hash,
            "reason": outcome.reason,
            "message": outcome.message,
            "at": _iso(p.ctx.clock()),
        },
    )
    p.history(planned, "Failed", outcome.message)
    return FOLLOW_UP


def _validate_and_observe(
    p: Pass, planned: planning.PlannedRelease, actual: dict[str, Any], rolled_back: bool
) -> float | None:
    """Validate and Observe Deployment, then write what runs on the ActualProductInstance once:
    it stays in the change until the plan is handed over."""
    ctx = p.ctx
    desired = list(planned.plan.objects)
    seen = inspection.inspect(ctx, desired, disabled=p.disabled)
    asked = (actual["metadata"].get("annotations") or {}).get(REAPPLY_ANNOTATION)
    reapplied = (actual.get("status") or {}).get("reappliedFor")
    if p.status.get("stablePlanHash") == planned.plan.plan_hash and asked and asked != reapplied:
        # Operate's Reapply course of action: the managed objects back to exactly the plan.
        fulfillment.apply_objects(ctx, desired, actual, planned.target.release_name)
        said = "; ".join(seen.drift[:5]) or "no difference was left"
        p.w.event(
            "Warning",
            "DriftRepaired",
            f"Managed objects were re-applied for {asked}: {said}",
        )
        reapplied = asked
        seen = inspection.inspect(ctx, desired, disabled=p.disabled)
    delay = _judge(p, planned, seen, rolled_back)
    in_change = p.status.get("stablePlanHash") != planned.plan.plan_hash
    inspection.record_actual(
        ctx,
        actual,
        release=planned.target.release_name,
        plan_hash=planned.plan.plan_hash,
        seen=seen,
        errors=inspection.known_errors(planned.release),
        in_change=in_change,
        phase="Changing" if in_change else "Running",
        reapplied_for=reapplied,
    )
    return delay


def _judge(
    p: Pass, planned: planning.PlannedRelease, seen: inspection.Inspection, rolled_back: bool
) -> float | None:
    ctx, now = p.ctx, p.ctx.clock()
    if p.disabled:
        return _disabled(p, planned)
    if p.status.get("stablePlanHash") == planned.plan.plan_hash:
        return _operate(p, seen.health, rolled_back, planned)
    verdict = validation(seen.objects)
    if verdict.status == "False" and verdict.reason == "WorkloadsFailing":
        return _fail(p, planned, rolled_back, verdict)
    if not verdict.ok:
        started = _parse(p.status.get("changeStartedAt")) or now
        if (now - started).total_seconds() > ctx.settings.validate_timeout:
            return _fail(
                p,
                planned,
                rolled_back,
                Outcome.false(
                    VALIDATED,
                    "ValidationTimedOut",
                    f"Not available after {ctx.settings.validate_timeout:.0f}s: {verdict.message}",
                ),
            )
        p.w.set(verdict)
        p.not_ready(verdict.reason, verdict.message, "Validating")
        # Workload changes wake it; otherwise look again when validation would time out.
        return max(1.0, ctx.settings.validate_timeout - (now - started).total_seconds())
    p.w.set(verdict)
    decision = observe(
        _parse(p.status.get("observeStartedAt")), p.spec.plan.observe_seconds, now, seen.health
    )
    p.w.update(observeStartedAt=_iso(decision.started_at))
    if decision.verdict == "Failed":
        return _fail(p, planned, rolled_back, decision.outcome)
    p.w.set(decision.outcome)
    if decision.verdict == "Observing":
        p.not_ready("Observing", decision.outcome.message, "Observing")
        return float(decision.requeue_seconds or 1)
    earlier = p.status.get("lastKnownGood") or {}
    if earlier.get("planHash") not in (
        planned.plan.plan_hash,
        p.status.get("failedPlanHash"),
        None,
    ):
        p.w.update(previousKnownGood=earlier)  # the target of an Operate Rollback
    p.w.update(
        stablePlanHash=planned.plan.plan_hash,
        lastKnownGood={
            "release": planned.target.release_name,
            "releaseNamespace": planned.target.release_namespace,
            "planHash": planned.plan.plan_hash,
            "parameters": dict(planned.target.parameters),
        },
    )
    p.history(planned, "Succeeded")
    return _operate(p, seen.health, rolled_back, planned)  # handed over to Operate


def _operate(
    p: Pass, health: str, rolled_back: bool, planned: planning.PlannedRelease
) -> float | None:
    """After hand-over: Ready follows health; a rolled-back instance is not what was asked."""
    release = planned.target.release_name
    if rolled_back:
        failure = p.status.get("lastFailure") or {}
        p.not_ready(
            "RolledBack",
            f"Release {failure.get('release')} failed: {failure.get('message')} "
            f"The last known good release {release} runs instead; change "
            "spec.release or spec.parameters to try again.",
            "RolledBack",
            stalled=True,
        )
        return None
    if health in ("Degraded", "Missing"):
        p.not_ready(
            f"Instance{health}",
            f"Release {release} runs but is {health}; see the ActualProductInstance.",
            health,
        )
        return None
    p.w.set(
        Outcome.true(READY, "Running", f"Release {release} is running and healthy."), event=False
    )
    p.w.abnormal(STALLED, None)
    p.w.abnormal(RECONCILING, None)
    p.w.update(phase="Running")
    return None


def _disabled(p: Pass, planned: planning.PlannedRelease) -> float | None:
    message = (
        f"Disabled: the workloads of release {planned.target.release_name} are scaled "
        "to zero and kept; set spec.state to Enabled to bring them back."
    )
    p.w.set(Outcome.true(VALIDATED, "Disabled", message))
    p.w.set(Outcome.true(STABLE, "Disabled", message))
    p.w.set(Outcome.true(READY, "Disabled", message))
    p.w.abnormal(STALLED, None)
    p.w.abnormal(RECONCILING, None)
    p.w.update(phase="Disabled", stablePlanHash=planned.plan.plan_hash)
    return None
