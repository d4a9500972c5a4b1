"""DesiredProductInstance: the desired topology of one deployment (Deploy value stream).

Which release, which parameters and which deployment plan; the operator plans it (plan hash,
estimate), waits for approval when the plan says Manual, fulfils, validates and observes it,
and keeps a bounded history with the last known good release for rollback (and the one before
it, for an Operate Rollback). spec.operate is copied from the offer like the plan. Its name
becomes a label value, hence at most 63 characters (a CEL rule at the root, see kinds.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from it4it_operator.api.common import (
    ApiModel,
    DeploymentPlan,
    DnsLabel,
    FreeForm,
    Name,
    OperatePolicy,
    Resource,
    Sha256,
    StatusBase,
    Text,
    Word,
)

InstanceState = Literal["Enabled", "Disabled"]


class ReleaseRef(ApiModel):
    """A reference to a ProductRelease in the product team's namespace."""

    namespace: DnsLabel = Field(description="Namespace of the ProductRelease.")
    name: Name = Field(description="Name of the ProductRelease.")


class DesiredProductInstanceSpec(ApiModel):
    """What should run: release, parameters, plan."""

    release: ReleaseRef = Field(description="The accepted ProductRelease to run.")
    parameters: FreeForm | None = Field(
        default=None,
        description="Values for the release's parameters schema; defaults are filled in.",
    )
    plan: DeploymentPlan = Field(
        default_factory=DeploymentPlan,
        description="How changes roll out: approval, change window, observation, rollback.",
    )
    operate: OperatePolicy = Field(
        default_factory=OperatePolicy,
        description="How the running instance is operated, copied from the offer's "
        "spec.operate: detection thresholds, remediation, maintenance windows.",
    )
    state: InstanceState = Field(
        default="Enabled", description="Enabled, or Disabled (scaled to zero, kept)."
    )


class Estimate(ApiModel):
    """What applying the plan involves."""

    objects: int | None = Field(default=None, ge=0, description="Objects to apply.")
    seconds: int | None = Field(default=None, ge=0, description="Expected duration in seconds.")


class LastKnownGood(ApiModel):
    """The last release that was observed stable: the rollback target."""

    release: Name | None = Field(default=None, description="Name of the ProductRelease.")
    release_namespace: DnsLabel | None = Field(default=None, description="Its namespace.")
    plan_hash: Sha256 | None = Field(default=None, description="Hash of the plan that ran it.")
    parameters: FreeForm | None = Field(
        default=None, description="The filled-in parameters it ran with, reused on rollback."
    )


class LastFailure(ApiModel):
    """The latest failed attempt, which the next pass rolls back from (or holds on)."""

    release: Name | None = Field(default=None, description="Name of the ProductRelease.")
    plan_hash: Sha256 | None = Field(default=None, description="Hash of the plan that failed.")
    reason: Word | None = Field(default=None, description="CamelCase reason, e.g. Degraded.")
    message: Text | None = Field(default=None, description="What went wrong, for people.")
    at: datetime | None = Field(default=None, description="When it failed.")


class HistoryEntry(ApiModel):
    """One deployment attempt."""

    release: Name = Field(description="Name of the ProductRelease deployed.")
    plan_hash: Sha256 | None = Field(default=None, description="Hash of the plan applied.")
    result: Word = Field(description="Outcome, e.g. Succeeded, Failed, RolledBack.")
    at: datetime = Field(description="When the attempt ended.")
    message: Text | None = Field(default=None, description="What happened, for people.")


class DesiredProductInstanceStatus(StatusBase):
    """Observed state of a DesiredProductInstance."""

    plan_hash: Sha256 | None = Field(
        default=None, description="Hash of the current plan; an Approval must name it."
    )
    applied_plan_hash: Sha256 | None = Field(
        default=None, description="Hash of the plan last applied (Fulfilled)."
    )
    stable_plan_hash: Sha256 | None = Field(
        default=None, description="Hash of the plan observed stable and handed over to Operate."
    )
    failed_plan_hash: Sha256 | None = Field(
        default=None, description="Hash of the plan that failed validation or observation."
    )
    last_failure: LastFailure | None = Field(default=None, description="The latest failure.")
    estimate: Estimate | None = Field(default=None, description="Size of the planned change.")
    actual: Name | None = Field(default=None, description="The ActualProductInstance name.")
    current_release: Name | None = Field(
        default=None, description="The ProductRelease currently applied."
    )
    change_started_at: datetime | None = Field(
        default=None, description="When the current change was applied; validation runs from it."
    )
    observe_started_at: datetime | None = Field(
        default=None, description="When observation of the current release started."
    )
    last_known_good: LastKnownGood | None = Field(default=None, description="The rollback target.")
    previous_known_good: LastKnownGood | None = Field(
        default=None,
        description="The good release before the last known good one: the target of an "
        "Operate Rollback when the last known good release itself fails.",
    )
    rolled_back_for: Name | None = Field(
        default=None,
        description="The Incident whose Rollback course of action was carried out, if any.",
    )
    scaled_for: Word | None = Field(
        default=None,
        description="The last Scale request (annotation it4it.dev/scale, incident/attempt) "
        "carried out.",
    )
    extra_replicas: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Replicas added by Operate's Scale course of action on top of "
        "spec.parameters.replicas, within the release's parameter schema.",
    )
    history: list[HistoryEntry] = Field(
        default_factory=list, max_length=20, description="Recent attempts, newest last (20)."
    )


class DesiredProductInstance(Resource):
    """The desired topology of a deployment: release, parameters and deployment plan."""

    kind: Literal["DesiredProductInstance"] = Field(
        default="DesiredProductInstance", description="DesiredProductInstance"
    )
    spec: DesiredProductInstanceSpec = Field(description="What should run, and how.")
    status: DesiredProductInstanceStatus = Field(
        default_factory=DesiredProductInstanceStatus, description="Written by the operator."
    )
