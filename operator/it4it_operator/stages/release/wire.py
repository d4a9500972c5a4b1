"""Reading the wire format that Release and Consume share: nested camelCase dicts and times.

Stage functions take objects as the API server returns them (plain dicts), so they need a lookup
that tolerates absent or null branches, and RFC 3339 times (`validity.from`, `agreedAt`, `at`).
Both live here once; Consume may import Release, never the reverse. Times are always
timezone-aware: a time written without an offset is taken as UTC, and written back in UTC with a
"Z", to the second, so a status written twice for the same instant is byte-identical.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def dig(obj: object, *path: str) -> Any:
    """`obj[path[0]][path[1]]...`, or None as soon as a step is absent or not a mapping."""
    value: Any = obj
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_time(text: object, *, field: str) -> datetime:
    """Parse an RFC 3339 time such as "2026-01-01T00:00:00Z", or raise ValueError naming `field`."""
    if isinstance(text, datetime):
        return as_utc(text)
    if not isinstance(text, str):
        raise ValueError(f"{field} must be an RFC 3339 time such as 2026-01-01T00:00:00Z")
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        raise ValueError(
            f"{field} {text!r} is not an RFC 3339 time such as 2026-01-01T00:00:00Z"
        ) from None


def format_time(moment: datetime) -> str:
    """`moment` as RFC 3339 in UTC to the second, e.g. "2026-01-01T00:00:00Z"."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
