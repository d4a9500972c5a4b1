"""Provide Service Support: self-help for a reporter, and their acceptance of a resolution."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from it4it_operator.stages.operate.support import acceptance_step, self_help

RESOLVED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def later(seconds: float) -> datetime:
    return RESOLVED_AT + timedelta(seconds=seconds)


def test_self_help_offers_the_knowledge_links_and_the_workarounds() -> None:
    support = {"contact": "#guestbook", "knowledge": ["https://a", "https://b", "https://a"]}
    defects = [
        {"id": "GB-17", "workaround": "Raise the memory limit"},
        {"id": "GB-21", "summary": "No workaround yet"},
    ]
    help_ = self_help(support, defects)
    assert help_.knowledge == ["https://a", "https://b"]
    assert help_.workarounds == [{"id": "GB-17", "workaround": "Raise the memory limit"}]


def test_self_help_without_support_or_defects_is_empty() -> None:
    help_ = self_help(None, [])
    assert (help_.knowledge, help_.workarounds) == ([], [])


@pytest.mark.parametrize(
    ("phase", "acceptance", "now", "extra", "expected"),
    [
        pytest.param(
            "Resolved", "Accepted", later(10), {}, ("Close", None), id="an accepted one closes"
        ),
        pytest.param(
            "Resolved", "Rejected", later(10), {}, ("Reopen", None), id="a rejected one reopens"
        ),
        pytest.param(
            "Resolved",
            None,
            later(10),
            {},
            ("Wait", later(86400)),
            id="without a verdict it waits for the reporter",
        ),
        pytest.param(
            "Resolved",
            None,
            later(86400),
            {},
            ("Close", None),
            id="without a verdict it closes itself after a day",
        ),
        pytest.param(
            "Resolved",
            None,
            later(61),
            {"auto_close_seconds": 60},
            ("Close", None),
            id="the auto-close time is the caller's",
        ),
        pytest.param(
            "Resolving", "Accepted", later(10), {}, ("Wait", None), id="only resolved ones ask"
        ),
        pytest.param(
            "Resolved",
            None,
            later(0),
            {"reported": False},
            ("Close", None),
            id="a detected incident has nobody to ask and closes",
        ),
        pytest.param(
            "Resolved",
            "Rejected",
            later(10),
            {"verdict_at": later(-3600)},
            ("Wait", later(86400)),
            id="a verdict given before this resolution is stale",
        ),
        pytest.param(
            "Resolved",
            "Rejected",
            later(10),
            {"verdict_at": later(5)},
            ("Reopen", None),
            id="a verdict given after the resolution counts",
        ),
    ],
)
def test_acceptance_step(
    phase: str,
    acceptance: Any,
    now: datetime,
    extra: dict[str, Any],
    expected: tuple[str, datetime | None],
) -> None:
    verdict = acceptance_step(phase, acceptance, RESOLVED_AT, now, **extra)
    assert (verdict.action, verdict.until) == expected
    assert verdict.message
