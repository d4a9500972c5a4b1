"""Ensure Disaster Recovery Objectives (IT4IT 5.7.1): scheduled recovery drills of an instance.

"Ensuring that any capabilities listed in the business continuity/disaster recovery plan can
work within the boundaries of the Service Contract ... planned and triggered by the ... disaster
recovery plan activities calendar ... performing running (scheduled or random) disaster
recovery simulations." An offer's `operate.recovery` names the recovery time objective (RTO)
and the drill windows (the calendar). Once in each occurrence of a drill window, as soon as
every workload of the instance is available, a drill starts: the controller deletes the pods of
the workloads (the simulated disaster). This module judges the drill pass by pass from the
record kept in `status.recovery`, so a restarted operator goes on where it stopped:

- no drill due: look again when the next window opens;
- start: the first moment inside a window occurrence not drilled yet (`windowStart` older);
- running: not recovered, objective not elapsed: look again at the deadline;
- passed: every workload available again, with ready pods, within the objective (`met`);
- missed: the deadline passed and the workloads are still not available. The symptom
  RecoveryObjectiveMissed is then observed until they are back and raised as an Incident, so
  Diagnose and Resolve treat it as any other symptom. A drill seen recovered only after its
  deadline (the operator was down) missed its objective too.

From the start of a drill until the instance is available again it is down on purpose
(`under_way`): what detection sees then is counted, not raised. The clock is the caller's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from it4it_operator.api import conditions
from it4it_operator.stages.deploy.window import WindowError
from it4it_operator.stages.operate import recurring
from it4it_operator.stages.operate.detect import RECOVERY_OBJECTIVE_MISSED, desired_and_available
from it4it_operator.stages.outcome import Outcome
from it4it_operator.stages.release.wire import as_utc, dig, format_time, parse_time

RECOVERY_OBJECTIVE_MET = "RecoveryObjectiveMet"
"""The condition on the ActualProductInstance: did the last drill recover within the RTO?"""
WITHIN_OBJECTIVE = "WithinObjective"
OBJECTIVE_MISSED = "ObjectiveMissed"
DRILL_RUNNING = "DrillRunning"
DRILL_SCHEDULED = "DrillScheduled"
DRILL_REFUSED = "DrillRefused"
INVALID_DRILL_WINDOW = "InvalidDrillWindow"
DRILL_STARTED = "RecoveryDrillStarted"
DRILL_PASSED = "RecoveryDrillPassed"
DRILL_FAILED = "RecoveryDrillFailed"
DRILL_NOT_RUN = "RecoveryDrillRefused"
"""The Events of a drill that started, passed, failed, or could not delete the pods."""
FIELD = "spec.operate.recovery.drills"

Workload = tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]
"""A workload (Deployment, StatefulSet, DaemonSet) with the pods of its current revision."""
Action = Literal["Start", "Passed", "Failed"]


@dataclass(frozen=True)
class Drill:
    """What the recovery drill of one instance calls for now.

    `action`: Start (write `record`, then delete the pods), Passed or Failed (this pass judged
    the drill: tell people), or None. `record` is the next status.recovery (None: none yet),
    `condition` the RecoveryObjectiveMet verdict. `under_way` from the start of a drill until
    the instance is available again; `observations` and `breaches` hold RecoveryObjectiveMissed
    while it applies; `recheck_at` is when the verdict changes with nothing else changing.
    """

    action: Action | None
    record: dict[str, Any] | None
    condition: Outcome
    under_way: bool = False
    observations: tuple[dict[str, Any], ...] = ()
    breaches: tuple[dict[str, Any], ...] = ()
    recheck_at: datetime | None = None


def _ready(pod: Mapping[str, Any]) -> bool:
    if dig(pod, "metadata", "deletionTimestamp"):
        return False
    return conditions.is_true(dig(pod, "status", "conditions") or [], conditions.READY)


def available(workloads: Sequence[Workload]) -> bool:
    """Every workload has the replicas it wants available, by its status and by its ready pods:
    the pods a drill deleted are gone or terminating, so a workload status its controller has
    not updated yet does not pass for a recovery."""
    for workload, pods in workloads:
        desired, ready = desired_and_available(workload)
        if ready < desired or sum(1 for p in pods if _ready(p)) < desired:
            return False
    return True


def _time(record: Mapping[str, Any], key: str) -> datetime | None:
    try:
        return parse_time(record[key], field=key) if record.get(key) else None
    except ValueError:
        return None


def _verdict(record: Mapping[str, Any]) -> Outcome:
    """The RecoveryObjectiveMet condition that the record says."""
    started_at = _time(record, "lastDrillAt")
    started = format_time(started_at) if started_at else "an unknown time"
    objective = int(record.get("objectiveSeconds") or 0)
    if record.get("refused"):
        return Outcome.false(
            RECOVERY_OBJECTIVE_MET,
            DRILL_REFUSED,
            f"The recovery drill at {started} could not delete the pods: {record['refused']}",
        )
    seconds = record.get("recoverySeconds")
    if record.get("met") is None:
        by = f" by {format_time(started_at + _seconds(objective))}" if started_at else ""
        return Outcome.unknown(
            RECOVERY_OBJECTIVE_MET,
            DRILL_RUNNING,
            f"A recovery drill started at {started}: its pods were deleted; the workloads are "
            f"to be available again{by} (objective {objective}s).",
        )
    if record["met"]:
        return Outcome.true(
            RECOVERY_OBJECTIVE_MET,
            WITHIN_OBJECTIVE,
            f"The recovery drill at {started} recovered in {seconds}s, within the objective "
            f"of {objective}s.",
        )
    said = (
        f"recovered in {seconds}s, over the objective of {objective}s."
        if seconds is not None
        else f"did not recover within the objective of {objective}s; the workloads are not "
        "available yet."
    )
    return Outcome.false(
        RECOVERY_OBJECTIVE_MET, OBJECTIVE_MISSED, f"The recovery drill at {started} {said}"
    )


def _seconds(value: int) -> timedelta:
    return timedelta(seconds=value)


def _missed(record: Mapping[str, Any], deadline: datetime) -> dict[str, Any]:
    """The RecoveryObjectiveMissed observation (the shape of status.symptoms), stable per drill."""
    return {
        "symptom": RECOVERY_OBJECTIVE_MISSED,
        "since": format_time(deadline),
        "count": 1,
        "message": _verdict(record).message,
    }


def _judge(record: dict[str, Any], now: datetime, back: bool) -> Drill:
    """A drill under way: recovered, still running, or past its deadline."""
    started = _time(record, "lastDrillAt") or now
    deadline = started + _seconds(int(record.get("objectiveSeconds") or 0))
    missed_before = record.get("met") is False
    if back:
        seconds = max(0, int((now - started).total_seconds()))
        met = False if missed_before else seconds <= int(record.get("objectiveSeconds") or 0)
        done = {**record, "recoveredAt": format_time(now), "recoverySeconds": seconds, "met": met}
        action: Action | None = None if missed_before else ("Passed" if met else "Failed")
        breaches = () if met or missed_before else (_missed(done, deadline),)
        return Drill(action, done, _verdict(done), breaches=breaches)
    if now < deadline:
        return Drill(None, record, _verdict(record), under_way=True, recheck_at=deadline)
    missed = {**record, "met": False}
    seen = (_missed(missed, deadline),)
    return Drill(
        None if missed_before else "Failed",
        missed,
        _verdict(missed),
        under_way=True,
        observations=seen,
        breaches=seen,
    )


def _open(record: Mapping[str, Any]) -> bool:
    """Started, not refused, and not recovered yet (running, or past its deadline)."""
    started, over = record.get("lastDrillAt"), record.get("recoveredAt") or record.get("refused")
    return bool(started) and not over


def _next_opening(windows: recurring.Windows, now: datetime) -> datetime | None:
    """The next occurrence that opens after now: of a window closed now, or of any window after
    the period open now ends."""
    end = recurring.period_end(windows, now, FIELD)
    found = [
        recurring.next_start(windows, now, FIELD),
        recurring.next_start(windows, end, FIELD) if end else None,
    ]
    moments = [m for m in found if m is not None]
    return min(moments) if moments else None


def _schedule(
    windows: recurring.Windows,
    now: datetime,
    objective_seconds: int,
    record: dict[str, Any] | None,
    workloads: Sequence[Workload],
) -> Drill:
    """No drill under way: start one when an occurrence not drilled yet is open."""
    opening = recurring.latest_opening(windows, now, FIELD)
    drilled = _time(record, "windowStart") if record else None
    due = opening is not None and (drilled is None or drilled < opening)
    if due and workloads and available(workloads):
        started = {
            "drills": int((record or {}).get("drills") or 0) + 1,
            "lastDrillAt": format_time(now),
            "windowStart": format_time(opening) if opening else None,
            "objectiveSeconds": objective_seconds,
            # cleared explicitly: status is merge-patched
            "recoveredAt": None,
            "recoverySeconds": None,
            "met": None,
            "refused": None,
        }
        running = {k: v for k, v in started.items() if v is not None}
        return Drill(
            "Start",
            started,
            _verdict(running),
            under_way=True,
            recheck_at=now + _seconds(objective_seconds),
        )
    next_at = _next_opening(windows, now)
    if record:
        return Drill(None, record, _verdict(record), recheck_at=next_at)
    if due:
        message = (
            "A recovery drill is due; it starts once every workload of the instance is available."
            if workloads
            else "The instance has no workload (Deployment, StatefulSet, DaemonSet) to recover."
        )
    elif next_at is not None:
        message = f"No recovery drill has run yet; the next may start at {format_time(next_at)}."
    else:
        message = "No drill window is set (spec.operate.recovery.drills); no drill runs."
    scheduled = Outcome.unknown(RECOVERY_OBJECTIVE_MET, DRILL_SCHEDULED, message)
    return Drill(None, None, scheduled, recheck_at=next_at)


def recovery_drill(
    windows: recurring.Windows,
    now: datetime,
    objective_seconds: int,
    last: Mapping[str, Any] | None,
    workloads: Sequence[Workload],
) -> Drill:
    """Judge the recovery drill of an instance at `now` (timezone-aware).

    `windows` are spec.operate.recovery.drills (wire form), `objective_seconds` the RTO a new
    drill is judged against, `last` the instance's status.recovery, `workloads` its workloads
    with their current pods. A malformed window is a False condition naming it.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = as_utc(now)
    record = dict(last) if last else None
    if record and _open(record):
        return _judge(record, now, bool(workloads) and available(workloads))
    try:
        return _schedule(list(windows), now, objective_seconds, record, workloads)
    except WindowError as error:
        invalid = Outcome.false(RECOVERY_OBJECTIVE_MET, INVALID_DRILL_WINDOW, str(error))
        return Drill(None, record, invalid)


def drill_refused(drill: Drill, message: str) -> Drill:
    """The drill just started could not delete the pods: it measured nothing and is over."""
    record = {**(drill.record or {}), "refused": message[:4096]}
    return replace(
        drill, record=record, condition=_verdict(record), under_way=False, recheck_at=None
    )
