"""Shapes shared by the seven it4it.dev kinds: the base models, constrained strings, Condition.

A rule such as "a price is a decimal string with at most two decimals" is written here once, so
the CRD schema (generated from these models), the Python validation in the controllers and the
`kubectl explain` text can never disagree. Money and percentages are strings with a pattern,
never floats (Kubernetes API conventions). Patterns use `[0-9]`, not `\\d`: Go's RE2 (the API
server) and Python disagree on what `\\d` matches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema
from pydantic.alias_generators import to_camel

from it4it_operator import API_VERSION

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
SEMVER = (
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(-(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?"
    r"(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$"
)
VERSION_RANGE = r"^[0-9A-Za-z.<>=!~^*|+ -]+$"
MONEY = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
SIGNED_MONEY = r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"
PERCENT = r"^(100(\.0{1,3})?|[0-9]{1,2}(\.[0-9]{1,3})?)$"
CURRENCY = r"^[A-Z]{3}$"
SHA256 = r"^sha256:[a-f0-9]{64}$"
IMAGE_BY_DIGEST = r"^[^@\s]+@sha256:[a-f0-9]{64}$"
CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
CAMEL_REASON = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
CONDITION_TYPE = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
)

DnsLabel = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=DNS_LABEL)]
"""A DNS label (RFC 1123): namespaces, product names, names that become label values."""
Name = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN)]
"""A Kubernetes object name (DNS subdomain, RFC 1123)."""
SemVer = Annotated[str, StringConstraints(max_length=128, pattern=SEMVER)]
VersionRange = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=VERSION_RANGE)
]
Money = Annotated[str, StringConstraints(max_length=15, pattern=MONEY)]
SignedMoney = Annotated[str, StringConstraints(max_length=16, pattern=SIGNED_MONEY)]
Percent = Annotated[str, StringConstraints(max_length=7, pattern=PERCENT)]
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3, pattern=CURRENCY)]
Sha256 = Annotated[str, StringConstraints(min_length=71, max_length=71, pattern=SHA256)]
ImageByDigest = Annotated[str, StringConstraints(max_length=512, pattern=IMAGE_BY_DIGEST)]
ClockTime = Annotated[str, StringConstraints(min_length=5, max_length=5, pattern=CLOCK)]
Word = Annotated[str, StringConstraints(min_length=1, max_length=64)]
"""A short token: a terms version, a result, a support-hours code such as 8x5."""
ShortText = Annotated[str, StringConstraints(max_length=256)]
Text = Annotated[str, StringConstraints(max_length=4096)]
LongText = Annotated[str, StringConstraints(max_length=32768)]
GroupName = Annotated[str, StringConstraints(min_length=1, max_length=253)]
"""A Kubernetes user group name as the authenticator reports it (e.g. ops, system:masters)."""
Link = Annotated[str, StringConstraints(max_length=2048)]
"""A link (URL) to documentation, a runbook or a knowledge article."""

FreeForm = Annotated[
    dict[str, Any],
    WithJsonSchema({"type": "object", "x-kubernetes-preserve-unknown-fields": True}),
]
"""A free-form JSON object kept as written: parameters and their JSON Schemas."""

Weekday = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
ApprovalPolicy = Literal["Automatic", "Manual"]
RollbackPolicy = Literal["Automatic", "Manual"]
RemediationPolicy = Literal["Automatic", "Manual"]
CourseOfAction = Literal["Restart", "Rollback", "Scale", "Reapply", "Playbook", "Manual"]
"""How Operate resolves an incident: a runbook action, an Ansible Playbook, or a person."""
ConditionStatus = Literal["True", "False", "Unknown"]


def cel(rule: str, message: str, field_path: str | None = None) -> dict[str, str]:
    """One `x-kubernetes-validations` entry: a CEL rule and the sentence shown when it fails."""
    entry = {"rule": rule, "message": message}
    if field_path:
        entry["fieldPath"] = field_path
    return entry


def validations(*rules: dict[str, str]) -> dict[str, Any]:
    """The `json_schema_extra` that attaches CEL rules to a model's schema node."""
    return {"x-kubernetes-validations": list(rules)}


class ApiModel(BaseModel):
    """Base of every it4it.dev model: snake_case in Python, camelCase on the wire."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
    )


class Condition(ApiModel):
    """One aspect of the object's state, as in metav1.Condition (kstatus-compatible)."""

    type: Annotated[str, StringConstraints(max_length=316, pattern=CONDITION_TYPE)] = Field(
        description="Type of the condition, in CamelCase: a value stream stage such as Planned, "
        "the summary Ready, or the kstatus abnormal-true Reconciling and Stalled."
    )
    status: ConditionStatus = Field(description="Status of the condition: True, False or Unknown.")
    observed_generation: int | None = Field(
        default=None,
        ge=0,
        description="metadata.generation the condition was computed from; older than the "
        "object's generation means the condition is out of date.",
    )
    last_transition_time: datetime = Field(
        description="When the condition last changed status (not when it was last checked)."
    )
    reason: Annotated[
        str, StringConstraints(min_length=1, max_length=1024, pattern=CAMEL_REASON)
    ] = Field(description="Stable CamelCase word for tools, the same as the matching Event's.")
    message: Annotated[str, StringConstraints(max_length=32768)] = Field(
        description="A sentence for people saying what happened and what to do about it."
    )


class StatusBase(ApiModel):
    """Status fields every kind shares: observedGeneration, conditions, phase, kopf progress."""

    observed_generation: int | None = Field(
        default=None,
        ge=0,
        description="The metadata.generation the controller last acted upon.",
    )
    conditions: list[Condition] = Field(
        default_factory=list,
        max_length=16,
        description="Current state, one condition per value stream stage plus the summary "
        "Ready (kubectl wait --for=condition=Ready) and the kstatus Reconciling and Stalled.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    phase: Word | None = Field(
        default=None,
        description="Short summary for people and printer columns; tools read conditions.",
    )
    kopf: FreeForm | None = Field(
        default=None,
        description="Progress of the operator framework (kopf) between handler runs; internal.",
    )


class Resource(ApiModel):
    """Envelope of a custom resource: apiVersion, kind, metadata; kinds add spec and status."""

    api_version: str = Field(default=API_VERSION, description="Always it4it.dev/v1alpha1.")
    kind: str = Field(description="The kind of the object.")
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="Standard Kubernetes object metadata."
    )


class Sla(ApiModel):
    """Service level targets: what the provider promises the consumer."""

    availability: Percent = Field(
        description='Availability target in percent as a string, e.g. "99.5" (never a float).'
    )
    support_hours: Word | None = Field(
        default=None, description='When support answers, e.g. "8x5" or "24x7".'
    )
    response_minutes: int | None = Field(
        default=None, ge=0, le=525600, description="Time to first response to an incident."
    )


class ChangeWindow(ApiModel):
    """When changes may be applied to running instances; outside it, deployments wait."""

    days: list[Weekday] = Field(
        default_factory=list,
        max_length=7,
        description="Weekdays the window is open (Mon..Sun); empty means every day.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    start: ClockTime = Field(description='Opening time, "HH:MM" (24 h) in timeZone.')
    end: ClockTime = Field(
        description='Closing time, "HH:MM" (24 h) in timeZone; before start means past midnight.'
    )
    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        default="UTC", description='IANA time zone of start and end, e.g. "Europe/Paris".'
    )


class ApproverPolicy(ApiModel):
    """Who must sign a Manual plan off: how many people, from which groups, for how long.

    An Approval counts when it names the current plan hash, is not by the requester of the
    change, has not expired, and (with groups) its approver was in one of the groups when they
    created it (stamped by admission from the request, never from the spec). The plan is
    approved once `count` distinct people count and every listed group has one of them; a
    counting Rejected stops it.
    """

    count: int | None = Field(
        default=None,
        ge=1,
        le=20,
        description="Distinct approvers needed, the requester never among them; defaults to the "
        "number of groups (at least 1).",
    )
    groups: list[GroupName] = Field(
        default_factory=list,
        max_length=10,
        description="Groups that must each have an approver among those counted (the groups of "
        "the user who created the Approval); an approver in none of them does not count.",
    )
    expire_seconds: int | None = Field(
        default=None,
        ge=1,
        le=31536000,
        description="An Approval stops counting this many seconds after it was created, unless "
        "the plan it approves was applied by then; absent means it does not expire.",
    )


class DeploymentPlan(ApiModel):
    """How a change is rolled out: approval, change window, observation and rollback policies."""

    approval: ApprovalPolicy = Field(
        default="Automatic",
        description="Automatic: deploy once planned. Manual: wait for Approvals naming the "
        "plan hash, as many and from whom `approvers` says.",
    )
    approvers: ApproverPolicy | None = Field(
        default=None,
        description="With approval Manual: how many approvers, from which groups, and when an "
        "Approval expires; absent means one approver other than the requester.",
    )
    change_window: ChangeWindow | None = Field(
        default=None, description="When changes may be applied; absent means at any time."
    )
    observe_seconds: int = Field(
        default=60,
        ge=0,
        le=86400,
        description="How long a new release is observed healthy before it is Stable and "
        "becomes the last known good release.",
    )
    rollback: RollbackPolicy = Field(
        default="Automatic",
        description="Automatic: return to the last known good release when validation or "
        "observation fails. Manual: stop and raise an Incident.",
    )


class DetectPolicy(ApiModel):
    """Thresholds past which Operate turns what it sees on an instance into an Incident."""

    failures: int = Field(
        default=2,
        ge=1,
        le=1000,
        description="Failures (e.g. a pod Failed) within windowSeconds that raise an Incident.",
    )
    window_seconds: int = Field(
        default=300,
        ge=1,
        le=604800,
        description="The sliding window, in seconds, in which failures and restarts are counted.",
    )
    unavailable_seconds: int = Field(
        default=60,
        ge=0,
        le=86400,
        description="How long, in seconds, the instance may be unavailable (Degraded or Missing) "
        "before an Incident is raised.",
    )
    restarts: int = Field(
        default=3,
        ge=1,
        le=1000,
        description="Container restarts within windowSeconds that raise an Incident.",
    )
    verify_seconds: int = Field(
        default=30,
        ge=0,
        le=86400,
        description="How long, in seconds, the instance must stay healthy after a course of "
        "action before the Incident is Resolved.",
    )


class MaintenanceWindow(ChangeWindow):
    """A recurring maintenance window: detection is suppressed inside it, subscribers told."""


class DrillWindow(ChangeWindow):
    """A recurring window in which one recovery drill (a disaster simulation) may start."""


class RecoveryPolicy(ApiModel):
    """Ensure Disaster Recovery Objectives: scheduled drills that measure the recovery time.

    Once in each occurrence of a drill window, when the instance is available, the operator
    deletes the pods of its workloads (as the namespace's deployer, like a lost node would) and
    measures how long the workloads take to be available again with new pods. Within
    objectiveSeconds the drill passed; otherwise an Incident (RecoveryObjectiveMissed) is raised.
    """

    objective_seconds: int = Field(
        ge=1,
        le=86400,
        description="Recovery time objective (RTO), in seconds (1..86400): how long the "
        "instance may take, after its pods are lost, until every workload is available again "
        "with new pods. A drill that takes longer raises an Incident.",
    )
    drills: list[DrillWindow] = Field(
        default_factory=list,
        max_length=16,
        description="Recurring windows for recovery drills: one drill starts in each "
        "occurrence of a window, as soon as the instance is available inside it. Breaches "
        "detection sees while a drill runs are counted in status.suppressed.recoveryDrill, not "
        "raised. Empty means no drill runs.",
    )


class OperatePolicy(ApiModel):
    """How a running instance is operated: detection, remediation, maintenance windows and
    disaster recovery drills."""

    remediation: RemediationPolicy = Field(
        default="Automatic",
        description="Automatic: the course of action runs as soon as the incident is diagnosed. "
        "Manual: it waits for an Approval whose spec.incident names the incident.",
    )
    max_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Attempts (1..10) at the course of action before the incident is Escalated "
        "to the resolver group.",
    )
    detect: DetectPolicy = Field(
        default_factory=DetectPolicy,
        description="Thresholds that turn failures, restarts and unavailability into Incidents.",
    )
    maintenance: list[MaintenanceWindow] = Field(
        default_factory=list,
        max_length=16,
        description="Recurring maintenance windows: detection is suppressed inside them and "
        "subscribers are told noticeSeconds before each starts.",
    )
    notice_seconds: int = Field(
        default=3600,
        ge=0,
        le=2592000,
        description="How long, in seconds, before a maintenance window starts subscribers are "
        "told about it.",
    )
    recovery: RecoveryPolicy | None = Field(
        default=None,
        description="Disaster recovery: the recovery time objective and the windows in which "
        "drills check it; absent means no drill runs.",
    )


class HealthSample(ApiModel):
    """A change of the instance's health, from which availability is measured."""

    at: datetime = Field(description="When the health changed.")
    health: Word = Field(description="Healthy, Progressing, Degraded, Missing or Suspended.")
