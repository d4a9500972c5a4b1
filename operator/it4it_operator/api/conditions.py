"""The one helper every controller uses to write status conditions (Kubernetes API conventions).

It works on the plain list of condition dicts found at `status.conditions` of a kopf body or a
patch, so handlers need no model round trip. The rules follow Cluster API's and cert-manager's
condition setters, and kstatus (which Flux and `kubectl wait` rely on):

- `observedGeneration` is filled on every write, so a reader can tell a stale condition;
- `lastTransitionTime` changes only when `status` flips, not when the reason or message does;
- writing what is already there changes nothing and reports `False`, so handlers patch status
  only when something changed and nothing flaps;
- the order is stable: `Ready` first, then the owning kind's stages in the order the caller
  gives, then any other type in the order it was first set;
- `Reconciling` and `Stalled` are abnormal-true: present (True) while they apply, removed when
  they do not (`set_abnormal_condition`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

READY = "Ready"
RECONCILING = "Reconciling"
STALLED = "Stalled"

Status = Literal["True", "False", "Unknown"]
Conditions = list[dict[str, Any]]
_STATUSES = ("True", "False", "Unknown")


def timestamp(now: datetime | None = None) -> str:
    """RFC 3339 in UTC with second precision, as metav1.Time serialises; naive means UTC."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def get_condition(conditions: Sequence[dict[str, Any]], type: str) -> dict[str, Any] | None:
    """The condition of that type, or None."""
    return next((c for c in conditions if c.get("type") == type), None)


def is_true(
    conditions: Sequence[dict[str, Any]], type: str, observed_generation: int | None = None
) -> bool:
    """True when the condition is True (and, if a generation is given, computed for it)."""
    found = get_condition(conditions, type)
    if found is None or found.get("status") != "True":
        return False
    return observed_generation is None or found.get("observedGeneration") == observed_generation


def _sort(conditions: Conditions, order: Sequence[str]) -> None:
    rank = {READY: 0}
    for stage in order:
        rank.setdefault(stage, len(rank))
    conditions.sort(key=lambda c: rank.get(c.get("type", ""), len(rank)))


def set_condition(  # noqa: PLR0917 - the positional fields mirror metav1.Condition
    conditions: Conditions,
    type: str,
    status: Status,
    reason: str,
    message: str,
    observed_generation: int | None,
    now: datetime | None = None,
    *,
    order: Sequence[str] = (),
) -> bool:
    """Set one condition in place; return whether anything changed.

    `order` lists the owning kind's condition types (its value stream stages); Ready always
    comes first and unlisted types keep their insertion order after the listed ones.
    """
    if status not in _STATUSES:
        raise ValueError(f"condition status must be one of {_STATUSES}, not {status!r}")
    wanted = {
        "status": status,
        "observedGeneration": observed_generation,
        "reason": reason,
        "message": message,
    }
    if observed_generation is None:
        del wanted["observedGeneration"]
    found = get_condition(conditions, type)
    if found is None:
        conditions.append(
            {"type": type, **wanted, "lastTransitionTime": timestamp(now)},
        )
    else:
        unchanged = all(found.get(k) == v for k, v in wanted.items())
        if unchanged and "lastTransitionTime" in found:
            return False
        if found.get("status") != status or "lastTransitionTime" not in found:
            found["lastTransitionTime"] = timestamp(now)
        found.update(wanted)
    _sort(conditions, order)
    return True


def remove_condition(conditions: Conditions, type: str) -> bool:
    """Remove the condition of that type; return whether it was there."""
    before = len(conditions)
    conditions[:] = [c for c in conditions if c.get("type") != type]
    return len(conditions) != before


def set_abnormal_condition(  # noqa: PLR0917 - as set_condition
    conditions: Conditions,
    type: str,
    active: bool,
    reason: str,
    message: str,
    observed_generation: int | None,
    now: datetime | None = None,
    *,
    order: Sequence[str] = (),
) -> bool:
    """kstatus abnormal-true (Reconciling, Stalled): True while `active`, otherwise absent."""
    if active:
        return set_condition(
            conditions, type, "True", reason, message, observed_generation, now, order=order
        )
    return remove_condition(conditions, type)
