"""A ServiceOffer object to order from, shared by the Consume tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

OfferFactory = Callable[..., dict[str, Any]]


def _offer(name: str = "guestbook-standard", **changes: Any) -> dict[str, Any]:
    """The API.md sample offer; each keyword replaces that spec field (None removes it)."""
    spec: dict[str, Any] = {
        "displayName": "Guestbook, standard",
        "description": "A guestbook for your team's visitors",
        "category": "web",
        "tags": ["demo"],
        "release": {"namespace": "team-guestbook", "product": "guestbook", "version": "^1.0.0"},
        "validity": {"from": "2026-01-01T00:00:00Z", "until": None},
        "pricing": {"currency": "EUR", "price": "12.50", "cost": "7.00", "period": "Monthly"},
        "terms": {"version": "2026-01", "sla": {"availability": "99.5", "supportHours": "8x5"}},
        "parameters": {
            "type": "object",
            "properties": {"replicas": {"type": "integer", "maximum": 5, "default": 2}},
        },
        "fulfillment": {"approval": "Manual", "observeSeconds": 120},
        "support": {"contact": "#guestbook"},
        "state": "Published",
    }
    for key, value in changes.items():
        if value is None:
            spec.pop(key, None)
        else:
            spec[key] = value
    defined = {
        "type": "Defined",
        "status": "True",
        "reason": "Complete",
        "message": "the offer is complete",
        "observedGeneration": 1,
    }
    return {
        "metadata": {"name": name, "generation": 1},
        "spec": spec,
        "status": {
            "release": {"version": "1.1.0"},
            "observedGeneration": 1,
            "conditions": [defined],
        },
    }


def undefined_offer(offer: dict[str, Any], message: str) -> dict[str, Any]:
    """`offer` as the operator leaves one that is incomplete: Defined=False with `message`."""
    condition = {
        "type": "Defined",
        "status": "False",
        "reason": "Incomplete",
        "message": message,
        "observedGeneration": offer["metadata"]["generation"],
    }
    return {**offer, "status": {**offer["status"], "conditions": [condition]}}


@pytest.fixture
def make_offer() -> OfferFactory:
    """`make_offer(name, **spec_changes)` builds a ServiceOffer object."""
    return _offer


@pytest.fixture
def make_undefined() -> Callable[[dict[str, Any], str], dict[str, Any]]:
    """`make_undefined(offer, message)`: the offer with Defined=False saying `message`."""
    return undefined_offer


@pytest.fixture
def now() -> datetime:
    """The clock of the Consume tests: inside the sample offer's validity window."""
    return datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
