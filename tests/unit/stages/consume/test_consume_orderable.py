"""Only an offer Defined for its current spec may be ordered (5.5.2 before 5.6.2)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from it4it_operator.stages.consume.orderable import undefined

OfferFactory = Callable[..., dict[str, Any]]


def _with_defined(offer: dict[str, Any], **condition: Any) -> dict[str, Any]:
    changed = copy.deepcopy(offer)
    defined = changed["status"]["conditions"][0]
    defined.update(condition)
    for key in [k for k, v in condition.items() if v is None]:
        del defined[key]
    return changed


def _at_generation(offer: dict[str, Any], generation: int) -> dict[str, Any]:
    changed = copy.deepcopy(offer)
    changed["metadata"]["generation"] = generation
    return changed


def _without_conditions(offer: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(offer)
    changed["status"] = {}
    return changed


CASES = [
    pytest.param(lambda o: o, None, "", id="an offer Defined for its generation may be ordered"),
    pytest.param(
        lambda o: _with_defined(
            o, status="False", reason="Incomplete", message="spec.support is missing"
        ),
        "OfferNotDefined",
        "ServiceOffer guestbook-standard is not Defined: spec.support is missing",
        id="an offer Defined=False is refused with the offer's own message",
    ),
    pytest.param(
        lambda o: _at_generation(o, 2),
        "OfferNotChecked",
        "has not checked its current spec (generation 2)",
        id="an offer changed since it was checked waits for the operator",
    ),
    pytest.param(
        _without_conditions,
        "OfferNotChecked",
        "is not Defined yet",
        id="an offer the operator has not seen yet waits",
    ),
    pytest.param(
        lambda o: _with_defined(o, status="Unknown", reason="Pending"),
        "OfferNotChecked",
        "is not Defined yet",
        id="a Defined condition still Unknown waits",
    ),
    pytest.param(
        lambda o: _with_defined(o, observedGeneration=None),
        None,
        "",
        id="a condition without its own generation is read with the status' generation",
    ),
]


@pytest.mark.parametrize(("change", "reason", "fragment"), CASES)
def test_undefined(
    make_offer: OfferFactory,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    reason: str | None,
    fragment: str,
) -> None:
    gap = undefined(change(make_offer()))
    if reason is None:
        assert gap is None
    else:
        assert gap is not None
        assert gap.reason == reason
        assert fragment in gap.message
        assert gap.waiting == (reason == "OfferNotChecked")
