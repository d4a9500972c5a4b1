"""ServiceOffer and Subscription documents for the Release and Consume tests."""

from __future__ import annotations

import copy
from typing import Any

TERMS = "2026-01"


def offer(
    name: str,
    release_namespace: str,
    *,
    version: str = ">=1.0.0 <2.0.0",
    audience: dict[str, Any] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "displayName": f"Guestbook {name}",
        "description": "A small guestbook web site.",
        "category": "web",
        "tags": ["demo"],
        "release": {"namespace": release_namespace, "product": "guestbook", "version": version},
        "validity": {"from": "2026-01-01T00:00:00Z"},
        "pricing": {"currency": "EUR", "price": "12.50", "cost": "7.00", "period": "Monthly"},
        "terms": {
            "version": TERMS,
            "summary": "Best effort.",
            "sla": {"availability": "99.5", "supportHours": "8x5", "responseMinutes": 60},
        },
        "parameters": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "replicas": {"type": "integer", "minimum": 1, "maximum": 5, "default": 2}
            },
        },
        "audience": audience if audience is not None else {},
        "fulfillment": {"approval": "Automatic", "observeSeconds": 2, "rollback": "Automatic"},
        "support": {"contact": "#guestbook", "hours": "8x5"},
        "state": "Published",
    }
    body.update(copy.deepcopy(spec))
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "ServiceOffer",
        "metadata": {"name": name},
        "spec": body,
    }


def subscription(
    name: str,
    offer_name: str,
    *,
    terms: str = TERMS,
    parameters: dict[str, Any] | None = None,
    state: str = "Active",
) -> dict[str, Any]:
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "Subscription",
        "metadata": {"name": name},
        "spec": {
            "offer": offer_name,
            "acceptedTerms": terms,
            "parameters": parameters or {},
            "state": state,
        },
    }
