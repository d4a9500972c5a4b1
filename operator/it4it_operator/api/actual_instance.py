"""ActualProductInstance: what really runs (Deploy and Operate value streams).

Written by the operator only: the release in place, the inventory of applied objects with their
health, drift against the desired model, the known errors that match, and what Operate's
detection currently sees (symptoms with their clocks, suppressed detections, open incidents) and
the last recovery drill.
The applied objects are owned by it, so deleting it garbage-collects them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from it4it_operator.api.common import (
    ApiModel,
    HealthSample,
    Name,
    Resource,
    Sha256,
    StatusBase,
    Text,
    Word,
)

Health = Literal["Healthy", "Progressing", "Degraded", "Missing", "Suspended"]


class ActualProductInstanceSpec(ApiModel):
    """The link back to the desired model."""

    desired_instance: Name | None = Field(
        default=None, description="The DesiredProductInstance this instance realises."
    )


class AppliedResource(ApiModel):
    """One object applied for the instance, with its health."""

    api_version: Annotated[str, StringConstraints(min_length=1, max_length=253)] = Field(
        description="apiVersion of the object."
    )
    kind: Annotated[str, StringConstraints(min_length=1, max_length=63)] = Field(
        description="Kind of the object."
    )
    name: Annotated[str, StringConstraints(min_length=1, max_length=253)] = Field(
        description="Name of the object, in the instance's namespace."
    )
    uid: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, description="UID of the object."
    )
    health: Health | None = Field(default=None, description="Health as assessed by plugins.")
    message: Text | None = Field(default=None, description="Why, when not Healthy.")


class ObservedSymptom(ApiModel):
    """A symptom Detect currently sees on the instance, with its clock and count."""

    symptom: Word = Field(description="Symptom class in CamelCase, e.g. PodFailed, Unavailable.")
    since: datetime = Field(
        description="When it was first seen in the current detection window; kept in status so "
        "an operator restart keeps the clock."
    )
    count: int = Field(
        default=1,
        ge=0,
        description="How often it was seen in the window (failures, restarts), compared with "
        "the thresholds of spec.operate.detect.",
    )
    message: Text | None = Field(default=None, description="What was seen last, for people.")
    suppressed: bool | None = Field(
        default=None,
        description="True once this observation breached inside a maintenance window: counted "
        "in status.suppressed once, and raised as an Incident if it outlasts the window.",
    )


class SuppressedDetections(ApiModel):
    """Detections that did not become Incidents because a window suppressed them."""

    maintenance: int = Field(
        default=0, ge=0, description="Suppressed inside a maintenance window (spec.operate)."
    )
    change: int = Field(
        default=0, ge=0, description="Suppressed while a change was applied or observed."
    )
    recovery_drill: int = Field(
        default=0,
        ge=0,
        description="Suppressed while a recovery drill (spec.operate.recovery) had the "
        "instance down on purpose.",
    )


class RecoveryDrillRecord(ApiModel):
    """The last recovery drill of the instance (Ensure Disaster Recovery Objectives) and what
    it measured; kept in status, so a restarted operator neither repeats nor forgets it."""

    drills: int = Field(default=0, ge=0, description="How many drills have started here.")
    last_drill_at: datetime | None = Field(
        default=None, description="When the last drill started (its pods were deleted)."
    )
    window_start: datetime | None = Field(
        default=None,
        description="Start of the drill window occurrence the last drill belongs to: one drill "
        "per occurrence.",
    )
    recovered_at: datetime | None = Field(
        default=None,
        description="When every workload was available again with new pods after the drill.",
    )
    recovery_seconds: int | None = Field(
        default=None, ge=0, description="The measured recovery time: recoveredAt - lastDrillAt."
    )
    objective_seconds: int | None = Field(
        default=None,
        ge=1,
        description="The recovery time objective the last drill is judged against.",
    )
    met: bool | None = Field(
        default=None,
        description="True: recovered within the objective; False: not; absent while the drill "
        "runs.",
    )
    refused: Text | None = Field(
        default=None,
        description="Why the last drill could not delete the pods (the API server's answer); "
        "such a drill measured nothing.",
    )


class ActualProductInstanceStatus(StatusBase):
    """Observed state of what runs."""

    release: Name | None = Field(default=None, description="The ProductRelease in place.")
    plan_hash: Sha256 | None = Field(default=None, description="Hash of the plan in place.")
    health: Health | None = Field(
        default=None, description="Healthy, Progressing, Degraded, Missing or Suspended."
    )
    resources: list[AppliedResource] = Field(
        default_factory=list, max_length=256, description="Inventory of the applied objects."
    )
    drift: list[Text] = Field(
        default_factory=list,
        max_length=256,
        description="Fields or objects that differ from the desired model.",
    )
    known_errors: list[Word] = Field(
        default_factory=list,
        max_length=64,
        description="Known defects of the release whose symptoms match (ids, e.g. GB-17).",
    )
    in_change: bool | None = Field(
        default=None, description="True while a change is being applied or observed."
    )
    health_history: list[HealthSample] = Field(
        default_factory=list,
        max_length=100,
        description="Up/down transitions of health since the first verdict (newest 100); the "
        "Subscription's availability is measured from them.",
    )
    symptoms: list[ObservedSymptom] = Field(
        default_factory=list,
        max_length=32,
        description="What Detect currently sees, one entry per symptom class; persisted so a "
        "restart of the operator keeps the clocks.",
        json_schema_extra={
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["symptom"],
        },
    )
    suppressed: SuppressedDetections | None = Field(
        default=None,
        description="Detections suppressed by maintenance windows, changes and recovery drills, "
        "counted.",
    )
    open_incidents: int | None = Field(
        default=None, ge=0, description="Incidents on this instance not yet Resolved or Closed."
    )
    maintenance_notice: datetime | None = Field(
        default=None,
        description="Start of the next maintenance window the subscribers were told about.",
    )
    recovery: RecoveryDrillRecord | None = Field(
        default=None,
        description="The last recovery drill (spec.operate.recovery) and its measured recovery "
        "time against the objective.",
    )
    reapplied_for: Word | None = Field(
        default=None,
        description="The last Reapply request (annotation it4it.dev/reapply, incident/attempt) "
        "carried out: the planned objects were applied again.",
    )


class ActualProductInstance(Resource):
    """What really runs: release in place, applied objects and their health, drift."""

    kind: Literal["ActualProductInstance"] = Field(
        default="ActualProductInstance", description="ActualProductInstance"
    )
    spec: ActualProductInstanceSpec = Field(
        default_factory=ActualProductInstanceSpec, description="Written by the operator."
    )
    status: ActualProductInstanceStatus = Field(
        default_factory=ActualProductInstanceStatus, description="Written by the operator."
    )
