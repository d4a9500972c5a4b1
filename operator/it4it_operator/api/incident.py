"""Incident: an issue on an actual instance (Operate value stream, and consumer support).

Detected by the operator (Detect to Correct: a breach of the offer's operate.detect thresholds,
one open Incident per instance and symptom) or reported by a consumer on a subscription
(Consume, 5.6.5 support). Impact and urgency give the priority; the diagnosis names a known
error of the release and a course of action (a runbook plugin: Restart, Rollback, Scale,
Reapply, an Ansible Playbook, or Manual); attempts are bounded, then it escalates. Correlated
incidents are linked, and a major incident is the parent of the others. The actions and the
timeline record what happened, bounded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from it4it_operator.api.common import (
    ApiModel,
    CourseOfAction,
    DnsLabel,
    Link,
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
Verdict = Literal["Accepted", "Rejected"]
PHASES = (
    "Detected",
    "Diagnosed",
    "AwaitingApproval",
    "Resolving",
    "Verifying",
    "Resolved",
    "Closed",
    "Escalated",
)
"""The values of status.phase, in the order an incident usually goes through them."""


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
    symptoms: list[ShortText] = Field(
        default_factory=list,
        max_length=20,
        description="What the reporter saw, e.g. Slow or a log line; matched against the "
        "release's known defects (optional).",
    )
    symptom: Word | None = Field(
        default=None,
        description="For a Detected incident: the symptom class, e.g. PodFailed; with the "
        "instance, the key that keeps one open incident per instance and symptom.",
    )
    acceptance: Verdict | None = Field(
        default=None,
        description="The reporter's verdict once the incident is Resolved: Accepted closes it, "
        "Rejected reopens it.",
    )


class KnownErrorRef(ApiModel):
    """The known defect of the release the diagnosis matched, with its workaround."""

    id: Word = Field(description="id of the known defect, e.g. GB-17.")
    summary: ShortText | None = Field(default=None, description="Its one-line summary.")
    workaround: Text | None = Field(default=None, description="Its workaround, for people.")


class ActionRecord(ApiModel):
    """One attempt at the course of action, as run by a runbook plugin."""

    action: Word = Field(description="The course of action run, e.g. Restart or Playbook.")
    started_at: datetime = Field(description="When the attempt started.")
    finished_at: datetime | None = Field(default=None, description="When it ended.")
    result: Word = Field(description="Succeeded, Failed, Running or TimedOut.")
    message: Text | None = Field(default=None, description="What the action did, for people.")


class TimelineEntry(ApiModel):
    """One step in the life of the incident."""

    at: datetime = Field(description="When it happened.")
    event: Word = Field(description="What happened, in CamelCase, e.g. Diagnosed.")
    message: Text | None = Field(default=None, description="Details, for people.")


class IncidentStatus(StatusBase):
    """Detection, diagnosis and resolution of the incident."""

    phase: Word | None = Field(
        default=None,
        description="Where the incident stands: Detected, Diagnosed, AwaitingApproval (a Manual "
        "remediation waits for an Approval naming the incident), Resolving, Verifying, "
        "Resolved, Closed or Escalated (attempts exhausted or Manual: the resolver group acts).",
    )
    priority: Priority | None = Field(
        default=None, description="P1 (highest) to P4, from impact and urgency."
    )
    symptom: Word | None = Field(
        default=None,
        description="Symptom class, e.g. PodFailed; with the instance, the deduplication key.",
    )
    occurrences: int | None = Field(
        default=None, ge=0, description="How often the symptom was seen while this was open."
    )
    first_seen: datetime | None = Field(default=None, description="When it was first seen.")
    last_seen: datetime | None = Field(default=None, description="When it was last seen.")
    detected_at: datetime | None = Field(
        default=None, description="When the incident was raised (Detected)."
    )
    resolver_group: DnsLabel | None = Field(
        default=None,
        description="Who resolves it: the offer's support.resolverGroup, else the product "
        "team's namespace.",
    )
    known_error: KnownErrorRef | None = Field(
        default=None, description="The known defect whose symptoms match, with its workaround."
    )
    course_of_action: CourseOfAction | None = Field(
        default=None, description="Restart, Rollback, Scale, Reapply, Playbook or Manual."
    )
    attempts: int | None = Field(
        default=None, ge=0, description="Attempts at the course of action so far."
    )
    next_attempt_at: datetime | None = Field(
        default=None, description="When the next attempt is due, after a failed one."
    )
    actions: list[ActionRecord] = Field(
        default_factory=list, max_length=20, description="Attempts made, oldest first (20)."
    )
    verifying_since: datetime | None = Field(
        default=None,
        description="When verification started: the instance must stay healthy for the "
        "offer's operate.detect.verifySeconds.",
    )
    related: list[Name] = Field(
        default_factory=list,
        max_length=50,
        description="Correlated incidents, e.g. the same symptom on other instances of the "
        "release, by name.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    major: bool | None = Field(default=None, description="True on the parent of a major incident.")
    parent: Name | None = Field(
        default=None, description="The major incident this one belongs to, if any."
    )
    knowledge: list[Link] = Field(
        default_factory=list,
        max_length=32,
        description="Self-help links: the offer's support.knowledge.",
    )
    workarounds: list[Text] = Field(
        default_factory=list,
        max_length=16,
        description="Self-help: the workarounds of matching known defects.",
    )
    resolved_at: datetime | None = Field(default=None, description="When it was resolved.")
    closed_at: datetime | None = Field(default=None, description="When it was closed.")
    time_to_resolve_seconds: int | None = Field(
        default=None, ge=0, description="Seconds from detectedAt to resolvedAt."
    )
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
