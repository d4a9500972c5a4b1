"""May this namespace order this offer? (5.6.2 Select an Offer).

A subscription names an offer; it is selected when the offer exists, is Defined for its current
spec (`orderable`), is published now, and is visible to the subscription's namespace (audience
and canary share). Otherwise the condition says exactly why: not found, not Defined (with the
offer's own message, e.g. a missing support plan) or not checked yet, not published yet (and
when it will be), terminated (and what replaces it), or outside the audience (outside its
namespaces and selector, or outside the canary share).

A subscription that already holds a contract keeps running when its offer is terminated, moved
back to Draft, narrowed or no longer Defined: the refusal then reads as True with the refusal's
reason, so Ready does not drop for a service that keeps being delivered. While the operator has
not yet checked an offer's new spec, such a subscription reads as Selected (nothing flaps for
the moment between a catalog manager's edit and the offer's next status).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from it4it_operator.stages.consume.orderable import undefined
from it4it_operator.stages.outcome import Outcome
from it4it_operator.stages.release.audience import is_visible
from it4it_operator.stages.release.publish import publication
from it4it_operator.stages.release.wire import dig

OFFER_SELECTED = "OfferSelected"


def _refusal(
    offer: Mapping[str, Any],
    offer_name: str,
    namespace: str,
    labels: Mapping[str, str],
    now: datetime,
    *,
    under_contract: bool,
) -> tuple[str, str] | None:
    """(reason, message) why `namespace` may not order the offer now, or None when it may."""
    gap = undefined(offer)
    if gap is not None and not (gap.waiting and under_contract):
        return gap.reason, gap.message
    state = publication(offer.get("spec") or {}, now)
    if state.state in ("Draft", "Scheduled"):
        return "OfferNotPublished", f"ServiceOffer {offer_name} is not published: {state.message}"
    if state.state == "Terminated":
        return (
            "OfferTerminated",
            f"ServiceOffer {offer_name} takes no new subscriptions: {state.message}",
        )
    visibility = is_visible(dig(offer, "spec", "audience"), namespace, labels)
    if not visibility.visible:
        return (
            visibility.reason,
            f"ServiceOffer {offer_name} is not offered to namespace {namespace}:"
            f" {visibility.message}",
        )
    return None


def select_offer(
    offer: Mapping[str, Any] | None,
    *,
    offer_name: str,
    namespace: str,
    labels: Mapping[str, str],
    now: datetime,
    under_contract: bool = False,
) -> Outcome:
    """The OfferSelected condition of a Subscription in `namespace` (with its `labels`).

    `offer` is the ServiceOffer object (metadata/spec/status) named by spec.offer, None when it
    does not exist. `under_contract` is True when the subscription already has a contract with
    this offer. Reasons: Selected, OfferNotFound, OfferNotDefined, OfferNotChecked,
    OfferNotPublished, OfferTerminated, and the audience's NotInAudience, OutsideCanaryShare or
    InvalidAudience.
    """
    if offer is None:
        return Outcome.false(
            OFFER_SELECTED, "OfferNotFound", f"ServiceOffer {offer_name} does not exist"
        )
    refusal = _refusal(offer, offer_name, namespace, labels, now, under_contract=under_contract)
    if refusal is None:
        return Outcome.true(
            OFFER_SELECTED,
            "Selected",
            f"ServiceOffer {offer_name} is defined, published and offered to namespace {namespace}",
        )
    reason, message = refusal
    if under_contract:
        return Outcome.true(
            OFFER_SELECTED, reason, f"{message}; this subscription keeps running under its contract"
        )
    return Outcome.false(OFFER_SELECTED, reason, message)
