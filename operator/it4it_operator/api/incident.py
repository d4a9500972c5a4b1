"""Incident: an issue on an actual instance (Operate value stream, and consumer support).

Detected by the operator or reported by a consumer. Impact and urgency give the priority; the
diagnosis names a known error and a course of action (a runbook plugin); the timeline records
what happened, bounded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from it4it_operator.api.common import (
    ApiModel,
    DnsLabel,
    LongText,
    Name,
    Resource,
    ShortText,
    StatusBase,
    Text,
    Word,
)

Level = Literal["High", "Medium", "Low"]
Source = Literal["Detected", "Reported"]
Priority = Literal["P1", "P2", "P3", "P4"]
CourseOfAction = Literal["Restart", "Rollback", "Scale", "Reapply", "Manual"]


class IncidentSpec(ApiModel):
    """The issue as raised."""

    instance: Name = Field(description="The ActualProductInstance affected, same namespace.")
    subscription: Name | None = Field(
        default=None, description="The Subscription, when a consumer reports the incident."
    )
    summary: ShortText = Field(description="What is wrong, in one line.")
    description: LongText | None = Field(default=None, description="Details, for people.")
    impact: Level = Field(default="Medium", description="High, Medium or Low.")
    urgency: Level = Field(
        default="Medium", description="High, Medium or Low; with impact gives the priority."
    )
    source: Source = Field(
        default="Reported", description="Detected by the operator, or Reported by a person."
    )


class TimelineEntry(ApiModel):
    """One step in the life of the incident."""

    at: datetime = Field(description="When it happened.")
    event: Word = Field(description="What happened, in CamelCase, e.g. Diagnosed.")
    message: Text | None = Field(default=None, description="Details, for people.")


class IncidentStatus(StatusBase):
    """Diagnosis and resolution of the incident."""

    priority: Priority | None = Field(default=None, description="P1 (highest) to P4.")
    resolver_group: DnsLabel | None = Field(
        default=None, description="Who resolves it: the product team's namespace."
    )
    known_error: Word | None = Field(
        default=None, description="id of the known defect whose symptoms match."
    )
    course_of_action: CourseOfAction | None = Field(
        default=None, description="Restart, Rollback, Scale, Reapply or Manual."
    )
    resolved_at: datetime | None = Field(default=None, description="When it was resolved.")
    timeline: list[TimelineEntry] = Field(
        default_factory=list, max_length=100, description="What happened, oldest first (100)."
    )


class Incident(Resource):
    """An issue on an actual product instance, with diagnosis and course of action."""

    kind: Literal["Incident"] = Field(default="Incident", description="Incident")
    spec: IncidentSpec = Field(description="The issue as raised.")
    status: IncidentStatus = Field(
        default_factory=IncidentStatus, description="Written by the operator."
    )
