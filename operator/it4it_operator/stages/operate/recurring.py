"""Recurring windows of Operate: maintenance windows and disaster recovery drill windows.

Both are lists of windows with the shape of a change window (days, start, end, timeZone),
evaluated by Deploy's `window` module, so every kind of window means the same thing. What
Operate asks of such a list at a moment lives here once: which occurrences are open, where the
period they form ends (windows that overlap or touch form one period), and when the next one
opens. A malformed window is reported under the caller's field, e.g.
spec.operate.maintenance[1].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from it4it_operator.stages.deploy.window import WindowError, WindowState, window_state

CHAIN_LIMIT = 16
"""How many touching windows are followed to find where a period ends."""

Windows = Sequence[Mapping[str, Any]]


def window_states(windows: Windows, at: datetime, field: str) -> list[WindowState]:
    """Each window's state at `at`; raises WindowError naming `field`[i]."""
    states = []
    for index, window in enumerate(windows):
        if not window:
            continue  # an empty entry is no window, not one that is always open
        try:
            states.append(window_state(window, at))
        except WindowError as error:
            place = f"{field}[{index}]"
            raise WindowError(str(error).replace("spec.plan.changeWindow", place)) from None
    return states


def period_end(windows: Windows, at: datetime, field: str) -> datetime | None:
    """Where the period of windows open at `at` ends (None when none is open)."""
    end: datetime | None = None
    moment = at
    for _ in range(CHAIN_LIMIT):
        closing = [s.closes_at for s in window_states(windows, moment, field) if s.closes_at]
        if not closing:
            break
        end = moment = max(closing)
    return end


def next_start(windows: Windows, at: datetime, field: str) -> datetime | None:
    """The earliest opening after `at` of a window closed at `at` (None without windows)."""
    starts = [s.next_open for s in window_states(windows, at, field) if not s.open and s.next_open]
    return min(starts) if starts else None


def latest_opening(windows: Windows, at: datetime, field: str) -> datetime | None:
    """When the most recent of the occurrences open at `at` opened (None when none is open)."""
    opened = [s.opened_at for s in window_states(windows, at, field) if s.open and s.opened_at]
    return max(opened) if opened else None
