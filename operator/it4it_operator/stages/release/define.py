"""Is the offer complete enough to publish? (5.5.2 Define Service Offer: "shall validate
completeness of offering information", and the price-and-margin part of 5.5.3 Implement).

`define_offer` checks everything at once and lists every gap in one message, so a catalog manager
fixes the offer in one round instead of one condition flip at a time. The condition reason is the
first gap in this order: what the offer is over (release or bundle), its parameter schema, its
terms, its support plan, its pricing, its validity window, its audience.

Money is decimal strings ("12.50"), computed with `decimal.Decimal`, never floats. A price below
cost is allowed (a loss leader is a business decision) and reported as a warning, not a failure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from it4it_operator.api.common import CURRENCY, MONEY, PERCENT
from it4it_operator.stages.outcome import Outcome
from it4it_operator.stages.parameters import schema_problems
from it4it_operator.stages.release.audience import audience_problems
from it4it_operator.stages.release.changes import bundle_problems
from it4it_operator.stages.release.publish import validity_window
from it4it_operator.stages.release.versions import ResolvedRelease, parse_range
from it4it_operator.stages.release.wire import dig

DEFINED = "Defined"
_MONEY = re.compile(MONEY)
_CURRENCY = re.compile(CURRENCY)
_PERCENT = re.compile(PERCENT)
_CENT = Decimal("0.01")

Problem = tuple[str, str]
"""(reason, sentence) for one gap in an offer."""


def money(text: object, *, field: str) -> Decimal:
    """Parse a non-negative amount such as "12.50", or raise ValueError naming `field`."""
    if not isinstance(text, str) or not _MONEY.match(text):
        raise ValueError(f"{field} {text!r} is not an amount such as 12.50 (a decimal string)")
    return Decimal(text)


def format_money(amount: Decimal) -> str:
    """Two decimals, half up: Decimal("5.5") -> "5.50"; never "-0.00"."""
    rounded = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    return str(rounded if rounded else rounded.copy_abs())


def margin(pricing: Mapping[str, Any] | None) -> str | None:
    """Price minus cost with two decimals ("5.50"; negative when sold at a loss), or None when
    price or cost is missing or not an amount."""
    price, cost = dig(pricing, "price"), dig(pricing, "cost")
    if price is None or cost is None:
        return None
    try:
        return format_money(
            money(price, field="spec.pricing.price") - money(cost, field="spec.pricing.cost")
        )
    except ValueError:
        return None


def pricing_problems(pricing: Mapping[str, Any] | None) -> list[str]:
    """Sentences naming each inconsistent spec.pricing field; an offer without pricing is free."""
    problems: list[str] = []
    for name in ("price", "cost"):
        if dig(pricing, name) is not None:
            try:
                money(dig(pricing, name), field=f"spec.pricing.{name}")
            except ValueError as exc:
                problems.append(str(exc))
    priced = dig(pricing, "price") is not None or dig(pricing, "cost") is not None
    currency = dig(pricing, "currency")
    if currency is None and priced:
        problems.append("spec.pricing.currency is missing although a price or cost is set")
    elif currency is not None and not _CURRENCY.match(str(currency)):
        problems.append(
            f"spec.pricing.currency {currency!r} is not a three-letter ISO 4217 code such as EUR"
        )
    if dig(pricing, "price") is not None and not dig(pricing, "period"):
        problems.append("spec.pricing.period is missing although spec.pricing.price is set")
    return problems


def pricing_warnings(pricing: Mapping[str, Any] | None) -> list[str]:
    """Sentences for status about a consistent but questionable pricing: a price below cost."""
    amount = margin(pricing)
    if amount is None or not amount.startswith("-"):
        return []
    return [
        f"spec.pricing.price {dig(pricing, 'price')} is below spec.pricing.cost"
        f" {dig(pricing, 'cost')}: the offer sells at a margin of {amount}"
        f" {dig(pricing, 'currency') or ''}".rstrip()
    ]


def _types(schema: Mapping[str, Any]) -> set[str] | None:
    declared = schema.get("type")
    if declared is None:
        return None
    found = {declared} if isinstance(declared, str) else set(declared)
    return found | {"integer"} if "number" in found else found


def _compatibility(
    offer_schema: Mapping[str, Any], release_schema: Mapping[str, Any], path: str, where: str
) -> list[str]:
    problems: list[str] = []
    theirs = release_schema.get("properties") or {}
    for name, ours in (offer_schema.get("properties") or {}).items():
        dotted = f"{path}{name}"
        field = f"{where}.properties.{name}"
        release_property = theirs.get(name)
        if not isinstance(release_property, Mapping):
            problems.append(
                f"offer parameter {dotted} ({field}) is not in the release's parameter schema"
            )
            continue
        if not isinstance(ours, Mapping):
            continue
        our_types, their_types = _types(ours), _types(release_property)
        if our_types and their_types and not our_types <= their_types:
            problems.append(
                f"offer parameter {dotted} ({field}) is of type {'/'.join(sorted(our_types))}"
                f" but the release's is {'/'.join(sorted(their_types))}"
            )
        elif ours.get("properties"):
            problems.extend(_compatibility(ours, release_property, f"{dotted}.", field))
    return problems


def schema_compatibility(
    offer_schema: Mapping[str, Any] | None, release_schema: Mapping[str, Any] | None
) -> list[str]:
    """Sentences naming each offer parameter the release cannot take: every property of the
    offer's schema (recursively into nested objects) must exist in the release's schema with a
    compatible type (an integer fits a number). A release without a schema takes no parameters."""
    return _compatibility(offer_schema or {}, release_schema or {}, "", "spec.parameters")


def _release_text(release: Mapping[str, Any]) -> str:
    return (
        f"release {release.get('product')} {release.get('version')}"
        f" in namespace {release.get('namespace')}"
    )


def _release_problems(
    release: Mapping[str, Any], resolved: ResolvedRelease | None
) -> list[Problem]:
    missing = [
        ("Incomplete", f"spec.release.{name} is missing")
        for name in ("namespace", "product", "version")
        if not release.get(name)
    ]
    if missing:
        return missing
    try:
        parse_range(release["version"])
    except ValueError as exc:
        return [("InvalidVersionRange", f"spec.release.version: {exc}")]
    if resolved is None:
        return [
            ("ReleaseNotFound", f"{_release_text(release)} resolves to no accepted ProductRelease")
        ]
    return []


def _member_problems(name: str, member: Mapping[str, Any] | None) -> list[Problem]:
    if member is None:
        return [("MemberNotFound", f"bundle member offer {name} does not exist")]
    if dig(member, "spec", "bundle"):
        return [("InvalidBundle", f"bundle member {name} is itself a bundle (bundles do not nest)")]
    if dig(member, "spec", "state") == "Terminated":
        return [("MemberUnavailable", f"bundle member offer {name} is terminated")]
    for condition in dig(member, "status", "conditions") or []:
        if condition.get("type") == DEFINED and condition.get("status") == "False":
            return [
                (
                    "MemberUnavailable",
                    f"bundle member offer {name} is not defined: {condition.get('message')}",
                )
            ]
    return []


def _bundle_problems(
    bundle: Any, name: str | None, members: Mapping[str, Mapping[str, Any] | None]
) -> list[Problem]:
    malformed = bundle_problems(bundle, offer_name=name)
    if malformed:
        return [("InvalidBundle", text) for text in malformed]
    return [
        p for entry in bundle for p in _member_problems(entry["offer"], members.get(entry["offer"]))
    ]


def _source_problems(
    spec: Mapping[str, Any],
    resolved: ResolvedRelease | None,
    members: Mapping[str, Mapping[str, Any] | None],
    name: str | None,
) -> list[Problem]:
    release, bundle = spec.get("release"), spec.get("bundle")
    if release and bundle:
        return [
            (
                "Incomplete",
                "spec.release and spec.bundle are both set (an offer is over one release"
                " or a bundle of offers)",
            )
        ]
    if bundle is not None:
        return _bundle_problems(bundle, name, members)
    if not release:
        return [("Incomplete", "spec.release is missing (or spec.bundle, for a bundle)")]
    return _release_problems(release, resolved)


def _schema_problems(
    spec: Mapping[str, Any], resolved: ResolvedRelease | None, release_schema: Any
) -> list[Problem]:
    schema = spec.get("parameters")
    if not schema:
        return []
    invalid = schema_problems(schema)
    if invalid:
        return [("SchemaInvalid", f"spec.parameters is not a valid JSON Schema: {invalid[0]}")]
    if resolved is None or spec.get("bundle") is not None:
        return []
    return [("SchemaIncompatible", text) for text in schema_compatibility(schema, release_schema)]


def _terms_problems(spec: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    if not dig(spec, "terms", "version"):
        problems.append(
            ("Incomplete", "spec.terms.version is missing (the version consumers agree to)")
        )
    availability = dig(spec, "terms", "sla", "availability")
    if availability is not None and not (
        _PERCENT.match(str(availability)) and Decimal(str(availability)) <= 100
    ):
        problems.append(
            (
                "Incomplete",
                f"spec.terms.sla.availability {availability!r} is not a percentage such as 99.5",
            )
        )
    return problems


def _support_problems(spec: Mapping[str, Any]) -> list[Problem]:
    if not spec.get("support"):
        return [("Incomplete", "spec.support is missing (consumers need a support plan)")]
    if not dig(spec, "support", "contact"):
        return [("Incomplete", "spec.support.contact is missing")]
    return []


def _window_problems(spec: Mapping[str, Any]) -> list[Problem]:
    try:
        validity_window(spec)
    except ValueError as exc:
        return [("InvalidValidity", str(exc))]
    return []


def _complete_message(spec: Mapping[str, Any], resolved: ResolvedRelease | None) -> str:
    if spec.get("bundle") is not None:
        members = ", ".join(str(entry["offer"]) for entry in spec["bundle"])
        text = f"the offer is complete: a bundle of {members}, brought up in that order"
    else:
        target = f"{resolved.name} (version {resolved.version})" if resolved else "nothing"
        text = f"the offer is complete: {_release_text(spec['release'])} resolves to {target}"
    warnings = pricing_warnings(spec.get("pricing"))
    return "; ".join([text, *(f"warning: {w}" for w in warnings)])


def define_offer(
    spec: Mapping[str, Any],
    *,
    resolved: ResolvedRelease | None,
    release_schema: Mapping[str, Any] | None,
    bundle_members: Mapping[str, Mapping[str, Any] | None] | None,
    name: str | None = None,
) -> Outcome:
    """The Defined condition of a ServiceOffer `spec`.

    `resolved` is `resolve_release(...)` for a release offer (None when nothing resolves or for a
    bundle) and `release_schema` that release's spec.parameters. `bundle_members` maps each member
    offer name of a bundle to that ServiceOffer object (metadata/spec/status), None when it does
    not exist. `name` is the offer's own name, to refuse a bundle that contains itself.
    Reasons: Complete, Incomplete, ReleaseNotFound, InvalidVersionRange, InvalidBundle,
    MemberNotFound, MemberUnavailable, SchemaInvalid, SchemaIncompatible, PricingInconsistent,
    InvalidValidity, InvalidAudience.
    """
    problems = [
        *_source_problems(spec, resolved, bundle_members or {}, name),
        *_schema_problems(spec, resolved, release_schema),
        *_terms_problems(spec),
        *_support_problems(spec),
        *(("PricingInconsistent", text) for text in pricing_problems(spec.get("pricing"))),
        *_window_problems(spec),
        *(("InvalidAudience", text) for text in audience_problems(spec.get("audience"))),
    ]
    if problems:
        return Outcome.false(DEFINED, problems[0][0], "; ".join(text for _, text in problems))
    return Outcome.true(DEFINED, "Complete", _complete_message(spec, resolved))
