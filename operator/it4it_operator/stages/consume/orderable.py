"""Is the offer fit to be ordered at all? (5.5.2 Define Service Offer before 5.6.2 Select an Offer).

Only an offer the Release value stream found complete may be ordered: its `Defined` condition
must be True, and computed for the spec as it is now (the condition's `observedGeneration`
equals `metadata.generation`). Publication (Draft, Scheduled, Published, Terminated) is decided
from the spec and the clock, as before. The catalog and Select an Offer both ask this module, so
what `it4it catalog` lists and what a Subscription is fulfilled from cannot disagree.

Three answers: defined (None), not defined (the offer's own reason and message, so a consumer
reads what the catalog manager must fix), and not checked yet (the operator has not looked at
the offer's current generation; a moment's wait, not a refusal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from it4it_operator.stages.release.define import DEFINED
from it4it_operator.stages.release.wire import dig

OFFER_NOT_DEFINED = "OfferNotDefined"
OFFER_NOT_CHECKED = "OfferNotChecked"


@dataclass(frozen=True)
class Undefined:
    """Why an offer cannot be ordered yet: `reason` is OfferNotDefined or OfferNotChecked."""

    reason: str
    message: str

    @property
    def waiting(self) -> bool:
        """True when only the operator's check of the current generation is missing."""
        return self.reason == OFFER_NOT_CHECKED


def _defined_condition(offer: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for condition in dig(offer, "status", "conditions") or []:
        if isinstance(condition, Mapping) and condition.get("type") == DEFINED:
            return condition
    return None


def _checked_generation(offer: Mapping[str, Any], condition: Mapping[str, Any]) -> int | None:
    """The generation the Defined condition was computed for (the status' when it has none)."""
    observed = condition.get("observedGeneration")
    if observed is None:
        observed = dig(offer, "status", "observedGeneration")
    return int(observed) if observed is not None else None


def undefined(offer: Mapping[str, Any]) -> Undefined | None:
    """Why the ServiceOffer object `offer` (metadata/spec/status) is not Defined for its
    current generation, or None when it is."""
    name = dig(offer, "metadata", "name")
    generation = dig(offer, "metadata", "generation")
    condition = _defined_condition(offer)
    if (
        condition is None
        or condition.get("status") not in ("True", "False")
        or (generation is not None and _checked_generation(offer, condition) != int(generation))
    ):
        return Undefined(
            OFFER_NOT_CHECKED,
            f"ServiceOffer {name} is not Defined yet: the operator has not checked"
            f" its current spec (generation {generation})",
        )
    if condition.get("status") == "True":
        return None
    why = condition.get("message") or condition.get("reason")
    return Undefined(OFFER_NOT_DEFINED, f"ServiceOffer {name} is not Defined: {why}")


def is_defined(offer: Mapping[str, Any]) -> bool:
    """Whether the offer is Defined for its current generation."""
    return undefined(offer) is None
