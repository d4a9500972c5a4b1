"""The catalog a namespace may order from (5.6.2 Select an Offer: "display Service Offers ... in
a searchable form", "enable selection filtering").

`it4it catalog [--namespace NS] [--search TEXT] [--category C]` lists the offers that are
Defined (for their current spec, see `orderable`), published now and visible to the namespace,
with what a consumer compares: price, SLA, release and state. Without a namespace every Defined,
published offer is listed. An offer that is not Defined is left out of both (`kubectl get
serviceoffers` shows it, with phase Incomplete and Ready False).
The CLI fetches offers and namespace labels; this module only filters and formats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from it4it_operator.stages.consume.orderable import is_defined
from it4it_operator.stages.release.audience import is_visible
from it4it_operator.stages.release.publish import (
    Publication,
    accepts_new_subscriptions,
    publication,
)
from it4it_operator.stages.release.wire import dig, format_time

_DESCRIPTION_WIDTH = 60
_GAP = "   "


@dataclass(frozen=True)
class CatalogRow:
    """One orderable offer, every field already a display string."""

    name: str
    display_name: str
    description: str
    category: str
    price: str
    sla: str
    release: str
    state: str


def _matches_search(offer: Mapping[str, Any], search: str | None) -> bool:
    if not search:
        return True
    spec = offer.get("spec") or {}
    haystack = [
        dig(offer, "metadata", "name"),
        spec.get("displayName"),
        spec.get("description"),
        *(spec.get("tags") or []),
    ]
    needle = search.casefold()
    return any(needle in str(text).casefold() for text in haystack if text)


def _price(spec: Mapping[str, Any]) -> str:
    price = dig(spec, "pricing", "price")
    if price is None:
        return "-"
    currency = dig(spec, "pricing", "currency") or ""
    period = dig(spec, "pricing", "period")
    return f"{price} {currency}".strip() + (f"/{period}" if period else "")


def _release(offer: Mapping[str, Any]) -> str:
    spec = offer.get("spec") or {}
    if spec.get("bundle") is not None:
        return "bundle: " + ", ".join(str(entry.get("offer")) for entry in spec["bundle"])
    product = dig(spec, "release", "product")
    resolved = dig(offer, "status", "release", "version")
    return f"{product} {resolved or dig(spec, 'release', 'version')}"


def _state(state: Publication) -> str:
    if state.next_transition is None:
        return state.state
    return f"{state.state} until {format_time(state.next_transition)[:10]}"


def _row(offer: Mapping[str, Any], state: Publication) -> CatalogRow:
    spec = offer.get("spec") or {}
    availability = dig(spec, "terms", "sla", "availability")
    return CatalogRow(
        name=str(dig(offer, "metadata", "name")),
        display_name=str(spec.get("displayName") or ""),
        description=str(spec.get("description") or ""),
        category=str(spec.get("category") or ""),
        price=_price(spec),
        sla=f"{availability}%" if availability is not None else "-",
        release=_release(offer),
        state=_state(state),
    )


def catalog(
    offers: Sequence[Mapping[str, Any]],
    *,
    namespace: str | None,
    labels: Mapping[str, str],
    now: datetime,
    search: str | None = None,
    category: str | None = None,
) -> list[CatalogRow]:
    """The offers `namespace` (with its `labels`) may order at `now`, sorted by name.

    `offers` are ServiceOffer objects (with status: an offer not Defined for its current
    generation is left out); the release column shows status.release.version when the
    offer has resolved, else the range. `search` matches case-insensitively in name, displayName,
    description and tags; `category` must equal spec.category exactly.
    """
    rows: list[CatalogRow] = []
    for offer in offers:
        spec = offer.get("spec") or {}
        state = publication(spec, now)
        if not accepts_new_subscriptions(state) or not is_defined(offer):
            continue
        if (
            namespace is not None
            and not is_visible(spec.get("audience"), namespace, labels).visible
        ):
            continue
        if category is not None and spec.get("category") != category:
            continue
        if _matches_search(offer, search):
            rows.append(_row(offer, state))
    return sorted(rows, key=lambda row: row.name)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    if len(line) <= _DESCRIPTION_WIDTH:
        return line
    return line[: _DESCRIPTION_WIDTH - 3].rstrip() + "..."


def format_table(rows: Sequence[CatalogRow]) -> str:
    """kubectl-style columns NAME, CATEGORY, PRICE, SLA, RELEASE, STATE, DESCRIPTION under a
    header (the description on one line, cut at 60 characters); "No offers found." when empty."""
    if not rows:
        return "No offers found."
    header = ("NAME", "CATEGORY", "PRICE", "SLA", "RELEASE", "STATE", "DESCRIPTION")
    table = [header] + [
        (
            r.name,
            r.category,
            r.price,
            r.sla,
            r.release,
            r.state,
            _one_line(r.description or r.display_name),
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    return "\n".join(
        _GAP.join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in table
    )
