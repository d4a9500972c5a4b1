"""What a ServiceOffer's status tells the catalog manager (5.5.3 Implement Service Offer: "shall
maintain Service Offer information, including price list, service access").

The status carries the facts people and the catalog read at a glance: the release the offer
resolves to, how many subscriptions it has, its margin, and who can see it. Keys whose value is
unknown are None, so a JSON merge patch removes a stale value instead of keeping it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from it4it_operator.stages.release.audience import audience_summary
from it4it_operator.stages.release.define import margin, pricing_warnings
from it4it_operator.stages.release.versions import ResolvedRelease
from it4it_operator.stages.release.wire import dig


def subscriber_count(subscriptions: Sequence[Mapping[str, Any]], offer_name: str) -> int:
    """How many Subscription objects (any namespace) order `offer_name` and are not being
    deleted."""
    return sum(
        1
        for subscription in subscriptions
        if dig(subscription, "spec", "offer") == offer_name
        and not dig(subscription, "metadata", "deletionTimestamp")
    )


def offer_status(
    spec: Mapping[str, Any], *, resolved: ResolvedRelease | None, subscribers: int
) -> dict[str, Any]:
    """The ServiceOffer status fields besides conditions and phase (camelCase):
    release {name, namespace, version, digest}, subscribers, margin, pricingWarnings, audience."""
    return {
        "release": resolved.to_status() if resolved else None,
        "subscribers": subscribers,
        "margin": margin(spec.get("pricing")),
        "pricingWarnings": pricing_warnings(spec.get("pricing")) or None,
        "audience": audience_summary(spec.get("audience")),
    }
