"""The status facts of an offer (5.5.3 Implement Service Offer)."""

from __future__ import annotations

from it4it_operator.stages.release.offer_status import offer_status, subscriber_count
from it4it_operator.stages.release.versions import ResolvedRelease


def test_offer_status_shows_release_subscribers_margin_and_audience() -> None:
    spec = {
        "pricing": {"price": "12.50", "cost": "7.00", "currency": "EUR"},
        "audience": {"namespaces": ["shop"], "canaryPercent": 50},
    }
    resolved = ResolvedRelease("guestbook-1.1.0", "team-guestbook", "1.1.0", "sha256:abc")
    assert offer_status(spec, resolved=resolved, subscribers=3) == {
        "release": {
            "name": "guestbook-1.1.0",
            "namespace": "team-guestbook",
            "version": "1.1.0",
            "digest": "sha256:abc",
        },
        "subscribers": 3,
        "margin": "5.50",
        "pricingWarnings": None,
        "audience": "namespaces shop; canary 50%",
    }


def test_an_unresolved_offer_clears_its_release() -> None:
    assert offer_status({}, resolved=None, subscribers=0)["release"] is None


def test_subscribers_are_counted_per_offer_without_those_being_deleted() -> None:
    subscriptions = [
        {"metadata": {"name": "a"}, "spec": {"offer": "guestbook-standard"}},
        {"metadata": {"name": "b"}, "spec": {"offer": "guestbook-premium"}},
        {
            "metadata": {"name": "c", "deletionTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"offer": "guestbook-standard"},
        },
    ]
    assert subscriber_count(subscriptions, "guestbook-standard") == 1
