"""Whether a namespace may order an offer (5.6.2 Select an Offer)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from it4it_operator.stages.consume.select import select_offer
from it4it_operator.stages.release.audience import canary_bucket

OfferFactory = Callable[..., dict[str, Any]]
OUTSIDE_TENTH = next(f"team-{i}" for i in range(1000) if canary_bucket(f"team-{i}") >= 10)


@pytest.mark.parametrize(
    ("changes", "namespace", "reason", "fragment"),
    [
        pytest.param(
            {},
            "shop",
            "Selected",
            "ServiceOffer guestbook-standard is defined, published and offered to namespace shop",
            id="a published offer without audience is selected",
        ),
        pytest.param(
            {"state": "Draft"},
            "shop",
            "OfferNotPublished",
            "is not published: the offer is a draft",
            id="a draft offer cannot be ordered yet",
        ),
        pytest.param(
            {"validity": {"from": "2026-06-01T00:00:00Z"}},
            "shop",
            "OfferNotPublished",
            "published at 2026-06-01T00:00:00Z",
            id="a scheduled offer says when it can be ordered",
        ),
        pytest.param(
            {"state": "Terminated", "replacedBy": "guestbook-premium"},
            "shop",
            "OfferTerminated",
            "its replacement is guestbook-premium",
            id="a terminated offer names its replacement",
        ),
        pytest.param(
            {"validity": {"from": "2025-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"}},
            "shop",
            "OfferTerminated",
            "validity ended at 2026-02-01T00:00:00Z",
            id="an expired offer cannot be ordered",
        ),
        pytest.param(
            {"audience": {"namespaces": ["blog"]}},
            "shop",
            "NotInAudience",
            "namespace shop is neither listed in spec.audience.namespaces nor matched",
            id="a namespace outside the audience is told so",
        ),
        pytest.param(
            {"audience": {"canaryPercent": 10}},
            OUTSIDE_TENTH,
            "OutsideCanaryShare",
            "outside the canary share of 10%",
            id="a namespace outside the canary share is told so",
        ),
    ],
)
def test_select_offer(
    make_offer: OfferFactory,
    now: datetime,
    *,
    changes: dict[str, Any],
    namespace: str,
    reason: str,
    fragment: str,
) -> None:
    outcome = select_offer(
        make_offer(**changes),
        offer_name="guestbook-standard",
        namespace=namespace,
        labels={},
        now=now,
    )
    assert (outcome.type, outcome.reason, outcome.ok) == (
        "OfferSelected",
        reason,
        reason == "Selected",
    )
    assert fragment in outcome.message


def test_a_missing_offer_is_not_found(now: datetime) -> None:
    outcome = select_offer(None, offer_name="guestbook-gold", namespace="shop", labels={}, now=now)
    assert (outcome.ok, outcome.reason) == (False, "OfferNotFound")
    assert outcome.message == "ServiceOffer guestbook-gold does not exist"


def test_the_namespace_labels_decide_a_selector_audience(
    make_offer: OfferFactory, now: datetime
) -> None:
    offer = make_offer(audience={"namespaceSelector": {"matchLabels": {"tier": "gold"}}})
    outcome = select_offer(
        offer, offer_name="guestbook-standard", namespace="shop", labels={"tier": "gold"}, now=now
    )
    assert outcome.ok


def test_a_terminated_offer_keeps_a_subscription_under_contract_running(
    make_offer: OfferFactory, now: datetime
) -> None:
    outcome = select_offer(
        make_offer(state="Terminated", replacedBy="guestbook-premium"),
        offer_name="guestbook-standard",
        namespace="shop",
        labels={},
        now=now,
        under_contract=True,
    )
    assert (outcome.ok, outcome.reason) == (True, "OfferTerminated")
    assert "keeps running under its contract" in outcome.message


def test_an_offer_that_is_not_defined_is_refused_with_its_reason(
    make_offer: OfferFactory,
    make_undefined: Callable[[dict[str, Any], str], dict[str, Any]],
    now: datetime,
) -> None:
    offer = make_undefined(
        make_offer(support=None), "spec.support is missing (consumers need a support plan)"
    )
    outcome = select_offer(
        offer, offer_name="guestbook-standard", namespace="shop", labels={}, now=now
    )
    assert (outcome.ok, outcome.reason) == (False, "OfferNotDefined")
    assert outcome.message == (
        "ServiceOffer guestbook-standard is not Defined:"
        " spec.support is missing (consumers need a support plan)"
    )


def test_an_offer_changed_since_its_check_is_not_selected_yet(
    make_offer: OfferFactory, now: datetime
) -> None:
    offer = make_offer()
    offer["metadata"]["generation"] = 2
    outcome = select_offer(
        offer, offer_name="guestbook-standard", namespace="shop", labels={}, now=now
    )
    assert (outcome.ok, outcome.reason) == (False, "OfferNotChecked")


@pytest.mark.parametrize(
    ("checked", "reason"),
    [
        pytest.param(True, "OfferNotDefined", id="an offer no longer Defined says so"),
        pytest.param(False, "Selected", id="an offer not checked yet does not flap the condition"),
    ],
)
def test_a_subscription_under_contract_keeps_running_while_its_offer_is_not_defined(
    make_offer: OfferFactory,
    make_undefined: Callable[[dict[str, Any], str], dict[str, Any]],
    now: datetime,
    *,
    checked: bool,
    reason: str,
) -> None:
    offer = make_undefined(make_offer(support=None), "spec.support is missing")
    if not checked:
        offer["metadata"]["generation"] = 2
    outcome = select_offer(
        offer,
        offer_name="guestbook-standard",
        namespace="shop",
        labels={},
        now=now,
        under_contract=True,
    )
    assert (outcome.ok, outcome.reason) == (True, reason)
