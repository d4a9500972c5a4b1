"""Fulfill Deployment waits for the change window.

"The purpose of Fulfill Deployment is to execute the Fulfillment Orchestration when the change
window for deployment is open." A window is a set of weekdays with a start and end time of day in
a time zone; a window whose end is before its start runs past midnight into the next day. No
window means deployments may start at any time. The clock is the caller's: `now` is a parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class WindowError(ValueError):
    """The change window is malformed; the message names the field."""


@dataclass(frozen=True)
class WindowState:
    """Whether the window is open at `now`; `next_open` (UTC) when it is closed; while open,
    when the occurrence open now `opened_at` and `closes_at`."""

    open: bool
    next_open: datetime | None
    message: str
    closes_at: datetime | None = None
    opened_at: datetime | None = None


@dataclass(frozen=True)
class _Window:
    days: frozenset[int]
    start: time
    end: time | None  # None means midnight at the end of the day ("24:00")
    zone: ZoneInfo
    text: str


def _time_of_day(value: Any, field: str) -> time:
    try:
        hours, minutes = (int(part) for part in str(value).split(":"))
        return time(hours, minutes)
    except ValueError:
        raise WindowError(f"spec.plan.changeWindow.{field} is {value!r}; want HH:MM") from None


def _parse(window: Mapping[str, Any]) -> _Window:
    days = window.get("days") or list(DAYS)
    unknown = [d for d in days if d not in DAYS]
    if unknown:
        raise WindowError(f"spec.plan.changeWindow.days has {unknown}; want days of {DAYS}")
    zone_name = str(window.get("timeZone") or "UTC")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise WindowError(f"spec.plan.changeWindow.timeZone {zone_name!r} is unknown") from None
    start = _time_of_day(window.get("start", "00:00"), "start")
    end_text = str(window.get("end", "24:00"))
    end = None if end_text == "24:00" else _time_of_day(end_text, "end")
    if end == start:
        raise WindowError("spec.plan.changeWindow has the same start and end; it is never open")
    shown_days = ",".join(d for d in DAYS if d in days)
    text = f"{shown_days} {start:%H:%M}-{end_text} {zone_name}"
    return _Window(frozenset(DAYS.index(d) for d in days), start, end, zone, text)


def _opening(window: _Window, day: date) -> tuple[datetime, datetime]:
    """The UTC start and end of the window that opens on local `day`."""
    start = datetime.combine(day, window.start, window.zone)
    crosses_midnight = window.end is None or window.end < window.start
    end_day = day + timedelta(days=1 if crosses_midnight else 0)
    end = datetime.combine(end_day, window.end or time(0), window.zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def window_state(window: Mapping[str, Any] | None, now: datetime) -> WindowState:
    """Is the change window open at `now` (timezone-aware)? Raises WindowError if malformed."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not window:
        return WindowState(True, None, "No change window is set; the deployment may start.")
    parsed = _parse(window)
    now = now.astimezone(UTC)
    today = now.astimezone(parsed.zone).date()
    openings = [
        _opening(parsed, today + timedelta(days=offset))
        for offset in range(-1, 8)
        if (today + timedelta(days=offset)).weekday() in parsed.days
    ]
    for start, end in openings:
        if start <= now < end:
            return WindowState(
                True,
                None,
                f"The change window ({parsed.text}) is open until {end:%Y-%m-%dT%H:%MZ}.",
                closes_at=end,
                opened_at=start,
            )
    next_open = min(start for start, _ in openings if start > now)
    return WindowState(
        False,
        next_open,
        f"Waiting for the change window ({parsed.text}), which opens next at "
        f"{next_open:%Y-%m-%dT%H:%MZ}.",
    )
