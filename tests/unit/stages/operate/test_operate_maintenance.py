"""Perform Scheduled Maintenance: windows suppress detection, subscribers are told once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from it4it_operator.stages.deploy.window import WindowError
from it4it_operator.stages.operate.maintenance import maintenance_state

SATURDAY_NIGHT = {"days": ["Sat"], "start": "02:00", "end": "04:00", "timeZone": "UTC"}
HOUR = 3600


def at(text: str) -> datetime:
    """2026-01-10 is a Saturday."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "active", "next_start", "notice_due", "recheck_at"),
    [
        pytest.param(
            "2026-01-09T12:00",
            False,
            "2026-01-10T02:00",
            False,
            "2026-01-10T01:00",
            id="days before: look again when the notice is due",
        ),
        pytest.param(
            "2026-01-10T01:30",
            False,
            "2026-01-10T02:00",
            True,
            "2026-01-10T02:00",
            id="within the notice time the subscribers are told",
        ),
        pytest.param(
            "2026-01-10T02:00",
            True,
            "2026-01-17T02:00",
            False,
            "2026-01-10T04:00",
            id="inside the window detection is suppressed until its end",
        ),
        pytest.param(
            "2026-01-10T04:00",
            False,
            "2026-01-17T02:00",
            False,
            "2026-01-17T01:00",
            id="the end of the window is outside it",
        ),
    ],
)
def test_maintenance_state(
    now: str, active: bool, next_start: str, notice_due: bool, recheck_at: str
) -> None:
    state = maintenance_state([SATURDAY_NIGHT], at(now), HOUR)
    assert state.active is active
    assert state.next_start == at(next_start)
    assert state.notice_due is notice_due
    assert state.recheck_at == at(recheck_at)
    assert state.message


def test_the_notice_is_given_once_per_window() -> None:
    state = maintenance_state(
        [SATURDAY_NIGHT], at("2026-01-10T01:45"), HOUR, notified_for=at("2026-01-10T02:00")
    )
    assert not state.notice_due
    assert state.recheck_at == at("2026-01-10T02:00")
    nxt = maintenance_state(
        [SATURDAY_NIGHT], at("2026-01-17T01:30"), HOUR, notified_for=at("2026-01-10T02:00")
    )
    assert nxt.notice_due, "the next window is told about again"


def test_the_notice_names_the_end_of_the_next_window() -> None:
    state = maintenance_state([SATURDAY_NIGHT], at("2026-01-10T01:30"), HOUR)
    assert state.next_end == at("2026-01-10T04:00")
    assert "to 2026-01-10T04:00:00Z" in state.message


def test_overlapping_windows_are_one_maintenance_period() -> None:
    later = {"days": ["Sat"], "start": "03:30", "end": "05:00"}
    state = maintenance_state([SATURDAY_NIGHT, later], at("2026-01-10T02:30"), HOUR)
    assert state.active
    assert state.active_until == state.recheck_at == at("2026-01-10T05:00")
    assert state.next_start == at("2026-01-17T02:00")


@pytest.mark.parametrize(
    "windows",
    [
        pytest.param(None, id="no windows at all"),
        pytest.param([], id="an empty list"),
        pytest.param([{}], id="an empty entry is no window"),
    ],
)
def test_without_windows_there_is_no_maintenance(windows: list[dict[str, Any]] | None) -> None:
    state = maintenance_state(windows, at("2026-01-10T02:30"), HOUR)
    assert (state.active, state.next_start, state.notice_due, state.recheck_at) == (
        False,
        None,
        False,
        None,
    )


def test_no_notice_is_given_with_zero_notice_seconds() -> None:
    state = maintenance_state([SATURDAY_NIGHT], at("2026-01-10T01:59"), 0)
    assert not state.notice_due
    assert state.recheck_at == at("2026-01-10T02:00")


def test_a_malformed_window_names_its_place_in_the_list() -> None:
    with pytest.raises(WindowError, match=r"spec\.operate\.maintenance\[1\]\.start"):
        maintenance_state(
            [SATURDAY_NIGHT, {"start": "25:00", "end": "01:00"}], at("2026-01-10T00:00"), HOUR
        )


def test_now_must_carry_a_time_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        maintenance_state([SATURDAY_NIGHT], datetime(2026, 1, 10, 2, 0), HOUR)
