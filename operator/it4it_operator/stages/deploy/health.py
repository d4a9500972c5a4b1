"""Fold the health of an instance's objects into the instance's health (Validate and Observe).

Health assessor plugins judge one object each; this module only combines their verdicts, as
plain strings, so the stage logic never depends on a plugin type. The worst verdict wins:
Degraded, then Missing, then Progressing; an instance with nothing unhealthy is Healthy.
`Suspended` says a disabled instance is intentionally not running.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Health = Literal["Healthy", "Progressing", "Degraded", "Missing"]
InstanceHealth = Literal["Healthy", "Progressing", "Degraded", "Missing", "Suspended"]

SEVERITY: tuple[Health, ...] = ("Degraded", "Missing", "Progressing", "Healthy")
"""Health values, worst first."""


def fold(healths: Iterable[str]) -> Health:
    """The worst of `healths` (Healthy when empty); an unknown value raises ValueError."""
    seen = set(healths)
    unknown = seen.difference(SEVERITY)
    if unknown:
        raise ValueError(f"unknown health {sorted(unknown)}; expected one of {list(SEVERITY)}")
    return next((h for h in SEVERITY if h in seen), "Healthy")


def instance_health(healths: Iterable[str], *, disabled: bool) -> InstanceHealth:
    """The ActualProductInstance's `status.health`: Suspended when disabled, else the fold."""
    return "Suspended" if disabled else fold(healths)
