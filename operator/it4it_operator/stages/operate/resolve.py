"""Resolve Issue (IT4IT 5.7.4): run the course of action, verify, resolve or escalate.

"Should validate success by performing post-execution checks": an incident is Resolved only
once its symptom stayed gone for `verify_seconds`. The life of one incident is a pure state
machine over the state kept in its status (phase, attempts, verifyingSince, nextAttemptAt,
lastSeen), so the state alone decides what happens next and a restarted operator continues
where it stopped:

- the attempt number is part of the Execute step's state, which the controller persists
  before it starts the action; a pass that finds that state again waits for the backoff and
  never runs the same attempt twice (at most once per attempt);
- attempt n is followed by a backoff of backoff_seconds * 2**(n-1) in which the action may take
  effect; after max_attempts and the last backoff the incident is Escalated (kstatus Stalled)
  and no further action runs, so a course of action that does not help cannot loop;
- a symptom that comes back while Verifying sends the incident back to Resolving and counts
  as one more occurrence;
- with Manual remediation nothing runs before an Approval names the incident; one approval
  covers every attempt of that incident;
- a Manual course of action (no automation known) escalates to people at once.

An incident whose symptom disappears in any phase before Resolved (Detected, AwaitingApproval,
Escalated, ...) is verified and resolved like one fixed by an action: it went away by itself or
a person fixed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from it4it_operator.stages.release.wire import as_utc, format_time, parse_time

DETECTED = "Detected"
DIAGNOSED = "Diagnosed"
AWAITING_APPROVAL = "AwaitingApproval"
RESOLVING = "Resolving"
VERIFYING = "Verifying"
RESOLVED = "Resolved"
CLOSED = "Closed"
ESCALATED = "Escalated"
DONE = frozenset({RESOLVED, CLOSED})

StepKind = Literal["AwaitApproval", "Execute", "Wait", "Verify", "Resolved", "Escalate"]


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_time(value, field="time")
    except ValueError:
        return None


@dataclass(frozen=True)
class ResolveState:
    """What the machine keeps in the Incident's status between passes."""

    phase: str = DETECTED
    attempts: int = 0
    verifying_since: datetime | None = None
    next_attempt_at: datetime | None = None
    last_seen: datetime | None = None

    @classmethod
    def from_status(cls, status: Mapping[str, Any] | None) -> ResolveState:
        """The state from status {phase, attempts, verifyingSince, nextAttemptAt, lastSeen};
        absent or malformed fields take the initial values."""
        status = status or {}
        return cls(
            phase=str(status.get("phase") or DETECTED),
            attempts=int(status.get("attempts") or 0),
            verifying_since=_time(status.get("verifyingSince")),
            next_attempt_at=_time(status.get("nextAttemptAt")),
            last_seen=_time(status.get("lastSeen")),
        )

    def to_status(self) -> dict[str, Any]:
        """The state as status fields, times in RFC 3339 (None where unset)."""

        def text(moment: datetime | None) -> str | None:
            return format_time(moment) if moment is not None else None

        return {
            "phase": self.phase,
            "attempts": self.attempts,
            "verifyingSince": text(self.verifying_since),
            "nextAttemptAt": text(self.next_attempt_at),
            "lastSeen": text(self.last_seen),
        }


@dataclass(frozen=True)
class Step:
    """What to do now, the state to persist (before acting), and when to look again.

    `action` and `attempt` are set on Execute; `occurrence` is True when the symptom came back
    during verification (the controller adds one to status.occurrences). `recheck_at` is None
    when only a change (an Approval, the symptom, a finished action) can move the incident on.
    """

    kind: StepKind
    state: ResolveState
    recheck_at: datetime | None
    reason: str
    message: str
    action: str | None = None
    attempt: int | None = None
    occurrence: bool = False

    @property
    def until(self) -> datetime | None:
        """For Wait: when the wait is over."""
        return self.recheck_at if self.kind == "Wait" else None

    @property
    def since(self) -> datetime | None:
        """For Verify and Resolved: since when the symptom has been gone."""
        return self.state.verifying_since


def _verify(state: ResolveState, now: datetime, verify_seconds: int) -> Step:
    since = state.verifying_since if state.phase == VERIFYING and state.verifying_since else now
    done = since + timedelta(seconds=verify_seconds)
    if now >= done:
        return Step(
            "Resolved",
            replace(state, phase=RESOLVED, verifying_since=since),
            None,
            "Verified",
            f"The symptom stayed gone for {verify_seconds}s; the incident is resolved.",
        )
    return Step(
        "Verify",
        replace(state, phase=VERIFYING, verifying_since=since),
        done,
        "Verifying",
        f"The symptom is gone; verifying that it stays gone for {verify_seconds}s.",
    )


def next_step(
    state: ResolveState | Mapping[str, Any],
    *,
    symptom_present: bool,
    now: datetime,
    max_attempts: int,
    verify_seconds: int,
    backoff_seconds: int = 30,
    remediation: Literal["Automatic", "Manual"],
    approved: bool,
    action_running: bool,
    course_of_action: str,
) -> Step:
    """The next step in the life of one incident (see the module docstring).

    `state` is a ResolveState or the Incident's status; `symptom_present` whether detection
    still observes the incident's symptom; `course_of_action` the diagnosis (Execute carries
    it); `action_running` whether a previously started action has not finished yet.
    """
    now = as_utc(now)
    current = state if isinstance(state, ResolveState) else ResolveState.from_status(state)
    if current.phase in DONE:
        return Step("Resolved", current, None, "Resolved", "The incident is resolved.")
    if action_running:
        seen = replace(current, last_seen=now) if symptom_present else current
        return Step(
            "Wait",
            seen,
            now + timedelta(seconds=backoff_seconds),
            "ActionRunning",
            f"Attempt {current.attempts} of the course of action is still running.",
        )
    if not symptom_present:
        return _verify(current, now, verify_seconds)
    occurrence = current.phase == VERIFYING
    current = replace(current, last_seen=now, verifying_since=None)
    again = " The symptom came back during verification." if occurrence else ""
    if course_of_action == "Manual" or max_attempts < 1:
        return Step(
            "Escalate",
            replace(current, phase=ESCALATED),
            None,
            "NoAutomaticCourse",
            "No automatic course of action applies; the incident is escalated to the resolver "
            "group." + again,
            occurrence=occurrence,
        )
    if remediation == "Manual" and not approved:
        return Step(
            "AwaitApproval",
            replace(current, phase=AWAITING_APPROVAL),
            None,
            "AwaitingApproval",
            f"The course of action {course_of_action} waits for an Approval naming this "
            "incident." + again,
            occurrence=occurrence,
        )
    if current.attempts > 0 and current.next_attempt_at and now < current.next_attempt_at:
        return Step(
            "Wait",
            replace(current, phase=RESOLVING),
            current.next_attempt_at,
            "BackingOff",
            f"Attempt {current.attempts} of {course_of_action} may still take effect; the "
            "symptom is looked at again when its backoff is over." + again,
            occurrence=occurrence,
        )
    if current.attempts >= max_attempts:
        return Step(
            "Escalate",
            replace(current, phase=ESCALATED),
            None,
            "AttemptsExhausted",
            f"{course_of_action} was tried {current.attempts} time(s) and the symptom persists; "
            "the incident is escalated to the resolver group." + again,
            occurrence=occurrence,
        )
    attempt = current.attempts + 1
    next_at = now + timedelta(seconds=backoff_seconds * 2 ** (attempt - 1))
    return Step(
        "Execute",
        replace(current, phase=RESOLVING, attempts=attempt, next_attempt_at=next_at),
        next_at,
        "Executing",
        f"Running {course_of_action}, attempt {attempt} of {max_attempts}." + again,
        action=course_of_action,
        attempt=attempt,
        occurrence=occurrence,
    )
