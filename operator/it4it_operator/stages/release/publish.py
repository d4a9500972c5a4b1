"""When an offer can be ordered (5.5.4 Publish Service Offer; Terminate a Service Offer scenario).

"Shall activate Offer at the valid-from date": an offer is a Draft while the catalog manager works
on it, Scheduled until `validity.from`, Published until `validity.until`, then Terminated. It is
also Terminated at once by `state: Terminated`, or by `replacedBy` without an end date (a
replacement with a future `validity.until` announces the end and keeps the offer published until
then). A terminated offer takes no new subscriptions; existing ones keep running and are told.

The clock is a parameter: the handler passes `now` and schedules its timer at `next_transition`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from it4it_operator.stages.release.wire import as_utc, dig, format_time, parse_time

PublicationState = Literal["Draft", "Scheduled", "Published", "Terminated"]


@dataclass(frozen=True)
class Publication:
    """Where an offer stands in its lifecycle at one instant.

    `reason` is one of Draft, InvalidValidity, Scheduled, Published, Terminated, Replaced, Expired;
    `next_transition` is when the state changes by the clock alone (None when it never does).
    """

    state: PublicationState
    reason: str
    message: str
    next_transition: datetime | None = None
    replaced_by: str | None = None


def validity_window(spec: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    """spec.validity as (from, until), either None when unset; ValueError naming a bad field."""
    raw_from, raw_until = dig(spec, "validity", "from"), dig(spec, "validity", "until")
    valid_from = None if raw_from is None else parse_time(raw_from, field="spec.validity.from")
    until = None if raw_until is None else parse_time(raw_until, field="spec.validity.until")
    if valid_from is not None and until is not None and until <= valid_from:
        raise ValueError(
            f"spec.validity.until {format_time(until)} is not after"
            f" spec.validity.from {format_time(valid_from)}"
        )
    return valid_from, until


def _replacement(replaced_by: str | None) -> str:
    return f"; its replacement is {replaced_by}" if replaced_by else ""


def publication(spec: Mapping[str, Any], now: datetime) -> Publication:
    """The offer's publication state at `now` (see the module docstring for the rules)."""
    now = as_utc(now)
    replaced_by = dig(spec, "replacedBy") or None
    if spec.get("state") == "Terminated":
        return Publication(
            "Terminated",
            "Terminated",
            "the offer was terminated by spec.state" + _replacement(replaced_by),
            replaced_by=replaced_by,
        )
    if spec.get("state") == "Draft":
        return Publication("Draft", "Draft", "the offer is a draft (spec.state is Draft)")
    try:
        valid_from, until = validity_window(spec)
    except ValueError as exc:
        return Publication("Draft", "InvalidValidity", f"the offer is not published: {exc}")
    if replaced_by and until is None:
        return Publication(
            "Terminated",
            "Replaced",
            f"the offer is replaced by {replaced_by} (spec.replacedBy)",
            replaced_by=replaced_by,
        )
    if valid_from is not None and now < valid_from:
        return Publication(
            "Scheduled",
            "Scheduled",
            f"the offer is published at {format_time(valid_from)} (spec.validity.from)",
            next_transition=valid_from,
        )
    if until is not None and now >= until:
        return Publication(
            "Terminated",
            "Replaced" if replaced_by else "Expired",
            f"the offer's validity ended at {format_time(until)} (spec.validity.until)"
            + _replacement(replaced_by),
            replaced_by=replaced_by,
        )
    ends = f" until {format_time(until)}" if until is not None else ""
    return Publication(
        "Published",
        "Published",
        f"the offer is published{ends}" + _replacement(replaced_by if until else None),
        next_transition=until,
        replaced_by=replaced_by,
    )


def accepts_new_subscriptions(state: Publication) -> bool:
    """Only a published offer takes new subscriptions; existing ones outlive termination."""
    return state.state == "Published"
