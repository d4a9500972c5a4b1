"""Who sees an offer: audience and canary share (5.5.4 Publish Service Offer)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from it4it_operator.stages.release.audience import (
    audience_problems,
    audience_summary,
    canary_bucket,
    is_visible,
)

GOLD = {"tier": "gold", "env": "prod"}


def namespace_in_bucket(*, below: int | None = None, at_least: int | None = None) -> str:
    """A namespace name whose canary bucket is below / at least the given value."""
    for index in range(1000):
        name = f"team-{index}"
        bucket = canary_bucket(name)
        if (below is None or bucket < below) and (at_least is None or bucket >= at_least):
            return name
    raise AssertionError("no such namespace in the first 1000 names")


INSIDE_HALF, OUTSIDE_HALF = namespace_in_bucket(below=50), namespace_in_bucket(at_least=50)


@pytest.mark.parametrize(
    ("audience", "namespace", "labels", "reason"),
    [
        pytest.param(
            None,
            "shop",
            {},
            "InAudience",
            id="an offer without audience is visible to every namespace",
        ),
        pytest.param({}, "shop", {}, "InAudience", id="an empty audience restricts nobody"),
        pytest.param(
            {"namespaces": ["shop"]},
            "shop",
            {},
            "InAudience",
            id="a listed namespace sees the offer",
        ),
        pytest.param(
            {"namespaces": ["shop"]},
            "blog",
            {},
            "NotInAudience",
            id="an unlisted namespace does not see the offer",
        ),
        pytest.param(
            {"namespaces": []},
            "blog",
            {},
            "InAudience",
            id="an empty namespace list counts as no restriction",
        ),
        pytest.param(
            {"namespaceSelector": {}},
            "blog",
            {},
            "InAudience",
            id="an empty selector matches every namespace",
        ),
        pytest.param(
            {"namespaceSelector": {"matchLabels": {"tier": "gold"}}},
            "blog",
            GOLD,
            "InAudience",
            id="matching labels make a namespace eligible",
        ),
        pytest.param(
            {"namespaceSelector": {"matchLabels": {"tier": "gold"}}},
            "blog",
            {"tier": "silver"},
            "NotInAudience",
            id="a different label value keeps a namespace out",
        ),
        pytest.param(
            {"namespaces": ["shop"], "namespaceSelector": {"matchLabels": {"tier": "gold"}}},
            "blog",
            GOLD,
            "InAudience",
            id="namespaces and selector are alternatives",
        ),
        pytest.param(
            {
                "namespaceSelector": {
                    "matchLabels": {"tier": "gold"},
                    "matchExpressions": [{"key": "env", "operator": "In", "values": ["dev"]}],
                }
            },
            "blog",
            GOLD,
            "NotInAudience",
            id="labels and expressions must all hold",
        ),
        pytest.param(
            {
                "namespaceSelector": {
                    "matchExpressions": [
                        {"key": "env", "operator": "In", "values": ["prod", "dev"]}
                    ]
                }
            },
            "blog",
            GOLD,
            "InAudience",
            id="In holds for a listed value",
        ),
        pytest.param(
            {
                "namespaceSelector": {
                    "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]
                }
            },
            "blog",
            GOLD,
            "NotInAudience",
            id="NotIn fails for a listed value",
        ),
        pytest.param(
            {
                "namespaceSelector": {
                    "matchExpressions": [{"key": "team", "operator": "NotIn", "values": ["a"]}]
                }
            },
            "blog",
            GOLD,
            "InAudience",
            id="NotIn holds when the label is absent",
        ),
        pytest.param(
            {"namespaceSelector": {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}},
            "blog",
            GOLD,
            "InAudience",
            id="Exists holds when the label is present",
        ),
        pytest.param(
            {
                "namespaceSelector": {
                    "matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]
                }
            },
            "blog",
            GOLD,
            "NotInAudience",
            id="DoesNotExist fails when the label is present",
        ),
        pytest.param(
            {"canaryPercent": 50},
            INSIDE_HALF,
            {},
            "InAudience",
            id="a namespace inside the canary share sees the offer",
        ),
        pytest.param(
            {"canaryPercent": 50},
            OUTSIDE_HALF,
            {},
            "OutsideCanaryShare",
            id="a namespace outside the canary share cannot see the offer",
        ),
        pytest.param(
            {"canaryPercent": "50"},
            OUTSIDE_HALF,
            {},
            "OutsideCanaryShare",
            id="a canary share may be written as a string",
        ),
        pytest.param(
            {"canaryPercent": 0},
            INSIDE_HALF,
            {},
            "OutsideCanaryShare",
            id="a canary share of zero hides the offer from everyone",
        ),
        pytest.param(
            {"canaryPercent": 101},
            "shop",
            {},
            "InvalidAudience",
            id="a canary share above 100 is refused",
        ),
        pytest.param(
            {"namespaceSelector": {"matchExpressions": [{"key": "tier", "operator": "Like"}]}},
            "shop",
            GOLD,
            "InvalidAudience",
            id="an unknown selector operator is refused",
        ),
    ],
)
def test_is_visible(
    audience: dict[str, Any] | None, namespace: str, labels: dict[str, str], reason: str
) -> None:
    visibility = is_visible(audience, namespace, labels)
    assert (visibility.visible, visibility.reason) == (reason == "InAudience", reason)


def test_the_canary_bucket_is_a_stable_sha256_place() -> None:
    assert canary_bucket("shop") == canary_bucket("shop") == 25


@given(
    namespace=st.from_regex(r"[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?", fullmatch=True),
    smaller=st.integers(0, 100),
    larger=st.integers(0, 100),
)
def test_a_canary_share_that_grows_keeps_the_namespaces_it_had(
    namespace: str, smaller: int, larger: int
) -> None:
    smaller, larger = min(smaller, larger), max(smaller, larger)
    if is_visible({"canaryPercent": smaller}, namespace, {}).visible:
        assert is_visible({"canaryPercent": larger}, namespace, {}).visible


def test_canary_buckets_spread_over_the_whole_range() -> None:
    buckets = {canary_bucket(f"team-{index}") for index in range(2000)}
    assert buckets == set(range(100))


@pytest.mark.parametrize(
    ("audience", "problem"),
    [
        pytest.param(
            {"canaryPercent": "half"},
            "spec.audience.canaryPercent 'half'",
            id="a canary share that is not a number is named",
        ),
        pytest.param(
            {"namespaceSelector": {"matchExpressions": [{"key": "tier", "operator": "In"}]}},
            "matchExpressions[0].values must not be empty",
            id="In without values is refused as Kubernetes does",
        ),
        pytest.param(
            {
                "namespaceSelector": {
                    "matchExpressions": [{"key": "tier", "operator": "Exists", "values": ["x"]}]
                }
            },
            "matchExpressions[0].values must be empty",
            id="Exists with values is refused as Kubernetes does",
        ),
        pytest.param(
            {"namespaceSelector": {"matchExpressions": [{"operator": "Exists"}]}},
            "matchExpressions[0].key is missing",
            id="an expression without key is refused",
        ),
    ],
)
def test_audience_problems(audience: dict[str, Any], problem: str) -> None:
    assert any(problem in text for text in audience_problems(audience))


@pytest.mark.parametrize(
    ("audience", "summary"),
    [
        pytest.param(None, "all namespaces", id="no audience is summarised as all namespaces"),
        pytest.param(
            {
                "namespaces": ["shop"],
                "namespaceSelector": {"matchLabels": {"tier": "gold"}},
                "canaryPercent": 50,
            },
            "namespaces shop; selector tier=gold; canary 50%",
            id="namespaces, selector and canary are summarised in one line",
        ),
        pytest.param(
            {
                "namespaceSelector": {
                    "matchExpressions": [
                        {"key": "env", "operator": "NotIn", "values": ["dev", "test"]},
                        {"key": "team", "operator": "Exists"},
                        {"key": "legacy", "operator": "DoesNotExist"},
                    ]
                }
            },
            "selector env notin (dev,test),team,!legacy",
            id="expressions are summarised in kubectl selector syntax",
        ),
        pytest.param(
            {"namespaceSelector": {}}, "selector (all)", id="an empty selector is summarised as all"
        ),
        pytest.param(
            {"canaryPercent": 100}, "all namespaces", id="a full canary share is not mentioned"
        ),
    ],
)
def test_audience_summary(audience: dict[str, Any] | None, summary: str) -> None:
    assert audience_summary(audience) == summary
