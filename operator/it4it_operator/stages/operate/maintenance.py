"""Perform Scheduled Maintenance (IT4IT 5.7.1): recurring maintenance windows of an instance.

"The planned activity or maintenance is reviewed and scheduled." An offer's operate.maintenance
lists recurring windows with the shape of a change window (days, start, end, timeZone), read
through `recurring` like recovery drill windows, so every kind of window means the same thing.
While a window is active detection is suppressed (what maintenance does to pods is not an
incident); subscribers are told once, `notice_seconds` before the next window starts. Windows
that overlap or touch form one maintenance period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from it4it_operator.stages.operate import recurring
from it4it_operator.stages.release.wire import as_utc, format_time

FIELD = "spec.operate.maintenance"


@dataclass(frozen=True)
class MaintenanceState:
    """Whether maintenance is on at `now` and what is due next.

    `active`: inside a window (until `active_until`); `next_start`/`next_end`: the next period
    that starts after now (after the current one while active); `notice_due`: subscribers are
    to be told now about `next_start`; `recheck_at`: when this verdict changes next.
    """

    active: bool
    next_start: datetime | None
    notice_due: bool
    recheck_at: datetime | None
    active_until: datetime | None
    next_end: datetime | None
    message: str


def maintenance_state(
    windows: Sequence[Mapping[str, Any]] | None,
    now: datetime,
    notice_seconds: int,
    *,
    notified_for: datetime | None = None,
) -> MaintenanceState:
    """Evaluate the maintenance `windows` at `now` (timezone-aware).

    `notified_for` is the start subscribers were last told about (the controller keeps it in
    status), so the notice is due once per window: from `notice_seconds` before its start until
    it starts, unless already given. Raises WindowError naming spec.operate.maintenance[i].
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    windows = list(windows or [])
    now = as_utc(now)
    active_until = recurring.period_end(windows, now, FIELD)
    active = active_until is not None
    next_start = recurring.next_start(windows, active_until or now, FIELD)
    next_end = recurring.period_end(windows, next_start, FIELD) if next_start else None
    if active and active_until is not None:
        return MaintenanceState(
            True,
            next_start,
            False,
            active_until,
            active_until,
            next_end,
            f"Maintenance is under way until {format_time(active_until)}; detection is suppressed.",
        )
    if next_start is None:
        return MaintenanceState(
            False, None, False, None, None, None, "No maintenance window is scheduled."
        )
    notice_at = next_start - timedelta(seconds=notice_seconds)
    told = notified_for is not None and as_utc(notified_for) == next_start
    notice_due = notice_seconds > 0 and now >= notice_at and not told
    recheck_at = next_start if told or now >= notice_at else notice_at
    return MaintenanceState(
        False,
        next_start,
        notice_due,
        recheck_at,
        None,
        next_end,
        f"Maintenance is scheduled from {format_time(next_start)}"
        + (f" to {format_time(next_end)}." if next_end else "."),
    )
