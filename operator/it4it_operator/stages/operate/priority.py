"""Prioritise an Incident (IT4IT 5.7.2 Detect Issue: "Shall assign prioritized Events and/or
Incidents to a resolver group considering the impact on value realization").

The ITIL way: impact (how much of the service's value is hit) times urgency (how fast it hurts)
gives P1..P4 through one 3x3 table. Impact is measured from the Subscriptions an instance serves
and its SLA; urgency follows the symptom class. A person who reports an Incident knows their own
impact and urgency, so theirs are honoured as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from it4it_operator.stages.operate.detect import (
    CRASH_LOOP_BACK_OFF,
    DRIFTED,
    OBJECT_MISSING,
    POD_FAILED,
    POD_RESTARTING,
    RECOVERY_OBJECTIVE_MISSED,
    SLA_BREACHED,
    WORKLOAD_UNAVAILABLE,
)

Level = Literal["High", "Medium", "Low"]
Priority = Literal["P1", "P2", "P3", "P4"]
LEVELS: tuple[Level, ...] = ("High", "Medium", "Low")

MATRIX: Mapping[tuple[Level, Level], Priority] = {
    # (impact, urgency): priority
    ("High", "High"): "P1",
    ("High", "Medium"): "P2",
    ("Medium", "High"): "P2",
    ("High", "Low"): "P3",
    ("Medium", "Medium"): "P3",
    ("Low", "High"): "P3",
    ("Medium", "Low"): "P4",
    ("Low", "Medium"): "P4",
    ("Low", "Low"): "P4",
}
"""The impact x urgency matrix, the only place priorities are defined."""

HIGH_IMPACT_SUBSCRIPTIONS = 3
"""From this many affected Subscriptions on, the impact is High."""
HIGH_IMPACT_SLA = Decimal("99.9")
"""An SLA target at or above this makes any outage High impact."""

URGENCY: Mapping[str, Level] = {
    WORKLOAD_UNAVAILABLE: "High",
    OBJECT_MISSING: "High",
    SLA_BREACHED: "High",
    RECOVERY_OBJECTIVE_MISSED: "High",
    POD_FAILED: "Medium",
    CRASH_LOOP_BACK_OFF: "Medium",
    POD_RESTARTING: "Low",
    DRIFTED: "Low",
}
"""Urgency by symptom class; a symptom not listed (e.g. one a reporter saw) is Medium. A missed
recovery objective is High: the instance is down past what the contract allows for a disaster."""
_URGENCY_FOLDED = {symptom.lower(): level for symptom, level in URGENCY.items()}


def _level(value: object) -> Level | None:
    return next((level for level in LEVELS if level == value), None)


def impact_of(affected_subscriptions: int, sla: str | None) -> Level:
    """High when >= 3 Subscriptions are affected or the SLA target is >= 99.9 (percent string,
    "%" allowed); Medium when at least one is; Low when none is (an instance deployed directly)."""
    target: Decimal | None = None
    if sla is not None:
        try:
            target = Decimal(str(sla).rstrip("%").strip())
        except InvalidOperation:
            target = None
    if affected_subscriptions >= HIGH_IMPACT_SUBSCRIPTIONS or (
        target is not None and target >= HIGH_IMPACT_SLA
    ):
        return "High"
    return "Medium" if affected_subscriptions >= 1 else "Low"


def urgency_of(symptom: str) -> Level:
    """The urgency of a symptom class (matched case-insensitively); Medium when unknown."""
    return _URGENCY_FOLDED.get(symptom.strip().lower(), "Medium")


def priority(impact: str, urgency: str) -> Priority:
    """P1..P4 from the matrix; raises ValueError for a level other than High, Medium, Low."""
    impact_level, urgency_level = _level(impact), _level(urgency)
    if impact_level is None or urgency_level is None:
        raise ValueError(f"impact {impact!r} and urgency {urgency!r} must be one of {LEVELS}")
    return MATRIX[(impact_level, urgency_level)]


@dataclass(frozen=True)
class Prioritised:
    """The impact and urgency an Incident is prioritised by, and the resulting priority."""

    impact: Level
    urgency: Level
    priority: Priority
    message: str


def incident_priority(
    spec: Mapping[str, Any], detected_impact: Level, symptom: str | None = None
) -> Prioritised:
    """The priority of an Incident with `spec`, given the impact measured on its instance.

    Reported (spec.source Reported, the API default): the reporter's spec.impact and
    spec.urgency are honoured as written, even when lower than measured; only a level they
    left out is filled in, impact from `detected_impact`, urgency from the most urgent of their
    spec.symptoms (Medium without any). Detected: the impact is `detected_impact`, so the
    priority follows the number of affected Subscriptions as it changes, and the urgency is the
    detected `symptom`'s (status.symptom), else spec.urgency, else Medium.
    """
    if spec.get("source", "Reported") == "Reported":
        impact: Level = _level(spec.get("impact")) or detected_impact
        said = [urgency_of(str(s)) for s in spec.get("symptoms") or []]
        most: Level = next((level for level in LEVELS if level in said), "Medium")
        urgency: Level = _level(spec.get("urgency")) or most
        who = "as reported"
    else:
        impact = detected_impact
        urgency = urgency_of(symptom) if symptom else (_level(spec.get("urgency")) or "Medium")
        who = "as detected"
    chosen = priority(impact, urgency)
    return Prioritised(
        impact, urgency, chosen, f"{impact} impact and {urgency} urgency {who} give {chosen}."
    )
