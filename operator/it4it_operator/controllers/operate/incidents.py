"""Diagnose Issue (IT4IT 5.7.3) and Resolve Issue (5.7.4) on one Incident; Provide Service
Support (5.6.5) for the ones consumers report.

Each pass gathers the incident, its instance (what Detect observes there), the release (known
defects, runbooks) and the offer's support, then: prioritises and assigns it (once), diagnoses
it against the release's known defects (once), and asks `stages.operate.resolve` for the next
step: wait for an Approval naming the incident (Manual remediation), execute the course of
action through its runbook plugin (the attempt is recorded before the action runs, so a restart
never runs it twice), verify that the symptom stays gone, resolve, or escalate after
maxAttempts. A reported incident, once resolved, waits for its reporter's verdict.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pydantic import ValidationError

from it4it_operator import API_VERSION
from it4it_operator.api.common import OperatePolicy
from it4it_operator.api.desired_instance import DesiredProductInstanceSpec
from it4it_operator.api.incident import IncidentSpec
from it4it_operator.controllers.context import Context
from it4it_operator.controllers.deploy.labels import (
    ACTUAL_KIND,
    DPI_KIND,
    OFFER_LABEL,
    RELEASE_KIND,
    SUBSCRIPTION_LABEL,
)
from it4it_operator.controllers.deploy.planning import REQUESTED_BY
from it4it_operator.controllers.operate import remediation
from it4it_operator.controllers.status import RECONCILING, STALLED, StatusWriter, not_ready
from it4it_operator.k8s.errors import ConflictError
from it4it_operator.plugins.interfaces import Notification
from it4it_operator.stages.operate.correlate import major_needed, parent_of, related
from it4it_operator.stages.operate.diagnose import diagnose, matching_defects
from it4it_operator.stages.operate.priority import impact_of, incident_priority
from it4it_operator.stages.operate.resolve import DONE, ResolveState, next_step
from it4it_operator.stages.operate.support import acceptance_step, self_help
from it4it_operator.stages.outcome import Outcome
from it4it_operator.stages.release.wire import format_time, parse_time


def _time(text: object) -> dt.datetime | None:
    """A status time, or None when absent or unreadable."""
    try:
        return parse_time(text, field="status") if text else None
    except ValueError:
        return None


log = logging.getLogger(__name__)

INCIDENT_KIND = "Incident"
CONDITIONS = ("Ready", "Detected", "Diagnosed", "Resolved")
TIMELINE_LIMIT = 100


def open_incidents(ctx: Context, namespace: str, instance: str) -> list[dict[str, Any]]:
    """The instance's incidents not yet Resolved or Closed."""
    return [
        i
        for i in ctx.kube.by_index(INCIDENT_KIND, "by", f"{namespace}/{instance}")
        if (i.get("status") or {}).get("phase") not in DONE
    ]


class Pass:
    """One reconcile of an incident: what it reads, and its status being written."""

    def __init__(self, ctx: Context, incident: dict[str, Any], spec: IncidentSpec) -> None:
        self.ctx, self.incident, self.spec = ctx, incident, spec
        self.meta = incident["metadata"]
        self.namespace = self.meta["namespace"]
        self.w = StatusWriter(ctx, incident, CONDITIONS)
        self.now = ctx.clock()
        self.actual = ctx.kube.get(API_VERSION, ACTUAL_KIND, spec.instance, self.namespace)
        self.dpi = ctx.kube.get(API_VERSION, DPI_KIND, spec.instance, self.namespace)

    @property
    def status(self) -> dict[str, Any]:
        return self.w.status

    def log(self, event: str, message: str) -> None:
        entry = {"at": format_time(self.now), "event": event, "message": message[:4096]}
        self.w.update(timeline=[*(self.status.get("timeline") or []), entry][-TIMELINE_LIMIT:])

    def operate(self) -> DesiredProductInstanceSpec | None:
        try:
            return DesiredProductInstanceSpec.model_validate((self.dpi or {}).get("spec") or {})
        except ValidationError:
            return None

    def release(self) -> dict[str, Any] | None:
        if self.dpi is None:
            return None
        ref = self.dpi["spec"]["release"]
        name = (self.dpi.get("status") or {}).get("currentRelease") or ref["name"]
        return self.ctx.kube.get(API_VERSION, RELEASE_KIND, name, ref.get("namespace"))

    def offer(self) -> dict[str, Any] | None:
        name = ((self.dpi or {}).get("metadata", {}).get("labels") or {}).get(OFFER_LABEL)
        return self.ctx.kube.get(API_VERSION, "ServiceOffer", name) if name else None

    def subscription(self) -> dict[str, Any] | None:
        name = self.spec.subscription or (
            (self.dpi or {}).get("metadata", {}).get("labels") or {}
        ).get(SUBSCRIPTION_LABEL)
        return (
            self.ctx.kube.get(API_VERSION, "Subscription", name, self.namespace) if name else None
        )

    def tell_consumer(self, kind: str, reason: str, message: str) -> None:
        """Publish Service Status: the consumer hears of incidents on their service."""
        if (sub := self.subscription()) is not None:
            notify(self.ctx, sub, reason, message, kind)


def notify(ctx: Context, regarding: dict[str, Any], reason: str, message: str, kind: str) -> None:
    """Tell people through every notifier plugin; what a plugin hands back as an Event (the
    built-in Kubernetes Events notifier) is posted on `regarding`."""
    note = Notification(reason, message, "Warning" if kind == "Warning" else "Normal", regarding)
    for notifier in ctx.plugins.notifiers.values():
        try:
            told = notifier.notify(note)
        except Exception:  # a notifier's failure must not stop the resolution
            log.exception("notifier %s failed", notifier.name)
            continue
        if told:
            ctx.kube.emit_event(
                regarding, str(told["type"]), str(told["reason"]), str(told["message"])
            )


def reconcile_incident(ctx: Context, namespace: str, name: str) -> float | None:
    """Reconcile one incident; returns seconds until it wants another pass, or None."""
    incident = ctx.kube.get(API_VERSION, INCIDENT_KIND, name, namespace)
    if incident is None or incident["metadata"].get("deletionTimestamp"):
        return None
    try:
        spec = IncidentSpec.model_validate(incident["spec"])
    except ValidationError as exc:
        w = StatusWriter(ctx, incident, CONDITIONS)
        refusal = Outcome.false("Detected", "InvalidSpec", str(exc.errors()[0]["msg"]))
        w.set(refusal)
        not_ready(w, refusal, "Refused", stalled=True)
        w.flush()
        return None
    p = Pass(ctx, incident, spec)
    if p.actual is None:
        outcome = Outcome.false(
            "Detected", "InstanceNotFound", f"ActualProductInstance {spec.instance} does not exist."
        )
        p.w.set(outcome)
        not_ready(p.w, outcome, "Refused", stalled=True)
        p.w.flush()
        return None
    _detected(p)
    if (p.meta.get("labels") or {}).get(MAJOR_LABEL) == "true":
        delay = _major(p)
    else:
        _correlated(p)
        _diagnosed(p)
        delay = _resolve(p)
    p.w.flush()
    return delay


MAJOR_LABEL = "it4it.dev/major"


def _peers(p: Pass) -> list[dict[str, Any]]:
    """The open incidents of the same release (with the `release` correlate reads)."""
    labels = p.meta.get("labels") or {}
    release, where = labels.get("it4it.dev/release"), labels.get("it4it.dev/release-namespace")
    if not release or not where:
        return []
    found = p.ctx.kube.by_index(INCIDENT_KIND, "ProductRelease", f"{where}/{release}")
    return [
        {**i, "release": release} for i in found if (i.get("status") or {}).get("phase") not in DONE
    ]


def _correlated(p: Pass) -> None:
    """Remediate a major Event or Incident: related incidents on other instances of the
    release, and one major incident as the parent once three or more instances are hit."""
    peers = _peers(p)
    if not peers:
        return
    me = next((i for i in peers if i["metadata"]["name"] == p.meta["name"]), None)
    if me is None:
        return
    me = {**me, "status": p.status}
    p.w.update(related=related(me, [i for i in peers if i is not me]) or None)
    for group in major_needed(peers):
        _raise_major(p, group)
    if (parent := parent_of(me, peers)) is not None:
        p.w.update(parent=parent.name)


def _raise_major(p: Pass, group: Any) -> None:
    first = group.members[0]
    labels = {
        k: v for k, v in (p.meta.get("labels") or {}).items() if k.startswith("it4it.dev/release")
    }
    body = {
        "apiVersion": API_VERSION,
        "kind": INCIDENT_KIND,
        "metadata": {
            "name": f"major-{group.release}-{group.symptom.lower()}"[:240]
            + f"-{format_time(group.first_seen)[:10].replace('-', '')}",
            "namespace": first.namespace,
            "labels": {**labels, MAJOR_LABEL: "true", "it4it.dev/symptom": group.symptom},
        },
        "spec": {
            "instance": group.instances[0][1],
            "summary": f"{group.symptom} on {len(group.instances)} instances of "
            f"release {group.release}",
            "impact": "High",
            "urgency": "High",
            "source": "Detected",
            "symptom": group.symptom,
        },
    }
    try:
        p.ctx.kube.create(body)
    except ConflictError:
        return


def _major(p: Pass) -> float | None:
    """A major incident is resolved once for all: when every incident it is the parent of is."""
    members = [
        i
        for i in p.ctx.kube.by_index(INCIDENT_KIND, "ProductRelease", _release_key(p))
        if (i.get("status") or {}).get("parent") == p.meta["name"]
    ]
    p.w.update(major=True, related=sorted(i["metadata"]["name"] for i in members) or None)
    if members and all((i.get("status") or {}).get("phase") in DONE for i in members):
        if p.status.get("phase") not in DONE:
            detected = _time(p.status.get("detectedAt")) or p.now
            p.w.update(
                phase="Resolved",
                resolvedAt=format_time(p.now),
                timeToResolveSeconds=int((p.now - detected).total_seconds()),
            )
            p.log("Resolved", "Every related incident is resolved.")
        message = "Every related incident is resolved."
        p.w.set(Outcome.true("Resolved", "Verified", message))
        p.w.set(Outcome.true("Ready", "Resolved", message), event=False)
        p.w.abnormal(RECONCILING, None)
        return None
    p.w.update(phase="Resolving")
    message = f"{len(members)} related incidents are being resolved."
    p.w.set(Outcome.true("Diagnosed", "Correlated", message))
    p.w.set(Outcome.false("Resolved", "Resolving", message), event=False)
    not_ready(p.w, Outcome.false("Ready", "Resolving", message), "Resolving")
    return None


def _release_key(p: Pass) -> str:
    labels = p.meta.get("labels") or {}
    return f"{labels.get('it4it.dev/release-namespace')}/{labels.get('it4it.dev/release')}"


def _detected(p: Pass) -> None:
    """Detect's exit: a prioritised incident assigned to a resolver group (first pass)."""
    status, spec = p.status, p.spec
    if not status.get("phase"):
        first = _observed_since(p) or p.now
        p.w.update(
            phase="Detected",
            symptom=spec.symptom or (spec.symptoms[0] if spec.symptoms else None),
            occurrences=1,
            firstSeen=format_time(first),
            lastSeen=format_time(p.now),
            detectedAt=format_time(p.now),
        )
        p.log("Detected", f"{spec.source}: {spec.summary}")
        p.tell_consumer("Warning", "IncidentOpened", f"Incident {p.meta['name']}: {spec.summary}")
    sub = p.subscription()
    sla = (((sub or {}).get("status") or {}).get("contract") or {}).get("sla") or {}
    measured = impact_of(1 if sub else 0, sla.get("availability"))
    ranked = incident_priority(p.incident["spec"], measured, status.get("symptom"))
    offer_support = ((p.offer() or {}).get("spec") or {}).get("support") or {}
    release = p.release()
    group = offer_support.get("resolverGroup") or (
        release["metadata"]["namespace"] if release else p.namespace
    )
    p.w.update(priority=ranked.priority, resolverGroup=group)
    p.w.set(
        Outcome.true(
            "Detected",
            spec.source,
            f"{ranked.priority} ({ranked.message}); assigned to {group}.",
        )
    )


def _observed_since(p: Pass) -> dt.datetime | None:
    for observed in ((p.actual or {}).get("status") or {}).get("symptoms") or []:
        if observed.get("symptom") == p.spec.symptom:
            return _time(observed.get("since"))
    return None


def _diagnosed(p: Pass) -> None:
    """Diagnose Issue: the known error and the course of action (once), and self-help."""
    release = p.release()
    defects = ((release or {}).get("spec") or {}).get("knownDefects") or []
    support = ((p.offer() or {}).get("spec") or {}).get("support")
    matching = matching_defects(p.status.get("symptom"), p.spec.symptoms, defects)
    helped = self_help(support, matching)
    workarounds = [f"{w['id']}: {w['workaround']}" for w in helped.workarounds]
    p.w.update(knowledge=helped.knowledge or None, workarounds=workarounds or None)
    if p.status.get("courseOfAction"):
        return
    found = diagnose(p.status.get("symptom"), p.spec.symptoms, defects)
    p.w.update(
        courseOfAction=found.course_of_action,
        knownError=dict(found.known_error) if found.known_error else None,
        phase="Diagnosed" if p.status.get("phase") == "Detected" else p.status.get("phase"),
    )
    p.w.set(Outcome.true("Diagnosed", found.reason, found.message))
    p.log("Diagnosed", found.message)


def _symptom_present(p: Pass) -> bool:
    symptoms = {
        o.get("symptom") for o in ((p.actual or {}).get("status") or {}).get("symptoms") or []
    }
    if p.spec.source == "Detected":
        return p.status.get("symptom") in symptoms
    # Reported: something is wrong while the instance is unhealthy or Detect sees a symptom.
    health = ((p.actual or {}).get("status") or {}).get("health")
    return bool(symptoms) or health in ("Degraded", "Missing")


def _approved(p: Pass) -> bool:
    """An Approval naming the incident, by someone other than who reported it, that does not
    reject it (decision Rejected)."""
    reporter = (p.meta.get("annotations") or {}).get(REQUESTED_BY)
    found = p.ctx.kube.by_index("Approval", "Incident", f"{p.namespace}/{p.meta['name']}")
    return any(
        (not reporter or a["spec"].get("approver") != reporter)
        and a["spec"].get("decision", "Approved") != "Rejected"
        for a in found
    )


def _until(p: Pass, moment: dt.datetime | None) -> float | None:
    return None if moment is None else max(1.0, (moment - p.now).total_seconds())


def _resolve(p: Pass) -> float | None:
    status = p.status
    phase = status.get("phase")
    if phase == "Closed":
        p.w.set(Outcome.true("Resolved", "Closed", "The incident is closed."))
        p.w.set(Outcome.true("Ready", "Closed", "The incident is closed."), event=False)
        p.w.abnormal(RECONCILING, None)
        p.w.abnormal(STALLED, None)
        return None
    if phase == "Resolved":
        return _after_resolution(p)
    plan = p.operate()
    policy = plan.operate if plan else OperatePolicy()
    step = next_step(
        ResolveState.from_status(status),
        symptom_present=_symptom_present(p),
        now=p.now,
        max_attempts=policy.max_attempts,
        verify_seconds=policy.detect.verify_seconds,
        remediation=policy.remediation,
        approved=_approved(p),
        action_running=False,
        course_of_action=str(status.get("courseOfAction") or "Manual"),
    )
    p.w.update(**step.state.to_status())
    if step.occurrence:
        p.w.update(occurrences=int(status.get("occurrences") or 1) + 1, lastSeen=format_time(p.now))
        p.log("Recurred", step.message)
    if step.kind == "Execute":
        p.log("ActionStarted", f"{step.action} (attempt {step.attempt})")
        p.w.flush()  # the attempt is recorded before the action runs: never twice after a crash
        remediation.execute(p, str(step.action))
    if step.kind == "Resolved":
        detected = _time(status.get("detectedAt")) or p.now
        p.w.update(
            resolvedAt=format_time(p.now),
            timeToResolveSeconds=int((p.now - detected).total_seconds()),
        )
        p.log("Resolved", step.message)
        p.tell_consumer(
            "Normal", "IncidentResolved", f"Incident {p.meta['name']} is resolved: {step.message}"
        )
        return _after_resolution(p)
    if step.kind == "Escalate":
        if status.get("phase") != "Escalated" or not p.w.condition(STALLED):
            p.log("Escalated", step.message)
            group = status.get("resolverGroup")
            notify(
                p.ctx,
                p.incident,
                "Escalated",
                f"{step.message} Resolver group: {group}.",
                "Warning",
            )
        p.w.set(Outcome.false("Resolved", "Escalated", step.message))
        not_ready(p.w, Outcome.false("Ready", "Escalated", step.message), "Escalated", stalled=True)
        return _until(p, step.recheck_at)
    p.w.set(Outcome.false("Resolved", step.reason, step.message), event=step.kind != "Wait")
    not_ready(p.w, Outcome.false("Ready", step.reason, step.message), str(p.status.get("phase")))
    return _until(p, step.recheck_at)


def _after_resolution(p: Pass) -> float | None:
    """Resolved: a reported incident waits for its reporter's verdict, or closes itself."""
    message = "The symptom is gone and stayed gone; the incident is resolved."
    p.w.set(Outcome.true("Resolved", "Verified", message))
    p.w.set(Outcome.true("Ready", "Resolved", message), event=False)
    p.w.abnormal(RECONCILING, None)
    p.w.abnormal(STALLED, None)
    if p.spec.source != "Reported":
        return None
    verdict = acceptance_step(
        "Resolved",
        p.spec.acceptance,
        _time(p.status.get("resolvedAt")) or p.now,
        p.now,
        reported=True,
    )
    if verdict.action == "Close":
        p.w.update(phase="Closed", closedAt=format_time(p.now))
        p.log("Closed", verdict.message)
        p.w.set(Outcome.true("Resolved", "Closed", verdict.message))
        return None
    if verdict.action == "Reopen":
        p.w.update(phase="Resolving", resolvedAt=None, verifyingSince=None)
        p.log("Reopened", verdict.message)
        # The verdict is used up: the next resolution asks the reporter again.
        p.ctx.kube.patch(p.incident, {"spec": {"acceptance": None}})
        p.w.set(Outcome.false("Resolved", "Reopened", verdict.message))
        return 1.0
    return _until(p, verdict.until)
