"""Validate Deployment and Observe Deployment decisions, rollback and the bounded history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from it4it_operator.stages.deploy.observe import (
    ObjectHealth,
    append_history,
    observe,
    rollback_decision,
    validate_deployment,
)

T0 = datetime(2026, 1, 5, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("objects", "status", "reason", "fragment"),
    [
        pytest.param(
            [ObjectHealth("Deployment/web", "Healthy"), ObjectHealth("Service/web", "Healthy")],
            "True",
            "AllAvailable",
            "All 2 objects",
            id="every object available validates the deployment",
        ),
        pytest.param(
            [ObjectHealth("Deployment/web", "Healthy"), ObjectHealth("Service/web", "Missing")],
            "False",
            "ObjectsMissing",
            "Service/web",
            id="a planned object missing from the cluster",
        ),
        pytest.param(
            [ObjectHealth("Deployment/web", "Progressing", "1 of 3 replicas available")],
            "Unknown",
            "WaitingForAvailability",
            "Deployment/web (1 of 3 replicas available)",
            id="a rollout still under way is waited for",
        ),
        pytest.param(
            [
                ObjectHealth("Service/web", "Missing"),
                ObjectHealth("Deployment/web", "Degraded", "pod web-1 is in CrashLoopBackOff"),
            ],
            "False",
            "WorkloadsFailing",
            "CrashLoopBackOff",
            id="a failing workload outranks a missing object",
        ),
    ],
)
def test_validate_deployment(
    objects: list[ObjectHealth], status: str, reason: str, fragment: str
) -> None:
    outcome = validate_deployment(objects)
    assert (outcome.type, outcome.status, outcome.reason) == ("Validated", status, reason)
    assert fragment in outcome.message


def test_validation_lists_at_most_five_objects() -> None:
    objects = [ObjectHealth(f"ConfigMap/c{i}", "Missing") for i in range(8)]
    assert validate_deployment(objects).message.endswith("ConfigMap/c4 and 3 more.")


@pytest.mark.parametrize(
    ("started", "seconds_later", "health", "expected"),
    [
        pytest.param(None, 0, "Healthy", ("Observing", "Observing", 60), id="observation starts"),
        pytest.param(T0, 45, "Healthy", ("Observing", "Observing", 15), id="observation goes on"),
        pytest.param(
            T0, 60, "Healthy", ("Stable", "ObservedStable", None), id="healthy for the whole window"
        ),
        pytest.param(
            T0, 10, "Degraded", ("Failed", "DegradedDuringObservation", None), id="degraded fails"
        ),
        pytest.param(
            T0, 10, "Missing", ("Failed", "MissingDuringObservation", None), id="a deleted object"
        ),
        pytest.param(
            T0,
            90,
            "Progressing",
            ("Observing", "Observing", 10),
            id="progressing at the end of the window waits, it does not pass",
        ),
        pytest.param(
            T0, -30, "Healthy", ("Observing", "Observing", 60), id="a clock behind the start waits"
        ),
    ],
)
def test_observe(
    started: datetime | None,
    seconds_later: int,
    health: str,
    expected: tuple[str, str, int | None],
) -> None:
    now = T0 + timedelta(seconds=seconds_later)
    decision = observe(started, 60, now, health)
    assert (decision.verdict, decision.outcome.reason, decision.requeue_seconds) == expected
    assert decision.outcome.type == "Stable"
    assert decision.started_at == (started or now)


def test_a_zero_observe_window_is_stable_at_once() -> None:
    assert observe(None, 0, T0, "Healthy").verdict == "Stable"


def test_the_observing_message_does_not_change_while_waiting() -> None:
    first = observe(T0, 60, T0 + timedelta(seconds=5), "Healthy")
    later = observe(T0, 60, T0 + timedelta(seconds=50), "Healthy")
    assert first.outcome == later.outcome


GOOD = {"release": "guestbook-1.0.0", "planHash": "sha256:" + "0" * 64}


@pytest.mark.parametrize(
    ("policy", "last_known_good", "action", "reason"),
    [
        pytest.param("Automatic", GOOD, "RollBack", "RollingBack", id="roll back automatically"),
        pytest.param(
            "Manual",
            GOOD,
            "Hold",
            "ManualRollbackRequired",
            id="a manual policy waits for a person",
        ),
        pytest.param(
            "Automatic",
            None,
            "Hold",
            "NoLastKnownGood",
            id="a first release has nothing to return to",
        ),
        pytest.param(
            "Automatic",
            {"release": "guestbook-1.1.0"},
            "Hold",
            "NoLastKnownGood",
            id="the failed release is not its own last known good",
        ),
    ],
)
def test_rollback_decision(
    policy: str, last_known_good: dict[str, Any] | None, action: str, reason: str
) -> None:
    decision = rollback_decision(policy, last_known_good, "guestbook-1.1.0")
    assert (decision.action, decision.reason) == (action, reason)
    assert "guestbook-1.1.0" in decision.message
    if action == "RollBack":
        assert decision.target == GOOD


def entry(n: int, result: str = "Stable") -> dict[str, Any]:
    return {"release": f"r{n}", "planHash": f"h{n}", "result": result, "at": f"t{n}"}


@pytest.mark.parametrize(
    ("history", "new", "limit", "expected"),
    [
        pytest.param([], entry(1), 10, [entry(1)], id="the first entry"),
        pytest.param(
            [entry(i) for i in range(10)],
            entry(10),
            10,
            [entry(i) for i in range(1, 11)],
            id="the oldest entry is dropped beyond the limit",
        ),
        pytest.param(
            [entry(1)],
            {**entry(1), "at": "later"},
            10,
            [entry(1)],
            id="re-recording the same result is idempotent",
        ),
        pytest.param(
            [entry(1)],
            entry(1, "RolledBack"),
            10,
            [entry(1), entry(1, "RolledBack")],
            id="a new result for the same plan is recorded",
        ),
        pytest.param(
            [entry(i) for i in range(5)],
            entry(5),
            3,
            [entry(3), entry(4), entry(5)],
            id="a smaller limit trims an existing history",
        ),
    ],
)
def test_append_history(
    history: list[dict[str, Any]], new: dict[str, Any], limit: int, expected: list[dict[str, Any]]
) -> None:
    before = [dict(e) for e in history]
    assert append_history(history, new, limit) == expected
    assert history == before


def test_a_history_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        append_history([], entry(1), 0)
