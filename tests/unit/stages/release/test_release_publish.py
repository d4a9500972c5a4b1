"""Publication along the validity window (5.5.4 Publish Service Offer, Terminate scenario)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from it4it_operator.stages.release.publish import accepts_new_subscriptions, publication

FROM = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2026, 7, 1, tzinfo=UTC)
WINDOW = {"from": "2026-01-01T00:00:00Z", "until": "2026-07-01T00:00:00Z"}
BEFORE, DURING = datetime(2025, 12, 31, 23, 59, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spec", "now", "state", "reason", "next_transition"),
    [
        pytest.param(
            {"state": "Draft", "validity": WINDOW},
            DURING,
            "Draft",
            "Draft",
            None,
            id="a draft stays a draft inside its window",
        ),
        pytest.param(
            {"validity": WINDOW},
            BEFORE,
            "Scheduled",
            "Scheduled",
            FROM,
            id="an offer is scheduled until its valid-from date",
        ),
        pytest.param(
            {"validity": WINDOW},
            FROM,
            "Published",
            "Published",
            UNTIL,
            id="an offer is published at its valid-from date",
        ),
        pytest.param(
            {"validity": WINDOW},
            DURING,
            "Published",
            "Published",
            UNTIL,
            id="a published offer's next transition is its end",
        ),
        pytest.param(
            {},
            DURING,
            "Published",
            "Published",
            None,
            id="an offer without a window is published and stays so",
        ),
        pytest.param(
            {"validity": WINDOW},
            UNTIL,
            "Terminated",
            "Expired",
            None,
            id="an offer is terminated at its valid-until date",
        ),
        pytest.param(
            {"validity": WINDOW, "replacedBy": "gb-premium"},
            UNTIL,
            "Terminated",
            "Replaced",
            None,
            id="an expired offer with a replacement is replaced",
        ),
        pytest.param(
            {"validity": WINDOW, "replacedBy": "gb-premium"},
            DURING,
            "Published",
            "Published",
            UNTIL,
            id="a replacement announced with an end date waits for the end",
        ),
        pytest.param(
            {"replacedBy": "gb-premium"},
            DURING,
            "Terminated",
            "Replaced",
            None,
            id="a replacement without an end date terminates at once",
        ),
        pytest.param(
            {"state": "Terminated", "validity": WINDOW},
            DURING,
            "Terminated",
            "Terminated",
            None,
            id="state Terminated ends the offer inside its window",
        ),
        pytest.param(
            {"validity": {"from": "soon"}},
            DURING,
            "Draft",
            "InvalidValidity",
            None,
            id="a malformed valid-from date keeps the offer unpublished",
        ),
        pytest.param(
            {"validity": {"from": WINDOW["until"], "until": WINDOW["from"]}},
            DURING,
            "Draft",
            "InvalidValidity",
            None,
            id="a window that ends before it starts keeps the offer unpublished",
        ),
    ],
)
def test_publication(
    spec: dict[str, Any], now: datetime, state: str, reason: str, next_transition: datetime | None
) -> None:
    result = publication(spec, now)
    assert (result.state, result.reason, result.next_transition) == (state, reason, next_transition)
    assert accepts_new_subscriptions(result) is (state == "Published")


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        pytest.param(
            {"state": "Terminated", "replacedBy": "gb-premium"},
            "its replacement is gb-premium",
            id="a terminated offer names its replacement",
        ),
        pytest.param(
            {"validity": WINDOW},
            "ended at 2026-07-01T00:00:00Z",
            id="an expired offer says when it ended",
        ),
        pytest.param(
            {"validity": {"from": "soon"}},
            "spec.validity.from 'soon'",
            id="a malformed date names the field",
        ),
    ],
)
def test_publication_message(spec: dict[str, Any], fragment: str) -> None:
    assert fragment in publication(spec, datetime(2026, 8, 1, tzinfo=UTC)).message


def test_a_naive_clock_is_taken_as_utc() -> None:
    assert publication({"validity": WINDOW}, datetime(2026, 1, 1)).state == "Published"
