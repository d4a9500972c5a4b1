"""Provide Service Support (IT4IT 5.6.5) for an Incident a consumer reports on a Subscription.

"Shall provide self-help access to knowledge related to the service": the offer's
support.knowledge links and the workarounds of the known defects that match what the reporter
saw. "Resolution acceptance is asked to the consumer" (5.7.4 exit criteria): a reported
incident, once Resolved, waits for the reporter's verdict in spec.acceptance; Accepted closes
it, Rejected reopens it, and without a verdict it closes itself after auto_close_seconds, so an
unanswered question does not keep an incident open for ever.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from it4it_operator.stages.release.wire import as_utc

AUTO_CLOSE_SECONDS = 86400


@dataclass(frozen=True)
class SelfHelp:
    """status.knowledge (links, in the offer's order, without repeats) and the workarounds
    [{id, workaround}] of the matching known defects that have one."""

    knowledge: list[str]
    workarounds: list[dict[str, str]]


def self_help(
    offer_support: Mapping[str, Any] | None, matching_defects: Sequence[Mapping[str, Any]]
) -> SelfHelp:
    """What a reporter can try on their own: the offer's support.knowledge links and the
    workarounds of `matching_defects` (see diagnose.matching_defects)."""
    links = [str(link) for link in (offer_support or {}).get("knowledge") or [] if link]
    workarounds = [
        {"id": str(d.get("id")), "workaround": str(d["workaround"])}
        for d in matching_defects
        if d.get("workaround")
    ]
    return SelfHelp(list(dict.fromkeys(links)), workarounds)


@dataclass(frozen=True)
class AcceptanceStep:
    """Close or Reopen the incident now, or Wait (until `until`, None: until something
    changes); `reason` is a CamelCase word for the timeline and the Event."""

    action: Literal["Close", "Reopen", "Wait"]
    until: datetime | None
    reason: str
    message: str


def acceptance_step(
    phase: str,
    acceptance: Literal["Accepted", "Rejected"] | None,
    resolved_at: datetime | None,
    now: datetime,
    auto_close_seconds: int = AUTO_CLOSE_SECONDS,
    *,
    reported: bool = True,
    verdict_at: datetime | None = None,
) -> AcceptanceStep:
    """What a Resolved incident does about the reporter's verdict.

    Only phase Resolved asks; in any other phase the answer is Wait with no time. A detected
    incident (`reported` False) has nobody to ask and closes at once. A verdict given before
    `resolved_at` (`verdict_at`, when the controller knows it) answered an earlier resolution
    and is ignored: after a Reopen the controller clears spec.acceptance, or passes
    `verdict_at`, so a stale Rejected cannot reopen the incident again and again.
    """
    now = as_utc(now)
    if phase != "Resolved":
        return AcceptanceStep("Wait", None, "NotResolved", "The incident is not resolved yet.")
    if not reported:
        return AcceptanceStep(
            "Close", None, "ResolvedDetected", "A detected incident closes once resolved."
        )
    resolved = as_utc(resolved_at) if resolved_at is not None else now
    stale = verdict_at is not None and as_utc(verdict_at) < resolved
    if acceptance == "Accepted" and not stale:
        return AcceptanceStep("Close", None, "Accepted", "The reporter accepted the resolution.")
    if acceptance == "Rejected" and not stale:
        return AcceptanceStep(
            "Reopen", None, "Rejected", "The reporter rejected the resolution; it is reopened."
        )
    deadline = resolved + timedelta(seconds=auto_close_seconds)
    if now >= deadline:
        return AcceptanceStep(
            "Close",
            None,
            "AutoClosed",
            f"The reporter gave no verdict within {auto_close_seconds}s of the resolution.",
        )
    return AcceptanceStep(
        "Wait",
        deadline,
        "AwaitingAcceptance",
        "Waiting for the reporter to accept or reject the resolution (spec.acceptance).",
    )
