"""Detect Issue (IT4IT 5.7.2): turn what an instance's workloads show into Incidents.

"Shall create Events and/or Incidents when defined policies or thresholds are breached." The
controller gathers the live state (object health, pods, workload replicas, drift, measured
availability); this module names what it sees as a symptom class, remembers since when
(`status.symptoms`, so a restart of the operator loses nothing), and says which symptoms crossed
the offer's `operate.detect` thresholds. One observation per symptom class: with the instance,
the class is the Incident's dedup key.

| symptom                 | observed while                               | breaches               |
|-------------------------|----------------------------------------------|------------------------|
| ObjectMissing           | an applied object is Missing                 | at once                |
| WorkloadUnavailable     | availableReplicas < desired replicas         | after unavailableSec.  |
| SlaBreached             | measured availability below the SLA target   | at once                |
| PodFailed               | pods Failed within the last windowSeconds    | count >= failures      |
| CrashLoopBackOff        | a container waits in CrashLoopBackOff        | after unavailableSec/2 |
| PodRestarting           | a container restarted at least once          | restarts >= restarts   |
| Drifted                 | live objects differ from the desired model   | at once                |
| RecoveryObjectiveMissed | a recovery drill's pods are not back in time | at once                |

RecoveryObjectiveMissed is observed by the recovery drill (`recovery`), not by `detect`: the
drill's workloads were not available again within the offer's recovery time objective.

Why CrashLoopBackOff waits half of unavailableSeconds: kubelet puts a container into back-off
after its very first crash, for 10 s, so "at once" would raise an Incident for every single
crash; half the unavailability budget lets a one-off crash pass and still raises a real loop
well before the workload counts as unavailable (30 s with the defaults). Between two back-offs a
looping container runs for a moment; while the observation is open, a container that restarted
and has run less than CRASH_LOOP_BRIDGE_SECONDS (or has just terminated) still counts, so that
moment does not reset the observation's `since`. A looping container does not count as
PodRestarting as well: one cause, one Incident.

The caller passes the pods of the current revision only (the newest ReplicaSet's), so failures
of a release already rolled back are not counted against the one that replaced it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from it4it_operator.stages.consume.service_status import sla_met
from it4it_operator.stages.release.wire import as_utc, dig, format_time, parse_time

OBJECT_MISSING = "ObjectMissing"
WORKLOAD_UNAVAILABLE = "WorkloadUnavailable"
SLA_BREACHED = "SlaBreached"
POD_FAILED = "PodFailed"
CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"
POD_RESTARTING = "PodRestarting"
DRIFTED = "Drifted"
RECOVERY_OBJECTIVE_MISSED = "RecoveryObjectiveMissed"
SYMPTOMS = (
    OBJECT_MISSING,
    WORKLOAD_UNAVAILABLE,
    SLA_BREACHED,
    POD_FAILED,
    CRASH_LOOP_BACK_OFF,
    POD_RESTARTING,
    DRIFTED,
    RECOVERY_OBJECTIVE_MISSED,
)
"""Every symptom class, in the order observations are written to status. The recovery drill
(`stages.operate.recovery`), not `detect`, observes RecoveryObjectiveMissed."""

CRASH_LOOP_BRIDGE_SECONDS = 30
"""How long a restarted container may run before an open CrashLoopBackOff observation ends."""
LISTED = 5
"""At most this many things are named in a message."""
_TERMINAL = frozenset({"Failed", "Succeeded"})


@dataclass(frozen=True)
class Thresholds:
    """The offer's `operate.detect`; the defaults are those of the API (DetectPolicy)."""

    failures: int = 2
    window_seconds: int = 300
    unavailable_seconds: int = 60
    restarts: int = 3

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> Thresholds:
        """Thresholds from the wire form {failures, windowSeconds, unavailableSeconds, restarts};
        absent or null keys take the defaults."""
        spec = spec or {}
        default = cls()

        def pick(key: str, fallback: int) -> int:
            value = spec.get(key)
            return fallback if value is None else int(value)

        return cls(
            failures=pick("failures", default.failures),
            window_seconds=pick("windowSeconds", default.window_seconds),
            unavailable_seconds=pick("unavailableSeconds", default.unavailable_seconds),
            restarts=pick("restarts", default.restarts),
        )


@dataclass(frozen=True)
class Detection:
    """The verdict of one look at an instance.

    `observations` is the new `status.symptoms` [{symptom, since, count, message}];
    `breaches` the observations that warrant an Incident, same shape; `recheck_at` the earliest
    time at which the verdict would change with nothing else changing in the cluster (a symptom
    reaching its duration threshold, or a counted pod failure or crash leaving its window), so
    the controller schedules itself for that moment instead of polling.
    """

    observations: list[dict[str, Any]]
    breaches: list[dict[str, Any]]
    recheck_at: datetime | None

    def present(self, symptom: str) -> bool:
        """Whether `symptom` is observed now (breaching or not): `symptom_present` for resolve."""
        return any(o["symptom"] == symptom for o in self.observations)


@dataclass(frozen=True)
class _Finding:
    count: int
    message: str
    threshold_met: bool = True
    hold_seconds: float = 0
    expires_at: datetime | None = None


def _listing(names: Sequence[str]) -> str:
    more = f" and {len(names) - LISTED} more" if len(names) > LISTED else ""
    return ", ".join(names[:LISTED]) + more


def _time(value: object) -> datetime | None:
    try:
        return parse_time(value, field="time")
    except ValueError:
        return None


def _containers(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    status = pod.get("status") or {}
    return [
        *(status.get("initContainerStatuses") or []),
        *(status.get("containerStatuses") or []),
    ]


def _pod_name(pod: Mapping[str, Any]) -> str:
    return str(dig(pod, "metadata", "name") or "?")


def _live(pod: Mapping[str, Any]) -> bool:
    """Running or pending, not on its way out: the pods whose containers may loop or restart."""
    return dig(pod, "status", "phase") not in _TERMINAL and not dig(
        pod, "metadata", "deletionTimestamp"
    )


def _failed_at(pod: Mapping[str, Any], now: datetime) -> datetime:
    """When the pod failed: its last container's finish, else its start, else its creation."""
    finished = [_time(dig(c, "state", "terminated", "finishedAt")) for c in _containers(pod)]
    known = [t for t in finished if t is not None]
    if known:
        return max(known)
    return (
        _time(dig(pod, "status", "startTime"))
        or _time(dig(pod, "metadata", "creationTimestamp"))
        or now
    )


def _pod_failed(
    pods: Sequence[Mapping[str, Any]], limits: Thresholds, now: datetime
) -> _Finding | None:
    window = timedelta(seconds=limits.window_seconds)
    failed = [
        (_pod_name(p), _failed_at(p, now)) for p in pods if dig(p, "status", "phase") == "Failed"
    ]
    recent = sorted((at, name) for name, at in failed if now - at < window)
    if not recent:
        return None
    return _Finding(
        count=len(recent),
        message=f"{len(recent)} pod(s) failed in the last {limits.window_seconds}s: "
        f"{_listing([name for _, name in recent])}.",
        threshold_met=len(recent) >= limits.failures,
        expires_at=recent[0][0] + window,
    )


def _looping(
    container: Mapping[str, Any], bridging: bool, now: datetime
) -> tuple[bool, datetime | None]:
    """Whether the container is crash looping, and until when a bridged run still counts."""
    if dig(container, "state", "waiting", "reason") == CRASH_LOOP_BACK_OFF:
        return True, None
    if not bridging or int(container.get("restartCount") or 0) < 1:
        return False, None
    if dig(container, "state", "terminated") is not None:
        return True, None
    started = _time(dig(container, "state", "running", "startedAt"))
    bridge_ends = started + timedelta(seconds=CRASH_LOOP_BRIDGE_SECONDS) if started else None
    if bridge_ends is not None and now < bridge_ends:
        return True, bridge_ends
    return False, None


def _restarts(
    pods: Sequence[Mapping[str, Any]],
    limits: Thresholds,
    now: datetime,
    crash_loop_open: bool,
) -> tuple[_Finding | None, _Finding | None]:
    """The CrashLoopBackOff and PodRestarting findings over the live pods' containers."""
    looping: list[str] = []
    bridges: list[datetime] = []
    restarted: list[tuple[int, str]] = []
    for pod in filter(_live, pods):
        for container in _containers(pod):
            name = f"{_pod_name(pod)}/{container.get('name') or '?'}"
            loops, bridge_ends = _looping(container, crash_loop_open, now)
            restarts = int(container.get("restartCount") or 0)
            if loops:
                looping.append(f"{name} ({restarts} restarts)")
                if bridge_ends is not None:
                    bridges.append(bridge_ends)
            elif restarts >= 1:
                restarted.append((restarts, name))
    crash = None
    if looping:
        crash = _Finding(
            count=len(looping),
            message=f"Crash looping: {_listing(looping)}.",
            hold_seconds=limits.unavailable_seconds / 2,
            expires_at=max(bridges) if len(bridges) == len(looping) else None,
        )
    restarting = None
    if restarted:
        restarted.sort(key=lambda r: (-r[0], r[1]))
        most = restarted[0][0]
        restarting = _Finding(
            count=most,
            message="Restarted containers: "
            f"{_listing([f'{name} ({n})' for n, name in restarted])}.",
            threshold_met=most >= limits.restarts,
        )
    return crash, restarting


def desired_and_available(workload: Mapping[str, Any]) -> tuple[int, int]:
    """How many replicas (a DaemonSet: scheduled pods) a workload wants and has available."""
    status = workload.get("status") or {}
    if "desiredNumberScheduled" in status:  # a DaemonSet
        return int(status["desiredNumberScheduled"] or 0), int(status.get("numberAvailable") or 0)
    replicas = dig(workload, "spec", "replicas")
    desired = 1 if replicas is None else int(replicas)
    return desired, int(status.get("availableReplicas") or 0)


def _unavailable(workloads: Sequence[Mapping[str, Any]], limits: Thresholds) -> _Finding | None:
    short = []
    for workload in workloads:
        desired, available = desired_and_available(workload)
        if available < desired:
            name = f"{workload.get('kind') or 'Deployment'}/{dig(workload, 'metadata', 'name')}"
            short.append(f"{name} ({available} of {desired} available)")
    if not short:
        return None
    return _Finding(
        count=len(short),
        message=f"Not all replicas are available: {_listing(short)}.",
        hold_seconds=limits.unavailable_seconds,
    )


def _missing(objects: Sequence[Mapping[str, Any]]) -> _Finding | None:
    missing = [f"{o.get('kind')}/{o.get('name')}" for o in objects if o.get("health") == "Missing"]
    if not missing:
        return None
    return _Finding(len(missing), f"Not found in the cluster: {_listing(missing)}.")


def _drifted(drift: Sequence[str]) -> _Finding | None:
    if not drift:
        return None
    return _Finding(
        len(drift), f"The live objects differ from the desired model: {_listing(list(drift))}."
    )


def _sla(availability: str | None, sla: str | None) -> _Finding | None:
    if sla_met(availability, sla) is not False:
        return None
    target = str(sla).rstrip("%").strip()
    return _Finding(1, f"Availability {availability}% is below the SLA target of {target}%.")


def _since(previous: Sequence[Mapping[str, Any]] | None) -> dict[str, datetime]:
    since: dict[str, datetime] = {}
    for entry in previous or []:
        at = _time(entry.get("since"))
        if at is not None and entry.get("symptom"):
            since[str(entry["symptom"])] = at
    return since


def detect(
    *,
    objects: Sequence[Mapping[str, Any]] = (),
    pods: Sequence[Mapping[str, Any]] = (),
    drift: Sequence[str] = (),
    workloads: Sequence[Mapping[str, Any]] = (),
    availability: str | None = None,
    sla: str | None = None,
    thresholds: Mapping[str, Any] | Thresholds | None = None,
    now: datetime,
    previous: Sequence[Mapping[str, Any]] | None = None,
) -> Detection:
    """Observe the instance at `now` and say which symptoms breach their thresholds.

    `objects` are status.objects [{kind, name, health, message}], `pods` the Pod objects of the
    current revision, `workloads` the Deployment/StatefulSet/DaemonSet objects, `drift` the
    drift sentences, `availability` and `sla` percent strings, `previous` the persisted
    `status.symptoms`. An observation keeps the `since` it had in `previous` while the symptom
    stays, gets `since=now` when first seen, and is dropped once the symptom is gone.
    """
    now = as_utc(now)
    limits = thresholds if isinstance(thresholds, Thresholds) else Thresholds.from_spec(thresholds)
    since = _since(previous)
    crash, restarting = _restarts(pods, limits, now, CRASH_LOOP_BACK_OFF in since)
    findings: dict[str, _Finding | None] = {
        OBJECT_MISSING: _missing(objects),
        WORKLOAD_UNAVAILABLE: _unavailable(workloads, limits),
        SLA_BREACHED: _sla(availability, sla),
        POD_FAILED: _pod_failed(pods, limits, now),
        CRASH_LOOP_BACK_OFF: crash,
        POD_RESTARTING: restarting,
        DRIFTED: _drifted(drift),
    }
    observations: list[dict[str, Any]] = []
    breaches: list[dict[str, Any]] = []
    moments: list[datetime] = []
    for symptom in SYMPTOMS:
        finding = findings.get(symptom)
        if finding is None:
            continue
        first = min(since.get(symptom, now), now)
        entry = {
            "symptom": symptom,
            "since": format_time(first),
            "count": finding.count,
            "message": finding.message,
        }
        observations.append(entry)
        if finding.expires_at is not None:
            moments.append(finding.expires_at)
        if not finding.threshold_met:
            continue
        breach_at = first + timedelta(seconds=finding.hold_seconds)
        if now >= breach_at:
            breaches.append(dict(entry))
        else:
            moments.append(breach_at)
    return Detection(observations, breaches, min(moments) if moments else None)
