"""Resolve Issue: execute, verify, resolve or escalate, decided by the persisted state alone."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from it4it_operator.stages.operate.resolve import ResolveState, Step, next_step

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def step(state: ResolveState | dict[str, Any], now: datetime, **changes: Any) -> Step:
    """next_step with an offer's usual policy: automatic, three attempts, 30 s verification."""
    options: dict[str, Any] = {
        "symptom_present": True,
        "max_attempts": 3,
        "verify_seconds": 30,
        "remediation": "Automatic",
        "approved": False,
        "action_running": False,
        "course_of_action": "Restart",
    }
    options.update(changes)
    return next_step(state, now=now, **options)


def test_the_happy_path_executes_once_verifies_and_resolves() -> None:
    execute = step(ResolveState(phase="Diagnosed"), T0)
    assert (execute.kind, execute.action, execute.attempt) == ("Execute", "Restart", 1)
    assert execute.state.phase == "Resolving"
    assert execute.state.attempts == 1
    assert execute.recheck_at == execute.state.next_attempt_at == later(30)
    running = step(execute.state, later(2), action_running=True)
    assert running.kind == "Wait"
    verify = step(running.state, later(5), symptom_present=False)
    assert (verify.kind, verify.state.phase, verify.since) == ("Verify", "Verifying", later(5))
    assert verify.recheck_at == later(35)
    still = step(verify.state, later(20), symptom_present=False)
    assert (still.kind, still.since, still.recheck_at) == ("Verify", later(5), later(35))
    resolved = step(still.state, later(35), symptom_present=False)
    assert (resolved.kind, resolved.state.phase, resolved.recheck_at) == (
        "Resolved",
        "Resolved",
        None,
    )
    assert resolved.state.attempts == 1
    assert step(resolved.state, later(99)).kind == "Resolved", "a resolved incident stays so"


def test_an_action_that_does_not_help_escalates_after_max_attempts_with_growing_backoff() -> None:
    state, now = ResolveState(phase="Diagnosed"), T0
    kinds: list[str] = []
    executed: list[datetime] = []
    for _ in range(50):  # far more passes than needed: the machine must stop by itself
        current = step(state, now)
        kinds.append(current.kind)
        if current.kind == "Execute":
            executed.append(now)
        state = current.state
        if current.recheck_at is None:
            break
        now = current.recheck_at
    assert kinds == ["Execute", "Execute", "Execute", "Escalate"]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(executed)]
    assert gaps == [30, 60], "backoff doubles: 30 s, then 60 s"
    assert now == executed[-1] + timedelta(seconds=120), "escalated after the last backoff"
    assert (state.phase, state.attempts) == ("Escalated", 3)
    again = step(state, later(10_000))
    assert (again.kind, again.recheck_at) == ("Escalate", None), "no further action ever runs"


def test_a_symptom_that_returns_during_verification_goes_back_to_resolving() -> None:
    execute = step(ResolveState(phase="Diagnosed"), T0)
    verify = step(execute.state, later(10), symptom_present=False)
    back = step(verify.state, later(20))
    assert back.occurrence
    assert (back.kind, back.state.phase, back.until) == ("Wait", "Resolving", later(30))
    assert back.state.verifying_since is None
    retry = step(back.state, later(30))
    assert (retry.kind, retry.attempt, retry.occurrence) == ("Execute", 2, False)


def test_a_symptom_back_after_the_backoff_is_retried_at_once() -> None:
    execute = step(ResolveState(phase="Diagnosed"), T0)
    verify = step(execute.state, later(10), symptom_present=False)
    back = step(verify.state, later(40))
    assert (back.kind, back.attempt, back.occurrence) == ("Execute", 2, True)


def test_manual_remediation_waits_for_approval_then_runs() -> None:
    waiting = step(ResolveState(phase="Diagnosed"), T0, remediation="Manual")
    assert (waiting.kind, waiting.state.phase, waiting.recheck_at) == (
        "AwaitApproval",
        "AwaitingApproval",
        None,
    )
    assert waiting.state.attempts == 0
    approved = step(waiting.state, later(60), remediation="Manual", approved=True)
    assert (approved.kind, approved.attempt) == ("Execute", 1)
    retry = step(approved.state, later(90), remediation="Manual", approved=True)
    assert (retry.kind, retry.attempt) == ("Execute", 2), "one approval covers every attempt"


def test_a_restart_right_after_the_attempt_was_recorded_does_not_run_it_again() -> None:
    execute = step(ResolveState(phase="Diagnosed"), T0)
    persisted = execute.state.to_status()
    # The operator restarts before (or after) the action ran: only the status is left.
    again = step(persisted, later(1))
    assert again.kind == "Wait"
    assert again.state.attempts == 1
    assert again.until == later(30)
    after = step(again.state.to_status(), later(30))
    assert (after.kind, after.attempt) == ("Execute", 2)


def test_a_symptom_that_goes_away_before_any_action_is_verified_and_resolved() -> None:
    verify = step(ResolveState(phase="Detected"), T0, symptom_present=False)
    assert verify.kind == "Verify"
    resolved = step(verify.state, later(30), symptom_present=False)
    assert (resolved.kind, resolved.state.attempts) == ("Resolved", 0)


def test_an_escalated_incident_whose_symptom_is_fixed_by_a_person_resolves() -> None:
    escalated = ResolveState(phase="Escalated", attempts=3, next_attempt_at=T0)
    verify = step(escalated, later(5), symptom_present=False)
    assert verify.kind == "Verify"
    back = step(verify.state, later(10))
    assert (back.kind, back.occurrence) == ("Escalate", True)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param({"course_of_action": "Manual"}, "NoAutomaticCourse", id="a Manual course"),
        pytest.param({"max_attempts": 0}, "NoAutomaticCourse", id="no attempts allowed"),
    ],
)
def test_without_an_automatic_course_the_incident_escalates_at_once(
    changes: dict[str, Any], reason: str
) -> None:
    escalate = step(ResolveState(phase="Diagnosed"), T0, **changes)
    assert (escalate.kind, escalate.reason, escalate.state.phase) == (
        "Escalate",
        reason,
        "Escalated",
    )
    assert escalate.state.attempts == 0


def test_a_running_action_is_waited_for_and_looked_at_again() -> None:
    execute = step(ResolveState(phase="Diagnosed"), T0)
    running = step(execute.state, later(100), action_running=True)
    assert (running.kind, running.recheck_at, running.state.last_seen) == (
        "Wait",
        later(130),
        later(100),
    )


def test_zero_verify_seconds_resolves_as_soon_as_the_symptom_is_gone() -> None:
    resolved = step(
        ResolveState(phase="Resolving", attempts=1), T0, symptom_present=False, verify_seconds=0
    )
    assert resolved.kind == "Resolved"


def test_the_state_round_trips_through_status() -> None:
    state = ResolveState("Verifying", 2, later(1), later(60), later(0))
    assert ResolveState.from_status(state.to_status()) == state
    assert state.to_status() == {
        "phase": "Verifying",
        "attempts": 2,
        "verifyingSince": "2026-03-02T10:00:01Z",
        "nextAttemptAt": "2026-03-02T10:01:00Z",
        "lastSeen": "2026-03-02T10:00:00Z",
    }
    assert ResolveState.from_status({"nextAttemptAt": "soon"}) == ResolveState()
