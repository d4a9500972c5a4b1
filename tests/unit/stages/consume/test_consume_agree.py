"""Terms acceptance and the Service Contract (5.6.3 Agree to Service Offer)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from it4it_operator.stages.consume.agree import agree, contract_after_terms_change, make_contract

OfferFactory = Callable[..., dict[str, Any]]
AGREED_AT = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
OLD_CONTRACT = {
    "offer": "guestbook-standard",
    "termsVersion": "2026-01",
    "releaseVersion": "1.0.0",
    "price": "10.00",
    "currency": "EUR",
    "period": "Monthly",
    "sla": {"availability": "99.5"},
    "agreedAt": "2026-01-15T09:30:00Z",
}
NEW_TERMS = {
    "terms": {"version": "2026-04", "sla": {"availability": "99.9"}},
    "pricing": {"currency": "EUR", "price": "12.50", "period": "Monthly"},
}


@pytest.mark.parametrize(
    ("spec", "changes", "contract", "reason", "fragment"),
    [
        pytest.param(
            {"acceptedTerms": "2026-01"},
            {},
            None,
            "Agreed",
            "terms 2026-01 of ServiceOffer guestbook-standard are agreed",
            id="accepting the offer's terms version agrees",
        ),
        pytest.param(
            {},
            {},
            None,
            "TermsNotAccepted",
            "spec.acceptedTerms is missing; set it to 2026-01",
            id="a subscription without accepted terms is told which to accept",
        ),
        pytest.param(
            {"acceptedTerms": "2025-10"},
            {},
            None,
            "TermsMismatch",
            "spec.acceptedTerms 2025-10 does not match terms version 2026-01",
            id="accepting other terms names both versions",
        ),
        pytest.param(
            {"acceptedTerms": "2026-01"},
            NEW_TERMS,
            OLD_CONTRACT,
            "TermsChanged",
            "changed its terms from 2026-01 to 2026-04",
            id="new terms mark an existing subscription TermsChanged",
        ),
        pytest.param(
            {"acceptedTerms": "2026-04"},
            NEW_TERMS,
            OLD_CONTRACT,
            "Agreed",
            "terms 2026-04",
            id="agreeing again to new terms agrees",
        ),
        pytest.param(
            {"acceptedTerms": "2026-01"},
            {"terms": {"summary": "none"}},
            None,
            "TermsUndefined",
            "has no spec.terms.version",
            id="an offer without a terms version cannot be agreed to",
        ),
    ],
)
def test_agree(
    make_offer: OfferFactory,
    *,
    spec: dict[str, Any],
    changes: dict[str, Any],
    contract: dict[str, Any] | None,
    reason: str,
    fragment: str,
) -> None:
    outcome = agree(
        {"offer": "guestbook-standard", **spec}, make_offer(**changes), contract=contract
    )
    assert (outcome.type, outcome.reason, outcome.ok) == ("Agreed", reason, reason == "Agreed")
    assert fragment in outcome.message


def test_a_contract_records_what_was_agreed(make_offer: OfferFactory) -> None:
    offer = make_offer()
    assert make_contract("guestbook-standard", offer["spec"], "1.1.0", AGREED_AT) == {
        "offer": "guestbook-standard",
        "termsVersion": "2026-01",
        "releaseVersion": "1.1.0",
        "price": "12.50",
        "currency": "EUR",
        "period": "Monthly",
        "sla": {"availability": "99.5", "supportHours": "8x5"},
        "agreedAt": "2026-01-15T09:30:00Z",
    }


def test_a_contract_for_a_free_offer_has_no_price(make_offer: OfferFactory) -> None:
    contract = make_contract("free", make_offer(pricing=None)["spec"], "1.1.0", AGREED_AT)
    assert {"price", "currency", "period"}.isdisjoint(contract)


@pytest.mark.parametrize(
    ("accepted", "contract", "release_version", "expected"),
    [
        pytest.param(
            "2026-01",
            OLD_CONTRACT,
            "1.1.0",
            {**OLD_CONTRACT, "releaseVersion": "1.1.0"},
            id="a terms change keeps the old price until agreed again",
        ),
        pytest.param(
            "2026-04",
            OLD_CONTRACT,
            "1.1.0",
            {
                "offer": "guestbook-standard",
                "termsVersion": "2026-04",
                "releaseVersion": "1.1.0",
                "price": "12.50",
                "currency": "EUR",
                "period": "Monthly",
                "sla": {"availability": "99.9"},
                "agreedAt": "2026-03-01T12:00:00Z",
            },
            id="agreeing to new terms writes a fresh contract at the new price",
        ),
        pytest.param(
            None, None, "1.1.0", None, id="a subscription that never agreed has no contract"
        ),
    ],
)
def test_contract_after_terms_change(
    make_offer: OfferFactory,
    now: datetime,
    *,
    accepted: str | None,
    contract: dict[str, Any] | None,
    release_version: str,
    expected: dict[str, Any] | None,
) -> None:
    spec = {"offer": "guestbook-standard", "acceptedTerms": accepted}
    result = contract_after_terms_change(
        contract, make_offer(**NEW_TERMS), spec, release_version=release_version, now=now
    )
    assert result == expected


def test_an_upgrade_under_the_same_terms_keeps_price_and_agreement_date(
    make_offer: OfferFactory, now: datetime
) -> None:
    contract = make_contract("guestbook-standard", make_offer()["spec"], "1.1.0", AGREED_AT)
    spec = {"offer": "guestbook-standard", "acceptedTerms": "2026-01"}
    result = contract_after_terms_change(
        contract, make_offer(pricing={"price": "99.00"}), spec, release_version="1.2.0", now=now
    )
    assert result == {**contract, "releaseVersion": "1.2.0"}


def test_a_first_agreement_writes_a_contract(make_offer: OfferFactory, now: datetime) -> None:
    spec = {"offer": "guestbook-standard", "acceptedTerms": "2026-01"}
    result = contract_after_terms_change(None, make_offer(), spec, release_version="1.1.0", now=now)
    assert result is not None
    assert (result["termsVersion"], result["agreedAt"]) == ("2026-01", "2026-03-01T12:00:00Z")
