"""Fulfill Deployment runs only while the change window is open."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from it4it_operator.stages.deploy.window import WindowError, window_state

WEEKDAYS = {"days": ["Mon", "Tue", "Wed", "Thu", "Fri"], "start": "22:00", "end": "23:30"}
NIGHT = {"days": ["Mon"], "start": "22:00", "end": "02:00", "timeZone": "UTC"}
BERLIN = {"days": ["Mon"], "start": "09:00", "end": "10:00", "timeZone": "Europe/Berlin"}


def at(text: str) -> datetime:
    """2026-01-05 is a Monday."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("window", "now", "is_open", "next_open"),
    [
        pytest.param(None, "2026-01-05T12:00", True, None, id="no window is always open"),
        pytest.param(WEEKDAYS, "2026-01-05T22:00", True, None, id="the start is inside"),
        pytest.param(WEEKDAYS, "2026-01-05T23:29", True, None, id="a minute before the end"),
        pytest.param(
            WEEKDAYS, "2026-01-05T23:30", False, "2026-01-06T22:00", id="the end is outside"
        ),
        pytest.param(
            WEEKDAYS, "2026-01-05T12:00", False, "2026-01-05T22:00", id="closed earlier that day"
        ),
        pytest.param(
            WEEKDAYS,
            "2026-01-10T23:00",
            False,
            "2026-01-12T22:00",
            id="a Saturday waits for Monday",
        ),
        pytest.param(
            NIGHT, "2026-01-05T23:00", True, None, id="a window crossing midnight is open at 23:00"
        ),
        pytest.param(
            NIGHT, "2026-01-06T00:30", True, None, id="a window crossing midnight is open at 00:30"
        ),
        pytest.param(
            NIGHT,
            "2026-01-06T02:00",
            False,
            "2026-01-12T22:00",
            id="a window crossing midnight closes at its end the next day",
        ),
        pytest.param(
            NIGHT,
            "2026-01-05T00:30",
            False,
            "2026-01-05T22:00",
            id="the early hours of a listed day belong to the previous day's window",
        ),
        pytest.param(
            BERLIN, "2026-01-05T08:30", True, None, id="a time zone shifts the window (winter)"
        ),
        pytest.param(
            BERLIN,
            "2026-01-05T09:30",
            False,
            "2026-01-12T08:00",
            id="an IANA time zone is honoured",
        ),
        pytest.param(
            {**BERLIN, "days": ["Mon"]},
            "2026-03-30T07:30",
            True,
            None,
            id="daylight saving time moves the window in UTC",
        ),
        pytest.param(
            {"start": "00:00", "end": "24:00", "days": ["Tue"]},
            "2026-01-06T23:59",
            True,
            None,
            id="an end of 24:00 means midnight",
        ),
        pytest.param(
            {"start": "08:00", "end": "09:00"},
            "2026-01-10T08:30",
            True,
            None,
            id="a window without days is open every day",
        ),
    ],
)
def test_window_state(
    window: dict[str, Any] | None, now: str, is_open: bool, next_open: str | None
) -> None:
    state = window_state(window, at(now))
    assert state.open is is_open
    assert state.next_open == (at(next_open) if next_open else None)
    assert state.message


def test_an_open_window_says_when_it_closes() -> None:
    state = window_state(NIGHT, at("2026-01-06T00:30"))
    assert state.closes_at == at("2026-01-06T02:00")
    assert "open until 2026-01-06T02:00Z" in state.message


def test_a_closed_window_says_when_it_opens() -> None:
    state = window_state(WEEKDAYS, at("2026-01-05T12:00"))
    assert "opens next at 2026-01-05T22:00Z" in state.message


@pytest.mark.parametrize(
    ("window", "fragment"),
    [
        pytest.param({"start": "25:00", "end": "01:00"}, "start", id="an hour past 23"),
        pytest.param({"start": "22:00", "end": "late"}, "end", id="an end that is not HH:MM"),
        pytest.param({"days": ["Monday"]}, "days", id="a day that is not Mon..Sun"),
        pytest.param({"timeZone": "Mars/Olympus"}, "timeZone", id="an unknown time zone"),
        pytest.param(
            {"start": "10:00", "end": "10:00"}, "same start and end", id="an empty window"
        ),
    ],
)
def test_a_malformed_window_names_the_field(window: dict[str, Any], fragment: str) -> None:
    with pytest.raises(WindowError, match=fragment):
        window_state(window, at("2026-01-05T12:00"))


def test_now_must_carry_a_time_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        window_state(NIGHT, datetime(2026, 1, 5, 12, 0))
