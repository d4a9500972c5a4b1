"""Availability, SLA and notifications of a subscription (5.6.6 Publish Service Status)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from it4it_operator.stages.consume.service_status import (
    availability,
    notifications,
    record_health_sample,
    service_status,
    sla_met,
    with_instance_transitions,
)
from it4it_operator.stages.deploy.health import fold

OfferFactory = Callable[..., dict[str, Any]]
DAY = datetime(2026, 3, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        pytest.param(
            [(at(0), "Healthy")], "100.00", id="a service healthy all along is fully available"
        ),
        pytest.param(
            [(at(0), "Healthy"), (at(12), "Degraded"), (at(13), "Healthy")],
            "95.83",
            id="a window of downtime lowers availability",
        ),
        pytest.param(
            [(at(0), "Healthy"), (at(12), "Missing"), (at(18), "Healthy")],
            "75.00",
            id="missing objects count as downtime",
        ),
        pytest.param(
            [(at(0), "Progressing"), (at(1), "Healthy")],
            "100.00",
            id="a rollout in progress counts as up",
        ),
        pytest.param(
            [(at(0), "Healthy"), (at(6), "Suspended"), (at(18), "Degraded")],
            "50.00",
            id="suspended time is left out of the measure",
        ),
        pytest.param(
            [(at(12), "Healthy"), (at(18), "Degraded")],
            "50.00",
            id="time before the first sample is not counted",
        ),
        pytest.param(
            [(at(-48), "Degraded"), (at(-24), "Healthy")],
            "100.00",
            id="downtime before the contract does not count",
        ),
        pytest.param(
            [(at(12), "Degraded"), (at(0), "Healthy"), (at(13), "Healthy")],
            "95.83",
            id="samples are taken in time order",
        ),
        pytest.param(
            [(at(0), "Healthy"), (at(24) - timedelta(seconds=1), "Degraded")],
            "99.99",
            id="a second of downtime never rounds up to 100",
        ),
        pytest.param([], "100.00", id="no samples show no downtime"),
    ],
)
def test_availability(samples: list[tuple[datetime, str]], expected: str) -> None:
    assert availability(samples, since=DAY, now=at(24)) == expected


@pytest.mark.parametrize(
    ("measured", "target", "expected"),
    [
        pytest.param("99.98", "99.5", True, id="availability above the SLA meets it"),
        pytest.param("99.50", "99.5", True, id="availability equal to the SLA meets it"),
        pytest.param("99.40", "99.5%", False, id="availability below the SLA misses it"),
        pytest.param("99.98", None, None, id="an offer without SLA has nothing to meet"),
        pytest.param("99.98", "high", None, id="an SLA that is not a number cannot be judged"),
    ],
)
def test_sla_met(measured: str, target: str | None, expected: bool | None) -> None:
    assert sla_met(measured, target) is expected


def test_health_history_keeps_only_transitions() -> None:
    history = record_health_sample([], "Healthy", at(0))
    history = record_health_sample(history, "Healthy", at(1))
    history = record_health_sample(history, "Degraded", at(2))
    assert history == [
        {"at": "2026-03-01T00:00:00Z", "health": "Healthy"},
        {"at": "2026-03-01T02:00:00Z", "health": "Degraded"},
    ]


def test_a_rollout_from_progressing_to_healthy_is_not_a_transition() -> None:
    history = record_health_sample([], "Progressing", at(0))
    history = record_health_sample(history, "Healthy", at(1))
    assert history == [{"at": "2026-03-01T00:00:00Z", "health": "Progressing"}]


def test_health_history_is_bounded_to_the_newest_entries() -> None:
    history: list[dict[str, Any]] = []
    for hour in range(10):
        history = record_health_sample(
            history, "Healthy" if hour % 2 else "Degraded", at(hour), limit=4
        )
    assert [entry["at"][11:13] for entry in history] == ["06", "07", "08", "09"]


CONTRACT = {
    "offer": "guestbook-standard",
    "termsVersion": "2026-01",
    "agreedAt": "2026-03-01T00:00:00Z",
}


@pytest.mark.parametrize(
    ("changes", "contract", "health", "kinds", "fragment"),
    [
        pytest.param(
            {},
            CONTRACT,
            "Healthy",
            [],
            "",
            id="a healthy service under current terms has nothing to tell",
        ),
        pytest.param(
            {"validity": {"until": "2026-03-05T00:00:00Z"}, "replacedBy": "guestbook-premium"},
            CONTRACT,
            "Healthy",
            ["OfferTerminating"],
            "ends at 2026-03-05T00:00:00Z; its replacement is guestbook-premium",
            id="an offer ending within a week is announced",
        ),
        pytest.param(
            {"validity": {"until": "2026-04-01T00:00:00Z"}},
            CONTRACT,
            "Healthy",
            [],
            "",
            id="an offer ending later than a week is not announced yet",
        ),
        pytest.param(
            {"state": "Terminated", "replacedBy": "guestbook-premium"},
            CONTRACT,
            "Healthy",
            ["OfferTerminated"],
            "its replacement is guestbook-premium",
            id="a terminated offer is announced with its replacement",
        ),
        pytest.param(
            {"terms": {"version": "2026-04"}},
            CONTRACT,
            "Healthy",
            ["TermsChanged"],
            "from 2026-01 to 2026-04",
            id="changed terms are announced",
        ),
        pytest.param(
            {},
            CONTRACT,
            "Degraded",
            ["ServiceDegraded"],
            "degraded",
            id="a degraded service is announced",
        ),
        pytest.param(
            {"state": "Terminated", "terms": {"version": "2026-04"}},
            CONTRACT,
            "Missing",
            ["OfferTerminated", "TermsChanged", "ServiceDegraded"],
            "down",
            id="several notices come in a fixed order",
        ),
    ],
)
def test_notifications(
    make_offer: OfferFactory,
    now: datetime,
    *,
    changes: dict[str, Any],
    contract: dict[str, Any],
    health: str,
    kinds: list[str],
    fragment: str,
) -> None:
    notices = notifications(offer=make_offer(**changes), contract=contract, health=health, now=now)
    assert [notice["type"] for notice in notices] == kinds
    assert all(fragment in " ".join(n["message"] for n in notices) for _ in kinds)


def test_a_deleted_offer_is_announced(now: datetime) -> None:
    notices = notifications(offer=None, contract=CONTRACT, health="Healthy", now=now)
    assert notices == [
        {
            "type": "OfferTerminated",
            "message": "ServiceOffer guestbook-standard no longer exists",
            "at": "2026-03-01T12:00:00Z",
        }
    ]


def test_a_notice_keeps_the_time_it_was_first_given(
    make_offer: OfferFactory, now: datetime
) -> None:
    offer = make_offer(terms={"version": "2026-04"})
    first = notifications(offer=offer, contract=CONTRACT, health="Healthy", now=now)
    later = notifications(
        offer=offer,
        contract=CONTRACT,
        health="Healthy",
        now=now + timedelta(hours=5),
        previous=first,
    )
    assert later == first


def test_service_status_measures_since_the_agreement_against_the_contract_sla(
    now: datetime,
) -> None:
    history = [
        {"at": "2026-02-01T00:00:00Z", "health": "Degraded"},
        {"at": "2026-03-01T00:00:00Z", "health": "Healthy"},
        {"at": "2026-03-01T06:00:00Z", "health": "Degraded"},
        {"at": "2026-03-01T06:06:00Z", "health": "Healthy"},
    ]
    contract = {**CONTRACT, "sla": {"availability": "99.5"}}
    status = service_status(
        contract=contract, history=history, now=now, open_incidents=1, notices=[]
    )
    assert status == {
        "availability": "99.16",
        "slaMet": False,
        "openIncidents": 1,
        "notifications": [],
    }


def test_service_status_without_contract_measures_nothing(now: datetime) -> None:
    status = service_status(contract=None, history=[], now=now, open_incidents=0, notices=[])
    assert (status["availability"], status["slaMet"]) == (None, None)


def _entry(hours: float, health: str) -> dict[str, str]:
    return {"at": at(hours).isoformat().replace("+00:00", "Z"), "health": health}


def test_an_outage_between_two_passes_of_the_subscription_still_counts() -> None:
    own = [_entry(0, "Healthy")]
    instance = [_entry(0, "Healthy"), _entry(1, "Degraded"), _entry(1.5, "Healthy")]
    merged = with_instance_transitions(own, [instance], fold)
    assert [e["health"] for e in merged] == ["Healthy", "Degraded", "Healthy"]
    assert (
        availability(
            [(at(0), "Healthy"), (at(1), "Degraded"), (at(1.5), "Healthy")], since=at(0), now=at(2)
        )
        == "75.00"
    )


def test_instance_transitions_are_folded_at_each_moment_and_not_taken_twice() -> None:
    first = [_entry(1, "Healthy"), _entry(2, "Degraded")]
    second = [_entry(1, "Healthy"), _entry(3, "Degraded")]
    merged = with_instance_transitions([_entry(1, "Healthy")], [first, second], fold)
    assert [e["health"] for e in merged] == ["Healthy", "Degraded"], "one down is the whole down"
    assert with_instance_transitions(merged, [first, second], fold) == merged
