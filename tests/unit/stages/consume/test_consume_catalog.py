"""The catalog a namespace may order from (5.6.2 Select an Offer)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from it4it_operator.stages.consume.catalog import CatalogRow, catalog, format_table

OfferFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def offers(make_offer: OfferFactory) -> list[dict[str, Any]]:
    return [
        make_offer("guestbook-standard"),
        make_offer("postgres-small", category="database", tags=["SQL"], description="Postgres"),
        make_offer("blog-draft", state="Draft"),
        make_offer("blog-next", validity={"from": "2026-06-01T00:00:00Z"}),
        make_offer("blog-old", state="Terminated"),
        make_offer("gold-only", audience={"namespaceSelector": {"matchLabels": {"tier": "gold"}}}),
        make_offer("shop-only", audience={"namespaces": ["shop"]}),
    ]


@pytest.mark.parametrize(
    ("namespace", "labels", "search", "category", "names"),
    [
        pytest.param(
            "blog",
            {},
            None,
            None,
            ["guestbook-standard", "postgres-small"],
            id="a namespace sees only published offers meant for it",
        ),
        pytest.param(
            "shop",
            {"tier": "gold"},
            None,
            None,
            ["gold-only", "guestbook-standard", "postgres-small", "shop-only"],
            id="a namespace sees offers for its name and labels",
        ),
        pytest.param(
            None,
            {},
            None,
            None,
            ["gold-only", "guestbook-standard", "postgres-small", "shop-only"],
            id="without a namespace every published offer is listed",
        ),
        pytest.param(
            "blog",
            {},
            "sql",
            None,
            ["postgres-small"],
            id="search matches tags without regard to case",
        ),
        pytest.param(
            "blog",
            {},
            "VISITORS",
            None,
            ["guestbook-standard"],
            id="search matches the description",
        ),
        pytest.param(
            "blog",
            {},
            "guestbook-stand",
            None,
            ["guestbook-standard"],
            id="search matches the name",
        ),
        pytest.param(
            "blog", {}, None, "database", ["postgres-small"], id="category filters exactly"
        ),
        pytest.param("blog", {}, None, "Database", [], id="category is case sensitive"),
    ],
)
def test_catalog_filters(
    offers: list[dict[str, Any]],
    now: datetime,
    *,
    namespace: str | None,
    labels: dict[str, str],
    search: str | None,
    category: str | None,
    names: list[str],
) -> None:
    rows = catalog(
        offers, namespace=namespace, labels=labels, now=now, search=search, category=category
    )
    assert [row.name for row in rows] == names


def test_a_catalog_row_shows_what_a_consumer_compares(
    make_offer: OfferFactory, now: datetime
) -> None:
    offer = make_offer(validity={"until": "2026-09-30T00:00:00Z"})
    [row] = catalog([offer], namespace="shop", labels={}, now=now, search=None, category=None)
    assert row == CatalogRow(
        name="guestbook-standard",
        display_name="Guestbook, standard",
        description="A guestbook for your team's visitors",
        category="web",
        price="12.50 EUR/Monthly",
        sla="99.5%",
        release="guestbook 1.1.0",
        state="Published until 2026-09-30",
    )


@pytest.mark.parametrize(
    ("changes", "status", "price", "sla", "release"),
    [
        pytest.param(
            {"pricing": None, "terms": {"version": "1"}},
            {},
            "-",
            "-",
            "guestbook ^1.0.0",
            id="an unpriced unresolved offer shows dashes and its range",
        ),
        pytest.param(
            {
                "release": None,
                "bundle": [{"offer": "postgres-small"}, {"offer": "guestbook-standard"}],
            },
            {},
            "12.50 EUR/Monthly",
            "99.5%",
            "bundle: postgres-small, guestbook-standard",
            id="a bundle shows its members",
        ),
    ],
)
def test_a_catalog_row_without_facts(
    make_offer: OfferFactory,
    now: datetime,
    *,
    changes: dict[str, Any],
    status: dict[str, Any],
    price: str,
    sla: str,
    release: str,
) -> None:
    offer = make_offer(**changes)
    del offer["status"]["release"]
    offer["status"].update(status)
    [row] = catalog([offer], namespace="shop", labels={}, now=now, search=None, category=None)
    assert (row.price, row.sla, row.release) == (price, sla, release)


def test_an_offer_that_is_not_defined_is_not_in_the_catalog(
    make_offer: OfferFactory,
    make_undefined: Callable[[dict[str, Any], str], dict[str, Any]],
    now: datetime,
) -> None:
    without_support = make_undefined(
        make_offer("no-support", support=None), "spec.support is missing"
    )
    changed = make_offer("changed-since-checked")
    changed["metadata"]["generation"] = 2
    unseen = {**make_offer("never-checked"), "status": {}}
    offers = [make_offer("guestbook-standard"), without_support, changed, unseen]
    for namespace in ("shop", None):
        rows = catalog(offers, namespace=namespace, labels={}, now=now)
        assert [row.name for row in rows] == ["guestbook-standard"], namespace


def test_format_table_aligns_columns_under_a_header() -> None:
    rows = [
        CatalogRow(
            "guestbook-standard",
            "Guestbook",
            "A guestbook",
            "web",
            "12.50 EUR/Monthly",
            "99.5%",
            "guestbook 1.1.0",
            "Published",
        ),
        CatalogRow(
            "pg", "Postgres", "x" * 80, "database", "-", "-", "postgres 16.2.0", "Published"
        ),
    ]
    assert format_table(rows).splitlines() == [
        "NAME                 CATEGORY   PRICE               SLA     RELEASE           STATE"
        "       DESCRIPTION",
        "guestbook-standard   web        12.50 EUR/Monthly   99.5%   guestbook 1.1.0   Published"
        "   A guestbook",
        "pg                   database   -                   -       postgres 16.2.0   Published   "
        + "x" * 57
        + "...",
    ]


def test_an_empty_catalog_says_so() -> None:
    assert format_table([]) == "No offers found."
