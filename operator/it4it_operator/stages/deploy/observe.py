"""Validate Deployment and Observe Deployment decisions, and what happens when they fail.

Validate: "Shall validate that all the components of the Product Instance are running."
Observe: "Shall observe Logs, Events, and service levels, and ensure they are stable and
acceptable" for the observe window, then "consider if any issues require a quick patch forward or
a rollback of deployment" to the last known good release. Each deployment leaves a bounded entry
in the instance's history, the audit trail the Deploy value stream asks for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from it4it_operator.stages.deploy.health import fold
from it4it_operator.stages.outcome import Outcome

VALIDATED = "Validated"
STABLE = "Stable"
LISTED = 5
"""At most this many objects are named in a message."""
PROGRESS_RECHECK_SECONDS = 10
"""How soon to look again while an object is still progressing during observation."""


@dataclass(frozen=True)
class ObjectHealth:
    """One applied object's verdict from its health assessor; `name` is "Kind/name"."""

    name: str
    health: str
    message: str = ""


def _listing(objects: Sequence[ObjectHealth], health: str) -> str:
    chosen = [
        o.name + (f" ({o.message})" if o.message else "") for o in objects if o.health == health
    ]
    more = f" and {len(chosen) - LISTED} more" if len(chosen) > LISTED else ""
    return ", ".join(chosen[:LISTED]) + more


_VALIDATION: Mapping[str, tuple[Literal["True", "False", "Unknown"], str, str]] = {
    "Degraded": ("False", "WorkloadsFailing", "Failing: {}."),
    "Missing": ("False", "ObjectsMissing", "Not found in the cluster: {}."),
    "Progressing": ("Unknown", "WaitingForAvailability", "Waiting for: {}."),
}


def validate_deployment(objects: Sequence[ObjectHealth]) -> Outcome:
    """The Validated condition: every applied object exists and is available.

    Missing objects are those the plan has and the cluster does not (health "Missing").
    """
    overall = fold(o.health for o in objects)
    if overall == "Healthy":
        return Outcome.true(
            VALIDATED, "AllAvailable", f"All {len(objects)} objects exist and are available."
        )
    status, reason, template = _VALIDATION[overall]
    return Outcome(VALIDATED, status, reason, template.format(_listing(objects, overall)))


@dataclass(frozen=True)
class ObserveDecision:
    """What to do next while observing: keep observing, hand over (Stable) or roll back (Failed).

    `outcome` is the Stable condition; `started_at` is the time to keep in status (set on the
    first visit); `requeue_seconds` when to look again, None once decided.
    """

    verdict: Literal["Observing", "Stable", "Failed"]
    outcome: Outcome
    started_at: datetime
    requeue_seconds: int | None


def observe(
    started_at: datetime | None, observe_seconds: int, now: datetime, health: str
) -> ObserveDecision:
    """Decide the Stable condition from the instance health after `observe_seconds` of calm."""
    started = started_at or now
    remaining = max(0.0, observe_seconds - max(0.0, (now - started).total_seconds()))
    if health in ("Degraded", "Missing"):
        return ObserveDecision(
            "Failed",
            Outcome.false(
                STABLE,
                f"{health}DuringObservation",
                f"The instance became {health} while "
                "observed; it is not handed over to operations.",
            ),
            started,
            None,
        )
    if health == "Progressing":
        wait = PROGRESS_RECHECK_SECONDS
        message = "An object is still progressing; observation continues until all are healthy."
    elif remaining > 0:
        wait = math.ceil(remaining)
        message = f"Observing the instance for {observe_seconds}s before handing it over."
    else:
        return ObserveDecision(
            "Stable",
            Outcome.true(
                STABLE,
                "ObservedStable",
                f"The instance stayed healthy for {observe_seconds}s and is handed over to "
                "operations.",
            ),
            started,
            None,
        )
    return ObserveDecision(
        "Observing", Outcome.unknown(STABLE, "Observing", message), started, wait
    )


@dataclass(frozen=True)
class RollbackDecision:
    """Roll back to `target` (the last known good release), or hold and say why."""

    action: Literal["RollBack", "Hold"]
    reason: str
    message: str
    target: Mapping[str, Any] | None


def rollback_decision(
    policy: str, last_known_good: Mapping[str, Any] | None, failed_release: str
) -> RollbackDecision:
    """After a failed validation or observation: roll back to the last known good, or hold.

    `policy` is spec.plan.rollback (Automatic or Manual); `last_known_good` is
    status.lastKnownGood ({release, planHash, ...}).
    """
    good = (last_known_good or {}).get("release")
    if not good or good == failed_release:
        return RollbackDecision(
            "Hold",
            "NoLastKnownGood",
            f"Release {failed_release} failed and there is no earlier release known to be good; "
            "fix forward with a new release or parameters.",
            None,
        )
    if policy != "Automatic":
        return RollbackDecision(
            "Hold",
            "ManualRollbackRequired",
            f"Release {failed_release} failed; to roll back, set spec.release to the last known "
            f"good release {good}.",
            last_known_good,
        )
    return RollbackDecision(
        "RollBack",
        "RollingBack",
        f"Release {failed_release} failed; rolling back to the last known good release {good}.",
        last_known_good,
    )


HISTORY_LIMIT = 10


def append_history(
    history: Sequence[Mapping[str, Any]], entry: Mapping[str, Any], limit: int = HISTORY_LIMIT
) -> list[dict[str, Any]]:
    """`status.history` with `entry` appended, oldest dropped beyond `limit`.

    Idempotent: when the newest entry already records the same release, planHash and result
    (a handler re-run), the history is returned unchanged.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    entries = [dict(e) for e in history]
    same = ("release", "planHash", "result")
    if entries and all(entries[-1].get(k) == entry.get(k) for k in same):
        return entries[-limit:]
    return [*entries, dict(entry)][-limit:]
