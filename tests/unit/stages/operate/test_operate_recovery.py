"""Ensure Disaster Recovery Objectives: one drill per window occurrence, judged by the RTO."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from it4it_operator.stages.operate.recovery import (
    DRILL_REFUSED,
    DRILL_RUNNING,
    DRILL_SCHEDULED,
    INVALID_DRILL_WINDOW,
    OBJECTIVE_MISSED,
    WITHIN_OBJECTIVE,
    Workload,
    available,
    drill_refused,
    recovery_drill,
)

SATURDAY_NIGHT = {"days": ["Sat"], "start": "02:00", "end": "04:00", "timeZone": "UTC"}
OBJECTIVE = 60


def at(text: str) -> datetime:
    """2026-01-10 is a Saturday."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def deployment(available_replicas: int, replicas: int = 1) -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": replicas},
        "status": {"availableReplicas": available_replicas},
    }


def pod(name: str, ready: bool = True) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


UP: list[Workload] = [(deployment(1), [pod("web-a")])]
STALE: list[Workload] = [(deployment(1), [])]
"""Just drilled: the Deployment's status is not updated yet, its pods are gone."""
STARTING: list[Workload] = [(deployment(0), [pod("web-b", ready=False)])]


def running(**more: Any) -> dict[str, Any]:
    """The record of the drill that started at the window's opening."""
    return {
        "drills": 1,
        "lastDrillAt": "2026-01-10T02:00:00Z",
        "windowStart": "2026-01-10T02:00:00Z",
        "objectiveSeconds": OBJECTIVE,
        **more,
    }


PASSED = running(recoveredAt="2026-01-10T02:00:40Z", recoverySeconds=40, met=True)


@pytest.mark.parametrize(
    ("now", "last", "workloads", "action", "reason", "recheck_at"),
    [
        pytest.param(
            "2026-01-09T12:00",
            None,
            UP,
            None,
            DRILL_SCHEDULED,
            "2026-01-10T02:00",
            id="before the window no drill is due: look again when it opens",
        ),
        pytest.param(
            "2026-01-10T02:00",
            None,
            UP,
            "Start",
            DRILL_RUNNING,
            "2026-01-10T02:01",
            id="at the window's opening a drill starts and is judged at its deadline",
        ),
        pytest.param(
            "2026-01-10T03:30",
            None,
            UP,
            "Start",
            DRILL_RUNNING,
            "2026-01-10T03:31",
            id="later inside an occurrence not drilled yet a drill starts",
        ),
        pytest.param(
            "2026-01-10T03:00",
            PASSED,
            UP,
            None,
            WITHIN_OBJECTIVE,
            "2026-01-17T02:00",
            id="an occurrence already drilled is not drilled again",
        ),
        pytest.param(
            "2026-01-17T02:00",
            PASSED,
            UP,
            "Start",
            DRILL_RUNNING,
            "2026-01-17T02:01",
            id="the next occurrence is drilled again",
        ),
        pytest.param(
            "2026-01-10T02:00",
            None,
            STARTING,
            None,
            DRILL_SCHEDULED,
            "2026-01-17T02:00",
            id="an instance that is not available is not drilled",
        ),
        pytest.param(
            "2026-01-10T02:00",
            None,
            [],
            None,
            DRILL_SCHEDULED,
            "2026-01-17T02:00",
            id="an instance without workloads is not drilled",
        ),
        pytest.param(
            "2026-01-10T02:00:30",
            running(),
            STALE,
            None,
            DRILL_RUNNING,
            "2026-01-10T02:01",
            id="a workload status not updated yet is no recovery: look again at the deadline",
        ),
        pytest.param(
            "2026-01-10T02:00:40",
            running(),
            UP,
            "Passed",
            WITHIN_OBJECTIVE,
            None,
            id="back within the objective, the drill passed",
        ),
        pytest.param(
            "2026-01-10T02:01:00",
            running(),
            UP,
            "Passed",
            WITHIN_OBJECTIVE,
            None,
            id="back exactly at the objective, the drill passed",
        ),
        pytest.param(
            "2026-01-10T02:01:00",
            running(),
            STARTING,
            "Failed",
            OBJECTIVE_MISSED,
            None,
            id="still down at the deadline, the objective is missed",
        ),
        pytest.param(
            "2026-01-10T02:05",
            running(met=False),
            STARTING,
            None,
            OBJECTIVE_MISSED,
            None,
            id="missed and still down: nothing new to tell",
        ),
        pytest.param(
            "2026-01-10T02:02",
            running(),
            UP,
            "Failed",
            OBJECTIVE_MISSED,
            None,
            id="seen back only after the deadline, the objective is missed",
        ),
    ],
)
def test_recovery_drill(
    now: str,
    last: dict[str, Any] | None,
    workloads: list[Workload],
    action: str | None,
    reason: str,
    recheck_at: str | None,
) -> None:
    drill = recovery_drill([SATURDAY_NIGHT], at(now), OBJECTIVE, last, workloads)
    assert drill.action == action
    assert drill.condition.reason == reason
    assert drill.recheck_at == (at(recheck_at) if recheck_at else None)
    assert drill.condition.message


def test_a_drill_is_recorded_with_its_window_occurrence_and_objective() -> None:
    drill = recovery_drill([SATURDAY_NIGHT], at("2026-01-17T02:10"), 90, PASSED, UP)
    assert drill.record is not None
    assert {k: v for k, v in drill.record.items() if v is not None} == {
        "drills": 2,
        "lastDrillAt": "2026-01-17T02:10:00Z",
        "windowStart": "2026-01-17T02:00:00Z",
        "objectiveSeconds": 90,
    }
    assert drill.record["met"] is None and drill.record["recoveredAt"] is None, (
        "the last drill's verdict is cleared (status is merge-patched)"
    )
    assert drill.under_way and drill.condition.status == "Unknown"


def test_a_passed_drill_records_the_measured_recovery_time() -> None:
    drill = recovery_drill([SATURDAY_NIGHT], at("2026-01-10T02:00:40"), OBJECTIVE, running(), UP)
    assert drill.record == PASSED
    assert (drill.condition.status, drill.under_way, drill.breaches) == ("True", False, ())
    assert "40s" in drill.condition.message and "60s" in drill.condition.message


def test_a_missed_objective_is_a_symptom_until_the_workloads_are_back() -> None:
    missed = recovery_drill(
        [SATURDAY_NIGHT], at("2026-01-10T02:01:30"), OBJECTIVE, running(), STARTING
    )
    assert missed.record is not None and missed.record["met"] is False
    assert [o["symptom"] for o in missed.observations] == ["RecoveryObjectiveMissed"]
    assert missed.observations[0]["since"] == "2026-01-10T02:01:00Z", "since the deadline"
    assert missed.breaches == missed.observations
    assert missed.under_way, "the instance is still down on purpose: detection counts"
    back = recovery_drill([SATURDAY_NIGHT], at("2026-01-10T02:05"), OBJECTIVE, missed.record, UP)
    assert back.record is not None
    assert (back.record["met"], back.record["recoverySeconds"]) == (False, 300)
    assert (back.observations, back.breaches, back.under_way) == ((), (), False)
    assert back.condition.status == "False" and "300s" in back.condition.message


def test_a_drill_seen_back_late_is_raised_once_without_an_open_symptom() -> None:
    drill = recovery_drill([SATURDAY_NIGHT], at("2026-01-10T02:02"), OBJECTIVE, running(), UP)
    assert [b["symptom"] for b in drill.breaches] == ["RecoveryObjectiveMissed"]
    assert drill.observations == (), "the workloads are back: the incident can be verified"


def test_a_window_opening_inside_a_drilled_period_is_drilled_too() -> None:
    later = {"days": ["Sat"], "start": "03:00", "end": "05:00", "timeZone": "UTC"}
    drilled = recovery_drill([SATURDAY_NIGHT, later], at("2026-01-10T02:30"), OBJECTIVE, PASSED, UP)
    assert drilled.action is None and drilled.recheck_at == at("2026-01-10T03:00")
    drill = recovery_drill([SATURDAY_NIGHT, later], at("2026-01-10T03:00"), OBJECTIVE, PASSED, UP)
    assert drill.action == "Start"
    assert drill.record is not None and drill.record["windowStart"] == "2026-01-10T03:00:00Z"


def test_a_refused_drill_measured_nothing_and_the_next_occurrence_is_drilled() -> None:
    started = recovery_drill([SATURDAY_NIGHT], at("2026-01-10T02:00"), OBJECTIVE, None, UP)
    refused = drill_refused(started, "pods is forbidden")
    assert (refused.condition.status, refused.condition.reason) == ("False", DRILL_REFUSED)
    assert "pods is forbidden" in refused.condition.message
    assert not refused.under_way
    same = recovery_drill(
        [SATURDAY_NIGHT], at("2026-01-10T02:30"), OBJECTIVE, refused.record, STALE
    )
    assert same.action is None, "not judged as a drill, not started again in the occurrence"
    nxt = recovery_drill([SATURDAY_NIGHT], at("2026-01-17T02:00"), OBJECTIVE, refused.record, UP)
    assert nxt.action == "Start"


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        pytest.param([], "No drill window is set", id="without windows no drill runs"),
        pytest.param([{}], "No drill window is set", id="an empty entry is no window"),
    ],
)
def test_without_drill_windows_nothing_runs(windows: list[Any], message: str) -> None:
    drill = recovery_drill(windows, at("2026-01-10T02:00"), OBJECTIVE, None, UP)
    assert (drill.action, drill.record, drill.recheck_at) == (None, None, None)
    assert message in drill.condition.message


def test_a_malformed_window_names_its_place_in_the_list() -> None:
    bad = {**SATURDAY_NIGHT, "timeZone": "Mars/Olympus"}
    drill = recovery_drill([SATURDAY_NIGHT, bad], at("2026-01-10T02:00"), OBJECTIVE, None, UP)
    assert (drill.action, drill.condition.reason) == (None, INVALID_DRILL_WINDOW)
    assert "spec.operate.recovery.drills[1].timeZone" in drill.condition.message


@pytest.mark.parametrize(
    ("workloads", "expected"),
    [
        pytest.param(UP, True, id="every replica available with a ready pod"),
        pytest.param(STALE, False, id="a status saying available without ready pods"),
        pytest.param(STARTING, False, id="a new pod not ready yet"),
        pytest.param(
            [(deployment(2, replicas=2), [pod("a"), pod("b", ready=False)])],
            False,
            id="fewer ready pods than replicas",
        ),
        pytest.param(
            [(deployment(1), [{**pod("a"), "metadata": {"deletionTimestamp": "x"}}])],
            False,
            id="a terminating pod does not count",
        ),
    ],
)
def test_available(workloads: list[Workload], expected: bool) -> None:
    assert available(workloads) is expected


def test_the_clock_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        recovery_drill([SATURDAY_NIGHT], datetime(2026, 1, 10, 2), OBJECTIVE, None, UP)
