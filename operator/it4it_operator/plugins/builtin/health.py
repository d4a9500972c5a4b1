"""Built-in health assessors: one Kubernetes kind's live state -> Healthy/Progressing/Degraded.

Validate Deployment: "Shall validate that all the components of the Product Instance are
running"; Observe Deployment watches the same verdicts over the observe window. The rules follow
kstatus (sigs.k8s.io/cli-utils), which Flux uses, so our verdicts agree with the tools an SRE
already has: a status older than the spec is Progressing, a rollout is done when every replica is
updated and available, and a controller's own failure conditions are Degraded. For workloads the
handler may pass the pods it listed; a failed or crash-looping pod makes the workload Degraded
before the rollout deadline would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from it4it_operator.plugins.interfaces import HealthReport

FAILING_WAIT_REASONS = frozenset(
    {"CrashLoopBackOff", "ImagePullBackOff", "CreateContainerConfigError", "InvalidImageName"}
)
"""Container waiting reasons that will not resolve without a change."""
RESTART_LIMIT = 3
"""A container restarted this many times is failing."""
LISTED = 3

Judge = Callable[[Mapping[str, Any], Sequence[Mapping[str, Any]]], HealthReport]


def _status(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("status") or {}


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def _condition(
    obj: Mapping[str, Any], type_: str, status: str = "True"
) -> Mapping[str, Any] | None:
    """The condition of `type_` when its status is `status`, else None."""
    for condition in _status(obj).get("conditions") or []:
        if condition.get("type") == type_ and condition.get("status") == status:
            return condition  # type: ignore[no-any-return]
    return None


def _said(condition: Mapping[str, Any]) -> str:
    return str(condition.get("message") or condition.get("reason") or condition.get("type"))


def _stale(obj: Mapping[str, Any]) -> HealthReport | None:
    """Progressing while the controller has not yet acted on the latest spec."""
    generation = (obj.get("metadata") or {}).get("generation")
    observed = _status(obj).get("observedGeneration")
    if generation is not None and (observed is None or observed < generation):
        return HealthReport(
            "Progressing", f"waiting for the controller to see generation {generation}"
        )
    return None


def _failure_reason(status: Mapping[str, Any]) -> str:
    """The pod's reason, else the first terminated container's "reason: message"."""
    if status.get("reason"):
        return str(status["reason"])
    for container in status.get("containerStatuses") or []:
        ended = (container.get("state") or {}).get("terminated") or {}
        if ended:
            said = ": ".join(str(ended[k]) for k in ("reason", "message") if ended.get(k))
            return f"container {container.get('name')} {said or 'terminated'}"
    return "no reason given"


def _pod_failures(pods: Sequence[Mapping[str, Any]]) -> list[str]:
    failures = []
    for pod in pods:
        name = (pod.get("metadata") or {}).get("name", "?")
        status = _status(pod)
        if status.get("phase") == "Failed":
            failures.append(f"pod {name} failed ({_failure_reason(status)})")
        containers = [
            *(status.get("initContainerStatuses") or []),
            *(status.get("containerStatuses") or []),
        ]
        for c in containers:
            waiting = (c.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in FAILING_WAIT_REASONS:
                failures.append(f"pod {name} container {c.get('name')} is in {waiting['reason']}")
            elif (c.get("restartCount") or 0) >= RESTART_LIMIT:
                failures.append(
                    f"pod {name} container {c.get('name')} restarted {c['restartCount']} times"
                )
    return failures


def _failing(pods: Sequence[Mapping[str, Any]]) -> HealthReport | None:
    failures = _pod_failures(pods)
    if not failures:
        return None
    more = f" and {len(failures) - LISTED} more" if len(failures) > LISTED else ""
    return HealthReport("Degraded", "; ".join(failures[:LISTED]) + more)


def _replicas(obj: Mapping[str, Any]) -> int:
    replicas = _spec(obj).get("replicas")
    return 1 if replicas is None else int(replicas)


def _rollout(want: int, **counts: int) -> HealthReport:
    """Healthy when every count equals `want`, else Progressing naming the counts."""
    shown = ", ".join(f"{n} {what}" for what, n in counts.items())
    if all(n == want for n in counts.values()):
        return HealthReport("Healthy", f"{want} of {want} replicas available")
    return HealthReport("Progressing", f"want {want} replicas: {shown}")


def deployment_health(obj: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> HealthReport:
    failing = _failing(pods) or _stale(obj)
    if failing:
        return failing
    failure = _condition(obj, "ReplicaFailure")
    if failure:
        return HealthReport("Degraded", f"ReplicaFailure: {_said(failure)}")
    stuck = _condition(obj, "Progressing", "False")
    if stuck and stuck.get("reason") == "ProgressDeadlineExceeded":
        return HealthReport("Degraded", f"ProgressDeadlineExceeded: {_said(stuck)}")
    status = _status(obj)
    return _rollout(
        _replicas(obj),
        updated=status.get("updatedReplicas") or 0,
        available=status.get("availableReplicas") or 0,
        total=status.get("replicas") or 0,
    )


def statefulset_health(obj: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> HealthReport:
    failing = _failing(pods) or _stale(obj)
    if failing:
        return failing
    status, strategy = _status(obj), _spec(obj).get("updateStrategy") or {}
    want = _replicas(obj)
    counts = {"ready": status.get("readyReplicas") or 0}
    partition = (strategy.get("rollingUpdate") or {}).get("partition") or 0
    if strategy.get("type", "RollingUpdate") == "RollingUpdate" and partition == 0:
        counts["updated"] = status.get("updatedReplicas") or 0
        if status.get("currentRevision") != status.get("updateRevision"):
            return HealthReport("Progressing", "rolling out a new revision")
    return _rollout(want, **counts)


def daemonset_health(obj: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> HealthReport:
    failing = _failing(pods) or _stale(obj)
    if failing:
        return failing
    status = _status(obj)
    counts = {"available": status.get("numberAvailable") or 0}
    if (_spec(obj).get("updateStrategy") or {}).get("type", "RollingUpdate") == "RollingUpdate":
        counts["updated"] = status.get("updatedNumberScheduled") or 0
    return _rollout(status.get("desiredNumberScheduled") or 0, **counts)


def job_health(obj: Mapping[str, Any], _pods: Sequence[Mapping[str, Any]]) -> HealthReport:
    if _condition(obj, "Complete"):
        return HealthReport("Healthy", "the job completed")
    failed = _condition(obj, "Failed") or _condition(obj, "FailureTarget")
    if failed:
        return HealthReport("Degraded", f"the job failed: {_said(failed)}")
    if _condition(obj, "Suspended"):
        return HealthReport("Progressing", "the job is suspended")
    status = _status(obj)
    return HealthReport(
        "Progressing",
        f"{status.get('active') or 0} active, {status.get('succeeded') or 0} succeeded, "
        f"{status.get('failed') or 0} failed pods",
    )


def service_health(obj: Mapping[str, Any], _pods: Sequence[Mapping[str, Any]]) -> HealthReport:
    if _spec(obj).get("type") != "LoadBalancer":
        return HealthReport("Healthy", "the service exists")
    if (_status(obj).get("loadBalancer") or {}).get("ingress"):
        return HealthReport("Healthy", "the load balancer has an address")
    return HealthReport("Progressing", "waiting for a load balancer address")


def pvc_health(obj: Mapping[str, Any], _pods: Sequence[Mapping[str, Any]]) -> HealthReport:
    phase = _status(obj).get("phase") or "Pending"
    if phase == "Bound":
        return HealthReport("Healthy", "the claim is bound")
    if phase == "Lost":
        return HealthReport("Degraded", "the claim lost its volume")
    return HealthReport("Progressing", f"the claim is {phase}")


def pod_health(obj: Mapping[str, Any], _pods: Sequence[Mapping[str, Any]]) -> HealthReport:
    failing = _failing([obj])
    if failing:
        return failing
    phase = _status(obj).get("phase") or "Pending"
    if phase == "Succeeded" or (phase == "Running" and _condition(obj, "Ready")):
        return HealthReport("Healthy", f"the pod is {phase}")
    return HealthReport("Progressing", f"the pod is {phase} and not ready")


@dataclass(frozen=True)
class KindAssessor:
    """A health assessor plugin built from one judging function."""

    name: str
    kinds: frozenset[tuple[str, str]]
    judge: Judge
    plugin_type: Literal["health"] = "health"

    def assess(
        self, obj: Mapping[str, Any], *, pods: Sequence[Mapping[str, Any]] = ()
    ) -> HealthReport:
        return self.judge(obj, pods)


DEPLOYMENT = KindAssessor("deployment", frozenset({("apps", "Deployment")}), deployment_health)
STATEFULSET = KindAssessor("statefulset", frozenset({("apps", "StatefulSet")}), statefulset_health)
DAEMONSET = KindAssessor("daemonset", frozenset({("apps", "DaemonSet")}), daemonset_health)
JOB = KindAssessor("job", frozenset({("batch", "Job")}), job_health)
SERVICE = KindAssessor("service", frozenset({("", "Service")}), service_health)
PERSISTENTVOLUMECLAIM = KindAssessor(
    "persistentvolumeclaim", frozenset({("", "PersistentVolumeClaim")}), pvc_health
)
POD = KindAssessor("pod", frozenset({("", "Pod")}), pod_health)
