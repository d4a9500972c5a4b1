"""Detect Issue: symptoms of an instance's live state, since when, and which breach."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from it4it_operator.stages.operate.detect import (
    CRASH_LOOP_BACK_OFF,
    DRIFTED,
    OBJECT_MISSING,
    POD_FAILED,
    POD_RESTARTING,
    SLA_BREACHED,
    WORKLOAD_UNAVAILABLE,
    Detection,
    Thresholds,
    detect,
)
from it4it_operator.stages.release.wire import format_time

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def container(
    restarts: int = 0,
    *,
    waiting: str | None = None,
    running_since: datetime | None = None,
    terminated_at: datetime | None = None,
    name: str = "web",
) -> dict[str, Any]:
    state: dict[str, Any] = {}
    if waiting:
        state["waiting"] = {"reason": waiting}
    if running_since:
        state["running"] = {"startedAt": format_time(running_since)}
    if terminated_at:
        state["terminated"] = {"finishedAt": format_time(terminated_at), "reason": "Error"}
    return {"name": name, "restartCount": restarts, "state": state}


def pod(
    name: str,
    phase: str = "Running",
    *containers: dict[str, Any],
    created: datetime = T0,
    deleting: bool = False,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "creationTimestamp": format_time(created)}
    if deleting:
        metadata["deletionTimestamp"] = format_time(created)
    return {
        "metadata": metadata,
        "status": {
            "phase": phase,
            "startTime": format_time(created),
            "containerStatuses": list(containers) or [container()],
        },
    }


def failed(name: str, at: datetime) -> dict[str, Any]:
    return pod(name, "Failed", container(terminated_at=at), created=at - timedelta(seconds=1))


def deployment(replicas: int, available: int, name: str = "shop-web") -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"replicas": replicas},
        "status": {"availableReplicas": available},
    }


def symptoms(detection: Detection) -> list[str]:
    return [o["symptom"] for o in detection.observations]


def breached(detection: Detection) -> list[str]:
    return [b["symptom"] for b in detection.breaches]


def test_a_healthy_instance_shows_nothing_and_schedules_nothing() -> None:
    detection = detect(
        objects=[{"kind": "Deployment", "name": "shop-web", "health": "Healthy"}],
        pods=[pod("shop-web-1")],
        workloads=[deployment(2, 2)],
        availability="100.00",
        sla="99.5",
        now=T0,
    )
    assert detection == Detection([], [], None)


def test_a_single_pod_that_failed_and_was_replaced_does_not_breach() -> None:
    detection = detect(
        pods=[failed("shop-web-1", later(-10)), pod("shop-web-2")],
        workloads=[deployment(1, 1)],
        thresholds={"failures": 2},
        now=T0,
    )
    assert symptoms(detection) == [POD_FAILED]
    assert detection.observations[0]["count"] == 1
    assert detection.breaches == []
    assert detection.recheck_at == later(-10 + 300), "the failure leaves the window then"


@pytest.mark.parametrize(
    ("failures_at", "count", "breaches"),
    [
        pytest.param([-20, -5], 2, True, id="two failures within the window breach"),
        pytest.param([-400, -5], 1, False, id="a failure older than the window is not counted"),
        pytest.param([-400, -350], 0, False, id="failures all older than the window are gone"),
    ],
)
def test_pod_failures_are_counted_within_the_window(
    failures_at: list[int], count: int, breaches: bool
) -> None:
    pods = [failed(f"shop-web-{i}", later(s)) for i, s in enumerate(failures_at)]
    detection = detect(pods=pods, now=T0)
    counts = {o["symptom"]: o["count"] for o in detection.observations}
    assert counts.get(POD_FAILED, 0) == count
    assert (POD_FAILED in breached(detection)) is breaches


def test_a_failed_pod_without_finished_containers_dates_from_its_start() -> None:
    old = pod("shop-web-1", "Failed", container(), created=later(-600))
    assert detect(pods=[old], now=T0).observations == []


Scenario = Callable[[datetime], dict[str, Any]]


def pods_keep_failing(now: datetime) -> dict[str, Any]:
    """A release whose pods fail a second after they start, each replaced at once."""
    elapsed = int((now - T0).total_seconds())
    gone = [failed(f"shop-web-{i}", later(i * 2)) for i in range(elapsed // 2 + 1)]
    return {"pods": [*gone, pod("shop-web-next")], "workloads": [deployment(1, 0)]}


def container_crash_loops(now: datetime) -> dict[str, Any]:
    return {
        "pods": [pod("shop-web-1", "Running", container(1, waiting=CRASH_LOOP_BACK_OFF))],
        "workloads": [deployment(1, 0)],
    }


def never_becomes_available(now: datetime) -> dict[str, Any]:
    pending = pod("shop-web-1", "Pending", container(waiting="ImagePullBackOff"))
    return {"pods": [pending], "workloads": [deployment(1, 0)]}


@pytest.mark.parametrize(
    ("scenario", "symptom"),
    [
        pytest.param(pods_keep_failing, POD_FAILED, id="pods that keep failing"),
        pytest.param(container_crash_loops, CRASH_LOOP_BACK_OFF, id="a crash looping container"),
        pytest.param(never_becomes_available, WORKLOAD_UNAVAILABLE, id="a pod that never starts"),
    ],
)
def test_a_persistent_failure_breaches_within_a_minute_with_the_defaults(
    scenario: Scenario, symptom: str
) -> None:
    now, previous = T0, None
    while now <= later(120):
        detection = detect(**scenario(now), now=now, previous=previous)
        if symptom in breached(detection):
            break
        previous = detection.observations
        # The controller looks again at recheck_at, or sooner when a pod changes (a watch).
        now = min(detection.recheck_at or later(1000), now + timedelta(seconds=10))
    assert symptom in breached(detection)
    assert now - T0 <= timedelta(seconds=60)


def test_an_observation_keeps_its_since_while_the_symptom_stays_and_goes_when_it_goes() -> None:
    unavailable: dict[str, Any] = {"workloads": [deployment(3, 1)]}
    first = detect(**unavailable, now=T0)
    assert first.observations == [
        {
            "symptom": WORKLOAD_UNAVAILABLE,
            "since": "2026-03-02T10:00:00Z",
            "count": 1,
            "message": "Not all replicas are available: Deployment/shop-web (1 of 3 available).",
        }
    ]
    assert first.recheck_at == later(60)
    second = detect(**unavailable, now=later(30), previous=first.observations)
    assert second.observations == first.observations
    assert second.breaches == []
    third = detect(**unavailable, now=later(60), previous=second.observations)
    assert breached(third) == [WORKLOAD_UNAVAILABLE]
    assert third.breaches[0]["since"] == "2026-03-02T10:00:00Z"
    assert third.recheck_at is None
    gone = detect(workloads=[deployment(3, 3)], now=later(70), previous=third.observations)
    assert gone == Detection([], [], None)


def test_a_malformed_since_in_status_starts_the_observation_again() -> None:
    previous = [{"symptom": WORKLOAD_UNAVAILABLE, "since": "yesterday", "count": 1}]
    detection = detect(workloads=[deployment(1, 0)], now=T0, previous=previous)
    assert detection.observations[0]["since"] == format_time(T0)


@pytest.mark.parametrize(
    ("seconds", "breaches"),
    [
        pytest.param(10, False, id="one kubelet back-off of ten seconds does not breach"),
        pytest.param(29, False, id="just under half of unavailableSeconds does not breach"),
        pytest.param(30, True, id="half of unavailableSeconds in CrashLoopBackOff breaches"),
    ],
)
def test_crash_loop_back_off_breaches_after_half_of_unavailable_seconds(
    seconds: int, breaches: bool
) -> None:
    looping = [pod("shop-web-1", "Running", container(2, waiting=CRASH_LOOP_BACK_OFF))]
    first = detect(pods=looping, now=T0)
    assert first.recheck_at == later(30)
    detection = detect(pods=looping, now=later(seconds), previous=first.observations)
    assert (CRASH_LOOP_BACK_OFF in breached(detection)) is breaches


def test_a_crash_looping_container_running_between_back_offs_keeps_the_observation() -> None:
    looping = [pod("shop-web-1", "Running", container(2, waiting=CRASH_LOOP_BACK_OFF))]
    first = detect(pods=looping, now=T0)
    between = [pod("shop-web-1", "Running", container(3, running_since=later(20)))]
    running = detect(pods=between, now=later(21), previous=first.observations)
    assert symptoms(running) == [CRASH_LOOP_BACK_OFF], "not PodRestarting: one cause"
    assert running.observations[0]["since"] == format_time(T0)
    assert running.recheck_at == later(30), "the breach is due before the bridge ends at 50 s"
    crashed = [pod("shop-web-1", "Running", container(3, terminated_at=later(22)))]
    after_crash = detect(pods=crashed, now=later(30), previous=running.observations)
    assert breached(after_crash) == [CRASH_LOOP_BACK_OFF]


def test_a_container_that_stays_up_after_a_crash_loop_is_only_restarting() -> None:
    previous = [{"symptom": CRASH_LOOP_BACK_OFF, "since": format_time(T0), "count": 1}]
    stable = [pod("shop-web-1", "Running", container(4, running_since=later(10)))]
    detection = detect(pods=stable, now=later(100), previous=previous)
    assert symptoms(detection) == [POD_RESTARTING]
    assert breached(detection) == [POD_RESTARTING]


@pytest.mark.parametrize(
    ("restarts", "observed", "breaches"),
    [
        pytest.param(0, False, False, id="a container that never restarted"),
        pytest.param(1, True, False, id="one restart is observed, not breached"),
        pytest.param(3, True, True, id="restarts reaching the threshold breach"),
    ],
)
def test_pod_restarting(restarts: int, observed: bool, breaches: bool) -> None:
    running = [pod("shop-web-1", "Running", container(restarts, running_since=later(-600)))]
    detection = detect(pods=running, now=T0)
    assert (POD_RESTARTING in symptoms(detection)) is observed
    assert (POD_RESTARTING in breached(detection)) is breaches
    assert detection.recheck_at is None, "a restart count does not change with time"


def test_a_terminating_pod_neither_loops_nor_restarts() -> None:
    going = pod("shop-web-1", "Running", container(5, waiting=CRASH_LOOP_BACK_OFF), deleting=True)
    assert detect(pods=[going], now=T0).observations == []


def test_init_containers_can_crash_loop_too() -> None:
    stuck = pod("shop-web-1", "Pending")
    stuck["status"]["initContainerStatuses"] = [container(1, waiting=CRASH_LOOP_BACK_OFF)]
    assert symptoms(detect(pods=[stuck], now=T0)) == [CRASH_LOOP_BACK_OFF]


@pytest.mark.parametrize(
    ("inputs", "symptom", "fragment"),
    [
        pytest.param(
            {"objects": [{"kind": "Service", "name": "shop-web", "health": "Missing"}]},
            OBJECT_MISSING,
            "Service/shop-web",
            id="a missing object breaches at once",
        ),
        pytest.param(
            {"drift": ["Deployment/shop-web spec.replicas is 5, want 2"]},
            DRIFTED,
            "spec.replicas is 5",
            id="drift breaches at once",
        ),
        pytest.param(
            {"availability": "99.10", "sla": "99.5%"},
            SLA_BREACHED,
            "99.10% is below the SLA target of 99.5%",
            id="availability below the SLA target breaches at once",
        ),
    ],
)
def test_symptoms_that_breach_at_once(inputs: dict[str, Any], symptom: str, fragment: str) -> None:
    detection = detect(**inputs, now=T0)
    assert breached(detection) == [symptom]
    assert fragment in detection.breaches[0]["message"]
    assert detection.recheck_at is None


@pytest.mark.parametrize(
    ("availability", "sla"),
    [
        pytest.param("99.50", "99.5", id="availability exactly at the target"),
        pytest.param(None, "99.5", id="nothing measured yet"),
        pytest.param("90.00", None, id="no SLA, as for an instance deployed directly"),
    ],
)
def test_no_sla_breach(availability: str | None, sla: str | None) -> None:
    assert detect(availability=availability, sla=sla, now=T0).observations == []


@pytest.mark.parametrize(
    ("workload", "unavailable"),
    [
        pytest.param(deployment(0, 0), False, id="a workload scaled to zero is not unavailable"),
        pytest.param(
            {"kind": "Deployment", "metadata": {"name": "w"}, "spec": {}, "status": {}},
            True,
            id="replicas default to one",
        ),
        pytest.param(
            {
                "kind": "DaemonSet",
                "metadata": {"name": "agent"},
                "status": {"desiredNumberScheduled": 3, "numberAvailable": 2},
            },
            True,
            id="a DaemonSet short of its scheduled pods",
        ),
    ],
)
def test_workload_unavailability(workload: dict[str, Any], unavailable: bool) -> None:
    detection = detect(workloads=[workload], now=T0)
    assert (WORKLOAD_UNAVAILABLE in symptoms(detection)) is unavailable


def test_observations_come_in_a_fixed_order_and_messages_list_at_most_five() -> None:
    missing = [{"kind": "ConfigMap", "name": f"c{i}", "health": "Missing"} for i in range(7)]
    detection = detect(objects=missing, drift=["a differs"], workloads=[deployment(1, 0)], now=T0)
    assert symptoms(detection) == [OBJECT_MISSING, WORKLOAD_UNAVAILABLE, DRIFTED]
    assert detection.observations[0]["message"].endswith("ConfigMap/c4 and 2 more.")
    assert detection.present(DRIFTED)
    assert not detection.present(POD_FAILED)


def test_thresholds_read_the_wire_form_and_default_the_rest() -> None:
    assert Thresholds.from_spec({"failures": 5, "windowSeconds": 60}) == Thresholds(
        failures=5, window_seconds=60, unavailable_seconds=60, restarts=3
    )
    assert Thresholds.from_spec(None) == Thresholds(2, 300, 60, 3)


def test_a_zero_unavailable_budget_breaches_unavailability_at_once() -> None:
    detection = detect(workloads=[deployment(1, 0)], thresholds={"unavailableSeconds": 0}, now=T0)
    assert breached(detection) == [WORKLOAD_UNAVAILABLE]
