"""Terms acceptance and the Service Contract (5.6.3 Agree to Service Offer).

A consumer agrees by setting `spec.acceptedTerms` to the offer's `terms.version`; the contract
then records what was agreed: offer, terms version, release, price, currency, period, SLA and
when. When the offer's terms change, the subscription is marked TermsChanged and its contract,
with the old price and SLA, stays in force until the consumer agrees to the new version; only
then is a fresh contract written.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from it4it_operator.stages.outcome import Outcome
from it4it_operator.stages.release.changes import terms_changed
from it4it_operator.stages.release.wire import dig, format_time

AGREED = "Agreed"


def agree(
    spec: Mapping[str, Any], offer: Mapping[str, Any], *, contract: Mapping[str, Any] | None = None
) -> Outcome:
    """The Agreed condition of a Subscription `spec` against the ServiceOffer object `offer`.

    `contract` is the subscription's status.contract, to tell a terms change (TermsChanged: the
    old contract stays in force) from a first agreement. Reasons: Agreed, TermsNotAccepted,
    TermsMismatch, TermsChanged, TermsUndefined.
    """
    name = dig(offer, "metadata", "name") or spec.get("offer")
    version = dig(offer, "spec", "terms", "version")
    accepted = spec.get("acceptedTerms")
    if not version:
        return Outcome.false(
            AGREED, "TermsUndefined", f"ServiceOffer {name} has no spec.terms.version to agree to"
        )
    if accepted == version:
        return Outcome.true(AGREED, "Agreed", f"terms {version} of ServiceOffer {name} are agreed")
    if contract and contract.get("offer") == name and terms_changed(contract, version):
        old = contract.get("termsVersion")
        return Outcome.false(
            AGREED,
            "TermsChanged",
            f"ServiceOffer {name} changed its terms from {old} to {version}; the contract keeps"
            f" terms {old} and their price until spec.acceptedTerms is set to {version}",
        )
    if not accepted:
        return Outcome.false(
            AGREED,
            "TermsNotAccepted",
            f"spec.acceptedTerms is missing; set it to {version} to accept the terms of"
            f" ServiceOffer {name}",
        )
    return Outcome.false(
        AGREED,
        "TermsMismatch",
        f"spec.acceptedTerms {accepted} does not match terms version {version} of"
        f" ServiceOffer {name}",
    )


def make_contract(
    offer_name: str, offer_spec: Mapping[str, Any], release_version: str | None, now: datetime
) -> dict[str, Any]:
    """A fresh status.contract: {offer, termsVersion, releaseVersion, price, currency, period,
    sla, agreedAt}; fields the offer does not set (a free offer has no price) are left out."""
    contract = {
        "offer": offer_name,
        "termsVersion": dig(offer_spec, "terms", "version"),
        "releaseVersion": release_version,
        "price": dig(offer_spec, "pricing", "price"),
        "currency": dig(offer_spec, "pricing", "currency"),
        "period": dig(offer_spec, "pricing", "period"),
        "sla": copy.deepcopy(dig(offer_spec, "terms", "sla")),
        "agreedAt": format_time(now),
    }
    return {key: value for key, value in contract.items() if value is not None}


def contract_after_terms_change(
    contract: Mapping[str, Any] | None,
    offer: Mapping[str, Any],
    spec: Mapping[str, Any],
    *,
    release_version: str | None,
    now: datetime,
) -> dict[str, Any] | None:
    """The contract a subscription holds after this reconcile.

    Agreed to terms the contract does not record yet (or no contract): a fresh contract agreed
    `now`. Otherwise the contract stays as it is, old price and SLA included, also while the
    subscription is TermsChanged; only its releaseVersion follows the release the offer resolves
    to (`release_version`; None keeps the recorded one). None when there never was an agreement.
    `offer` is the ServiceOffer object, `spec` the Subscription spec.
    """
    name = str(dig(offer, "metadata", "name") or spec.get("offer"))
    offer_spec = offer.get("spec") or {}
    same_terms = (
        contract is not None
        and contract.get("offer") == name
        and not terms_changed(contract, dig(offer_spec, "terms", "version"))
    )
    if agree(spec, offer, contract=contract).ok and not same_terms:
        return make_contract(name, offer_spec, release_version, now)
    if not contract:
        return None
    kept = copy.deepcopy(dict(contract))
    if release_version is not None and contract.get("offer") == name:
        kept["releaseVersion"] = release_version
    return kept
