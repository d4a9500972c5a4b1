"""What the consumer is told about the service (5.6.6 Publish Service Status: "KPI calculations
on service delivery according to the Service Contract", "notification ... if there are any
ongoing service issues").

Availability is measured from the instance's health history, a bounded list of transitions
{at, health} that the handler keeps in status, over the time since the contract was agreed:

- Healthy and Progressing count as up: Progressing is a rollout under way, during which Deploy
  keeps the previous version serving until the new one is validated;
- Degraded and Missing count as down;
- Suspended (the consumer switched the service off), any other value, and the time before the
  first sample are not counted at all.

The share is computed exactly (Decimal over microseconds) and rounded down to two decimals, so
"100.00" means no downtime at all, never 99.999 rounded up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from it4it_operator.stages.release.changes import terms_changed
from it4it_operator.stages.release.publish import publication
from it4it_operator.stages.release.wire import as_utc, dig, format_time, parse_time

UP = frozenset({"Healthy", "Progressing"})
DOWN = frozenset({"Degraded", "Missing"})
TERMINATION_NOTICE = timedelta(days=7)
"""How long before `validity.until` subscribers hear that their offer ends."""
HISTORY_LIMIT = 100
_DEGRADED = {
    "Degraded": "the service is degraded: some of its objects are not healthy",
    "Missing": "the service is down: its objects are missing",
}

HealthSample = tuple[datetime, str]


def _microseconds(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def availability(samples: Sequence[HealthSample], *, since: datetime, now: datetime) -> str:
    """Share of counted time between `since` and `now` that the service was up, e.g. "99.98".

    Each sample's health holds until the next sample (the last until `now`).
    """
    since, now = as_utc(since), as_utc(now)
    ordered = sorted(((as_utc(at), health) for at, health in samples), key=lambda s: s[0])
    ends = [at for at, _ in ordered[1:]] + [now] if ordered else []
    up = down = 0
    for (start, health), end in zip(ordered, ends, strict=True):
        span = _microseconds(min(end, now) - max(start, since))
        if span <= 0:
            continue
        if health in UP:
            up += span
        elif health in DOWN:
            down += span
    if down == 0:
        return "100.00"
    share = Decimal(up) * 100 / Decimal(up + down)
    return str(share.quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def sla_met(availability: str | None, target: str | None) -> bool | None:
    """Whether `availability` reaches the SLA `target` ("99.5" or "99.5%"); None when either is
    missing or not a number (nothing to judge)."""
    if availability is None or target is None:
        return None
    try:
        return Decimal(availability) >= Decimal(str(target).rstrip("%").strip())
    except InvalidOperation:
        return None


def health_samples(history: Sequence[Mapping[str, Any]] | None) -> list[HealthSample]:
    """status.serviceStatus history entries {at, health} as samples; malformed entries skipped."""
    samples: list[HealthSample] = []
    for entry in history or []:
        try:
            samples.append((parse_time(entry.get("at"), field="at"), str(entry["health"])))
        except (ValueError, KeyError):
            continue
    return samples


def _side(health: str) -> str:
    return "up" if health in UP else "down" if health in DOWN else health


def record_health_sample(
    history: Sequence[Mapping[str, Any]] | None,
    health: str,
    now: datetime,
    limit: int = HISTORY_LIMIT,
) -> list[dict[str, Any]]:
    """The history with `health` observed at `now`: appended only when the service went up or
    down since the last entry (Progressing and Healthy are both up, so a rollout is not a
    transition), trimmed to the newest `limit` entries."""
    entries = [dict(entry) for entry in history or []]
    if entries and _side(str(entries[-1].get("health"))) == _side(health):
        return entries
    entries.append({"at": format_time(now), "health": health})
    return entries[-max(limit, 1) :]


def with_instance_transitions(
    history: Sequence[Mapping[str, Any]] | None,
    instances: Sequence[Sequence[Mapping[str, Any]] | None],
    fold: Callable[[Iterable[str]], str],
    limit: int = HISTORY_LIMIT,
) -> list[dict[str, Any]]:
    """The subscription's history with its instances' own transitions (each ActualProductInstance
    keeps {at, health} entries as it sees them) added after its last entry, the instances'
    healths folded at each moment: so an outage shorter than the time between two passes of the
    subscription still counts."""
    own = [dict(entry) for entry in history or []]
    last = parse_time(own[-1]["at"], field="at") if own else None
    timelines = [sorted(health_samples(h), key=lambda s: s[0]) for h in instances]
    moments = sorted({at for line in timelines for at, _ in line if last is None or at > last})
    for moment in moments:
        healths = [_at(line, moment) for line in timelines]
        known = [h for h in healths if h is not None]
        if known:
            own = record_health_sample(own, fold(known), moment, limit)
    return own


def _at(timeline: Sequence[HealthSample], moment: datetime) -> str | None:
    """The health of one timeline at `moment` (its last sample not after it)."""
    current = None
    for at, health in timeline:
        if at > moment:
            break
        current = health
    return current


def _offer_notices(offer: Mapping[str, Any], name: str, now: datetime) -> list[tuple[str, str]]:
    state = publication(offer.get("spec") or {}, now)
    if state.state == "Terminated":
        return [
            (
                "OfferTerminated",
                f"ServiceOffer {name} is terminated ({state.message});"
                " this subscription keeps running",
            )
        ]
    until = state.next_transition
    if (
        state.state == "Published"
        and until is not None
        and until - as_utc(now) <= TERMINATION_NOTICE
    ):
        replacement = f"; its replacement is {state.replaced_by}" if state.replaced_by else ""
        return [
            ("OfferTerminating", f"ServiceOffer {name} ends at {format_time(until)}{replacement}")
        ]
    return []


def notifications(
    *,
    offer: Mapping[str, Any] | None,
    contract: Mapping[str, Any] | None,
    health: str | None,
    now: datetime,
    previous: Sequence[Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """status.serviceStatus.notifications [{type, message, at}], in the fixed order
    OfferTerminated | OfferTerminating, TermsChanged, ServiceDegraded.

    `offer` is the ServiceOffer object (None once deleted), `contract` status.contract, `health`
    the ActualProductInstance's health. A notice keeps the `at` it had in `previous`, so
    re-running at a later `now` writes the same status.
    """
    name = dig(offer, "metadata", "name") or dig(contract, "offer")
    notices: list[tuple[str, str]] = []
    if offer is None:
        if contract:
            notices.append(("OfferTerminated", f"ServiceOffer {name} no longer exists"))
    else:
        notices.extend(_offer_notices(offer, str(name), now))
        version = dig(offer, "spec", "terms", "version")
        if terms_changed(contract, version):
            notices.append(
                (
                    "TermsChanged",
                    f"ServiceOffer {name} changed its terms from"
                    f" {dig(contract, 'termsVersion')} to {version}; set spec.acceptedTerms to"
                    f" {version} to agree, until then the current contract and price apply",
                )
            )
    if health in DOWN:
        notices.append(("ServiceDegraded", _DEGRADED[health]))
    since = {str(n.get("type")): n.get("at") for n in previous or []}
    return [
        {"type": kind, "message": message, "at": since.get(kind) or format_time(now)}
        for kind, message in notices
    ]


def service_status(
    *,
    contract: Mapping[str, Any] | None,
    history: Sequence[Mapping[str, Any]] | None,
    now: datetime,
    open_incidents: int,
    notices: list[dict[str, Any]],
) -> dict[str, Any]:
    """status.serviceStatus: {availability, slaMet, openIncidents, notifications}.

    Availability runs from the contract's agreedAt; slaMet compares it with the contract's SLA
    (the terms in force, which are the offer's unless its terms changed and are not yet agreed).
    Without a contract, availability and slaMet are None.
    """
    measured: str | None = None
    agreed_at = dig(contract, "agreedAt")
    if agreed_at:
        since = parse_time(agreed_at, field="status.contract.agreedAt")
        measured = availability(health_samples(history), since=since, now=now)
    return {
        "availability": measured,
        "slaMet": sla_met(measured, dig(contract, "sla", "availability")),
        "openIncidents": open_incidents,
        "notifications": notices,
    }
