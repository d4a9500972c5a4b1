"""Who may see and order an offer (5.5.4 Publish Service Offer: "accessible by the target
consumer group, supporting canary releases").

An offer's `spec.audience` names the eligible namespaces by list (`namespaces`) or by label
selector (`namespaceSelector`, Kubernetes LabelSelector semantics); the two are ORed, and when
neither is set every namespace is eligible. `canaryPercent` then lets only a share of the eligible
namespaces see the offer. The share is chosen by a stable hash of the namespace name (sha256, not
Python's per-process `hash()`), so every replica of the operator agrees, and a namespace that is
in at 10% stays in at 20%: growing a canary never takes the offer away from anyone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from it4it_operator.stages.release.wire import dig

_SET_OPERATORS = frozenset({"In", "NotIn"})
_EXISTENCE_OPERATORS = frozenset({"Exists", "DoesNotExist"})


@dataclass(frozen=True)
class Visibility:
    """Whether one namespace sees an offer; reason is InAudience, NotInAudience,
    OutsideCanaryShare or InvalidAudience."""

    visible: bool
    reason: str
    message: str


def canary_bucket(namespace: str) -> int:
    """The namespace's fixed place in 0..99 for canary shares: sha256 of its name, modulo 100."""
    digest = hashlib.sha256(namespace.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 100


def canary_percent(audience: Mapping[str, Any] | None) -> Decimal:
    """spec.audience.canaryPercent as a number in 0..100 (default 100), or raise ValueError."""
    raw = dig(audience, "canaryPercent")
    if raw is None:
        return Decimal(100)
    try:
        percent = Decimal(str(raw)) if not isinstance(raw, bool) else None
    except InvalidOperation:
        percent = None
    if percent is None or not percent.is_finite() or not 0 <= percent <= 100:
        raise ValueError(f"spec.audience.canaryPercent {raw!r} is not a percentage from 0 to 100")
    return percent


def _requirement_problems(index: int, requirement: object) -> list[str]:
    where = f"spec.audience.namespaceSelector.matchExpressions[{index}]"
    if not isinstance(requirement, Mapping):
        return [f"{where} must be an object with key, operator and values"]
    operator, values = requirement.get("operator"), requirement.get("values") or []
    problems = [] if requirement.get("key") else [f"{where}.key is missing"]
    if operator in _SET_OPERATORS and not values:
        problems.append(f"{where}.values must not be empty for operator {operator}")
    elif operator in _EXISTENCE_OPERATORS and values:
        problems.append(f"{where}.values must be empty for operator {operator}")
    elif operator not in _SET_OPERATORS | _EXISTENCE_OPERATORS:
        problems.append(f"{where}.operator {operator!r} is not In, NotIn, Exists or DoesNotExist")
    return problems


def audience_problems(audience: Mapping[str, Any] | None) -> list[str]:
    """Sentences naming each malformed field of spec.audience; empty when it is well formed."""
    problems: list[str] = []
    if not isinstance(dig(audience, "namespaces") or [], list):
        problems.append("spec.audience.namespaces must be a list of namespace names")
    selector = dig(audience, "namespaceSelector")
    if selector is not None and not isinstance(selector, Mapping):
        problems.append("spec.audience.namespaceSelector must be a label selector object")
    try:
        canary_percent(audience)
    except ValueError as exc:
        problems.append(str(exc))
    expressions = dig(audience, "namespaceSelector", "matchExpressions") or []
    for index, requirement in enumerate(expressions):
        problems.extend(_requirement_problems(index, requirement))
    return problems


def _requirement_holds(requirement: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key, operator = str(requirement.get("key")), requirement.get("operator")
    values = requirement.get("values") or []
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    return key not in labels


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Kubernetes LabelSelector: every matchLabels pair and every matchExpression must hold;
    an empty selector matches every namespace."""
    match_labels = selector.get("matchLabels") or {}
    if any(labels.get(key) != value for key, value in match_labels.items()):
        return False
    return all(_requirement_holds(r, labels) for r in selector.get("matchExpressions") or [])


def is_eligible(
    audience: Mapping[str, Any] | None, namespace: str, labels: Mapping[str, str]
) -> bool:
    """Listed in spec.audience.namespaces, or matched by its namespaceSelector, or no restriction.

    An empty `namespaces` list counts as absent (Kubernetes convention), so `{namespaces: []}`
    restricts nobody; to hide an offer, use `state: Draft`.
    """
    listed = dig(audience, "namespaces") or []
    selector = dig(audience, "namespaceSelector")
    if not listed and selector is None:
        return True
    return namespace in listed or (selector is not None and selector_matches(selector, labels))


def is_visible(
    audience: Mapping[str, Any] | None, namespace: str, labels: Mapping[str, str]
) -> Visibility:
    """Whether `namespace` (with its `labels`) sees the offer: eligible, then inside the canary."""
    problems = audience_problems(audience)
    if problems:
        return Visibility(False, "InvalidAudience", "; ".join(problems))
    if not is_eligible(audience, namespace, labels):
        return Visibility(
            False,
            "NotInAudience",
            f"namespace {namespace} is neither listed in spec.audience.namespaces nor matched by"
            " spec.audience.namespaceSelector",
        )
    percent, bucket = canary_percent(audience), canary_bucket(namespace)
    if bucket >= percent:
        return Visibility(
            False,
            "OutsideCanaryShare",
            f"namespace {namespace} is in the audience but outside the canary share of"
            f" {percent}% (its canary bucket is {bucket})",
        )
    return Visibility(True, "InAudience", f"namespace {namespace} is in the offer's audience")


def _expression_text(requirement: Mapping[str, Any]) -> str:
    key, operator = requirement.get("key"), requirement.get("operator")
    values = ",".join(str(v) for v in requirement.get("values") or [])
    return {
        "In": f"{key} in ({values})",
        "NotIn": f"{key} notin ({values})",
        "Exists": f"{key}",
        "DoesNotExist": f"!{key}",
    }.get(str(operator), f"{key} {operator} ({values})")


def audience_summary(audience: Mapping[str, Any] | None) -> str:
    """One line for status and the catalog, e.g. "namespaces shop; selector tier=gold; canary 50%".

    Selectors are written in kubectl's label-selector syntax; an empty selector is "selector
    (all)"; without restriction the summary is "all namespaces".
    """
    parts: list[str] = []
    listed = dig(audience, "namespaces") or []
    if listed:
        parts.append("namespaces " + ", ".join(listed))
    selector = dig(audience, "namespaceSelector")
    if selector is not None:
        terms = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
        terms += [_expression_text(r) for r in selector.get("matchExpressions") or []]
        parts.append("selector " + (",".join(terms) or "(all)"))
    if not parts:
        parts.append("all namespaces")
    try:
        percent = canary_percent(audience)
    except ValueError:
        parts.append(f"canary {dig(audience, 'canaryPercent')!r} (invalid)")
    else:
        if percent < 100:
            parts.append(f"canary {percent}%")
    return "; ".join(parts)
