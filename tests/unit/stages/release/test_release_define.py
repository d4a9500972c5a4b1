"""Completeness of an offer (5.5.2 Define Service Offer, price and margin of 5.5.3 Implement)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from it4it_operator.stages.release.define import (
    define_offer,
    margin,
    pricing_problems,
    pricing_warnings,
    schema_compatibility,
)
from it4it_operator.stages.release.versions import ResolvedRelease

RESOLVED = ResolvedRelease("guestbook-1.1.0", "team-guestbook", "1.1.0", "sha256:abc")
RELEASE_SCHEMA = {
    "type": "object",
    "properties": {
        "replicas": {"type": "integer", "minimum": 1},
        "ratio": {"type": "number"},
        "db": {"type": "object", "properties": {"size": {"type": "string"}}},
    },
}


def offer_spec(**changes: Any) -> dict[str, Any]:
    """A complete release offer; a change of None removes that field."""
    spec: dict[str, Any] = {
        "displayName": "Guestbook, standard",
        "release": {
            "namespace": "team-guestbook",
            "product": "guestbook",
            "version": ">=1.0.0 <2.0.0",
        },
        "pricing": {"currency": "EUR", "price": "12.50", "cost": "7.00", "period": "Monthly"},
        "terms": {"version": "2026-01", "sla": {"availability": "99.5"}},
        "parameters": {
            "type": "object",
            "properties": {"replicas": {"type": "integer", "maximum": 5, "default": 2}},
        },
        "support": {"contact": "#guestbook"},
    }
    for key, value in changes.items():
        if value is None:
            spec.pop(key, None)
        else:
            spec[key] = value
    return spec


def member(name: str, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": offer_spec(**spec)}


BUNDLE = [{"offer": "postgres-small"}, {"offer": "guestbook-standard"}]
MEMBERS = {
    "postgres-small": member("postgres-small"),
    "guestbook-standard": member("guestbook-standard"),
}


@pytest.mark.parametrize(
    ("spec", "resolved", "members", "reason", "fragments"),
    [
        pytest.param(
            offer_spec(),
            RESOLVED,
            None,
            "Complete",
            ["resolves to guestbook-1.1.0 (version 1.1.0)"],
            id="a complete offer over a resolving release is defined",
        ),
        pytest.param(
            offer_spec(),
            None,
            None,
            "ReleaseNotFound",
            [
                "release guestbook >=1.0.0 <2.0.0 in namespace team-guestbook"
                " resolves to no accepted ProductRelease"
            ],
            id="an offer whose release does not resolve says which release",
        ),
        pytest.param(
            offer_spec(support=None),
            None,
            None,
            "ReleaseNotFound",
            ["resolves to no accepted ProductRelease", "spec.support is missing"],
            id="every gap is listed in one message",
        ),
        pytest.param(
            offer_spec(support=None),
            RESOLVED,
            None,
            "Incomplete",
            ["spec.support is missing"],
            id="an offer without a support plan is incomplete",
        ),
        pytest.param(
            offer_spec(support={"hours": "8x5"}),
            RESOLVED,
            None,
            "Incomplete",
            ["spec.support.contact is missing"],
            id="a support plan needs a contact",
        ),
        pytest.param(
            offer_spec(terms={"sla": {"availability": "99.5"}}),
            RESOLVED,
            None,
            "Incomplete",
            ["spec.terms.version is missing"],
            id="an offer without a terms version is incomplete",
        ),
        pytest.param(
            offer_spec(terms={"version": "1", "sla": {"availability": "high"}}),
            RESOLVED,
            None,
            "Incomplete",
            ["spec.terms.sla.availability 'high'"],
            id="an SLA availability must be a percentage",
        ),
        pytest.param(
            offer_spec(release=None),
            None,
            None,
            "Incomplete",
            ["spec.release is missing"],
            id="an offer over nothing is incomplete",
        ),
        pytest.param(
            offer_spec(release={"namespace": "team-guestbook", "product": "guestbook"}),
            None,
            None,
            "Incomplete",
            ["spec.release.version is missing"],
            id="a release without a version range is incomplete",
        ),
        pytest.param(
            offer_spec(release={"namespace": "t", "product": "guestbook", "version": "1.x"}),
            None,
            None,
            "InvalidVersionRange",
            ["spec.release.version: version range '1.x'"],
            id="a malformed version range names the field",
        ),
        pytest.param(
            offer_spec(parameters={"type": "object", "properties": {"size": {"type": "integer"}}}),
            RESOLVED,
            None,
            "SchemaIncompatible",
            [
                "offer parameter size (spec.parameters.properties.size)"
                " is not in the release's parameter schema"
            ],
            id="an offer parameter the release lacks is incompatible",
        ),
        pytest.param(
            offer_spec(parameters={"type": "wrong"}),
            RESOLVED,
            None,
            "SchemaInvalid",
            ["spec.parameters is not a valid JSON Schema"],
            id="an offer schema that is not JSON Schema is refused",
        ),
        pytest.param(
            offer_spec(pricing={"price": "12,50", "currency": "EUR", "period": "Monthly"}),
            RESOLVED,
            None,
            "PricingInconsistent",
            ["spec.pricing.price '12,50' is not an amount"],
            id="a price that is not an amount is inconsistent",
        ),
        pytest.param(
            offer_spec(pricing={"price": "12.50", "period": "Monthly"}),
            RESOLVED,
            None,
            "PricingInconsistent",
            ["spec.pricing.currency is missing"],
            id="a price without currency is inconsistent",
        ),
        pytest.param(
            offer_spec(
                pricing={"price": "5.00", "cost": "7.00", "currency": "EUR", "period": "Monthly"}
            ),
            RESOLVED,
            None,
            "Complete",
            [
                "warning: spec.pricing.price 5.00 is below spec.pricing.cost 7.00",
                "margin of -2.00 EUR",
            ],
            id="a price below cost is a warning, not a failure",
        ),
        pytest.param(
            offer_spec(pricing=None),
            RESOLVED,
            None,
            "Complete",
            ["resolves to"],
            id="an offer without pricing is free and complete",
        ),
        pytest.param(
            offer_spec(validity={"from": "2026-07-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}),
            RESOLVED,
            None,
            "InvalidValidity",
            ["spec.validity.until 2026-01-01T00:00:00Z is not after"],
            id="a validity window that ends before it starts is refused",
        ),
        pytest.param(
            offer_spec(audience={"canaryPercent": 150}),
            RESOLVED,
            None,
            "InvalidAudience",
            ["spec.audience.canaryPercent 150"],
            id="a malformed audience is refused",
        ),
        pytest.param(
            offer_spec(release=None, bundle=BUNDLE, parameters=None),
            None,
            MEMBERS,
            "Complete",
            ["a bundle of postgres-small, guestbook-standard, brought up in that order"],
            id="a bundle whose members all exist is defined",
        ),
        pytest.param(
            offer_spec(release=None, bundle=BUNDLE),
            None,
            {"guestbook-standard": MEMBERS["guestbook-standard"]},
            "MemberNotFound",
            ["bundle member offer postgres-small does not exist"],
            id="a bundle with a missing member names it",
        ),
        pytest.param(
            offer_spec(release=None, bundle=BUNDLE),
            None,
            {**MEMBERS, "postgres-small": member("postgres-small", state="Terminated")},
            "MemberUnavailable",
            ["bundle member offer postgres-small is terminated"],
            id="a bundle with a terminated member names it",
        ),
        pytest.param(
            offer_spec(release=None, bundle=BUNDLE),
            None,
            {
                **MEMBERS,
                "postgres-small": {
                    **member("postgres-small"),
                    "status": {
                        "conditions": [
                            {
                                "type": "Defined",
                                "status": "False",
                                "message": "spec.support is missing",
                            }
                        ]
                    },
                },
            },
            "MemberUnavailable",
            ["postgres-small is not defined: spec.support is missing"],
            id="a bundle with an undefined member says why",
        ),
        pytest.param(
            offer_spec(release=None, bundle=BUNDLE),
            None,
            {
                **MEMBERS,
                "postgres-small": member("postgres-small", release=None, bundle=[{"offer": "x"}]),
            },
            "InvalidBundle",
            ["postgres-small is itself a bundle"],
            id="bundles do not nest",
        ),
        pytest.param(
            offer_spec(release=None, bundle=[*BUNDLE, {"offer": "postgres-small"}]),
            None,
            MEMBERS,
            "InvalidBundle",
            ["spec.bundle[2] lists offer postgres-small again (already at spec.bundle[0])"],
            id="a bundle listing a member twice is refused",
        ),
        pytest.param(
            offer_spec(release=None, bundle=[{"offer": "gb-bundle"}]),
            None,
            {},
            "InvalidBundle",
            ["spec.bundle[0] names the bundle gb-bundle itself"],
            id="a bundle that contains itself is refused",
        ),
        pytest.param(
            offer_spec(release=None, bundle=[]),
            None,
            {},
            "InvalidBundle",
            ["spec.bundle is empty"],
            id="an empty bundle is refused",
        ),
        pytest.param(
            offer_spec(bundle=BUNDLE),
            RESOLVED,
            MEMBERS,
            "Incomplete",
            ["spec.release and spec.bundle are both set"],
            id="an offer over both a release and a bundle is refused",
        ),
    ],
)
def test_define_offer(
    spec: dict[str, Any],
    resolved: ResolvedRelease | None,
    members: dict[str, dict[str, Any] | None] | None,
    reason: str,
    fragments: list[str],
) -> None:
    outcome = define_offer(
        spec,
        resolved=resolved,
        release_schema=RELEASE_SCHEMA,
        bundle_members=members,
        name="gb-bundle",
    )
    assert (outcome.type, outcome.reason, outcome.ok) == ("Defined", reason, reason == "Complete")
    for fragment in fragments:
        assert fragment in outcome.message


def test_define_offer_does_not_change_its_input() -> None:
    spec = offer_spec()
    before = copy.deepcopy(spec)
    define_offer(spec, resolved=RESOLVED, release_schema=RELEASE_SCHEMA, bundle_members=None)
    assert spec == before


@pytest.mark.parametrize(
    ("offer_schema", "release_schema", "problems"),
    [
        pytest.param(
            {"properties": {"replicas": {"type": "integer"}}},
            RELEASE_SCHEMA,
            [],
            id="a property the release has is compatible",
        ),
        pytest.param(
            {"properties": {"ratio": {"type": "integer"}}},
            RELEASE_SCHEMA,
            [],
            id="an integer fits a number",
        ),
        pytest.param(
            {"properties": {"replicas": {"type": "string"}}},
            RELEASE_SCHEMA,
            [
                "offer parameter replicas (spec.parameters.properties.replicas)"
                " is of type string but the release's is integer"
            ],
            id="a property of another type is incompatible",
        ),
        pytest.param(
            {"properties": {"db": {"properties": {"size": {"type": "string"}}}}},
            RELEASE_SCHEMA,
            [],
            id="a nested property the release has is compatible",
        ),
        pytest.param(
            {"properties": {"db": {"properties": {"disk": {}}}}},
            RELEASE_SCHEMA,
            [
                "offer parameter db.disk (spec.parameters.properties.db.properties.disk)"
                " is not in the release's parameter schema"
            ],
            id="a nested property the release lacks names its full path",
        ),
        pytest.param(
            {"properties": {"replicas": {}}},
            None,
            [
                "offer parameter replicas (spec.parameters.properties.replicas)"
                " is not in the release's parameter schema"
            ],
            id="a release without a schema takes no parameters",
        ),
        pytest.param({}, None, [], id="an offer without properties is compatible with anything"),
    ],
)
def test_schema_compatibility(
    offer_schema: dict[str, Any], release_schema: dict[str, Any] | None, problems: list[str]
) -> None:
    assert schema_compatibility(offer_schema, release_schema) == problems


@pytest.mark.parametrize(
    ("pricing", "expected"),
    [
        pytest.param(
            {"price": "12.50", "cost": "7.00"},
            "5.50",
            id="the margin is price minus cost with two decimals",
        ),
        pytest.param(
            {"price": "0.30", "cost": "0.10"}, "0.20", id="the margin is exact decimal arithmetic"
        ),
        pytest.param(
            {"price": "10", "cost": "10"}, "0.00", id="a price equal to cost has a zero margin"
        ),
        pytest.param(
            {"price": "5", "cost": "7.5"}, "-2.50", id="a price below cost has a negative margin"
        ),
        pytest.param(
            {"price": "1.005", "cost": "0"},
            None,
            id="a price with more than two decimals is not an amount the API accepts",
        ),
        pytest.param({"price": "12.50"}, None, id="there is no margin without a cost"),
        pytest.param(
            {"price": "twelve", "cost": "7"},
            None,
            id="there is no margin of a price that is not an amount",
        ),
        pytest.param(None, None, id="there is no margin without pricing"),
    ],
)
def test_margin(pricing: dict[str, str] | None, expected: str | None) -> None:
    assert margin(pricing) == expected


@pytest.mark.parametrize(
    ("pricing", "problems"),
    [
        pytest.param(
            {"price": "12.50", "cost": "7", "currency": "EUR", "period": "Monthly"},
            [],
            id="a full pricing is consistent",
        ),
        pytest.param(
            {"cost": "-1", "currency": "EUR"},
            ["spec.pricing.cost '-1' is not an amount such as 12.50 (a decimal string)"],
            id="a negative cost is not an amount",
        ),
        pytest.param(
            {"price": "1", "currency": "euro", "period": "Monthly"},
            ["spec.pricing.currency 'euro' is not a three-letter ISO 4217 code such as EUR"],
            id="a currency must be an ISO code",
        ),
        pytest.param(
            {"price": "1", "currency": "EUR"},
            ["spec.pricing.period is missing although spec.pricing.price is set"],
            id="a price needs a period",
        ),
    ],
)
def test_pricing_problems(pricing: dict[str, str], problems: list[str]) -> None:
    assert pricing_problems(pricing) == problems


def test_a_profitable_offer_has_no_pricing_warning() -> None:
    assert pricing_warnings({"price": "12.50", "cost": "7.00", "currency": "EUR"}) == []
