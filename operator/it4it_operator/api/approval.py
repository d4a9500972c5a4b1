"""Approval: a sign-off on a deployment plan or on an incident's course of action.

A kind of its own so that RBAC separates who requests a change from who approves it. It counts
only for what it names: the plan hash of a DesiredProductInstance (Deploy, Plan & Approve; a
changed plan needs a new Approval), or an Incident whose course of action waits for approval
because the offer's operate.remediation is Manual (Operate). It names exactly one of the two,
which CEL rules on the spec enforce. An Approval can also reject (decision Rejected, with a
reason). The groups of its creator are stamped by admission (annotation
it4it.dev/approver-groups), never taken from the spec.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from it4it_operator.api.common import (
    ApiModel,
    Name,
    Resource,
    Sha256,
    ShortText,
    StatusBase,
    Text,
    cel,
    validations,
)

PLAN_OR_INCIDENT = cel(
    "has(self.planHash) || has(self.incident)",
    "an Approval names either spec.planHash (a plan) or spec.incident (an incident's course "
    "of action)",
    field_path=".planHash",
)
NOT_PLAN_AND_INCIDENT = cel(
    "!has(self.planHash) || !has(self.incident)",
    "spec.planHash and spec.incident exclude each other: one Approval approves one thing",
    field_path=".planHash",
)
REJECTION_NEEDS_REASON = cel(
    "!has(self.decision) || self.decision != 'Rejected' || "
    "(has(self.reason) && size(self.reason) > 0)",
    "spec.reason is required with decision Rejected: say why the change is rejected",
    field_path=".reason",
)
PLAN_NEEDS_INSTANCE = cel(
    "!has(self.planHash) || has(self.desiredInstance)",
    "spec.planHash needs spec.desiredInstance, the DesiredProductInstance whose plan it is",
    field_path=".desiredInstance",
)


Decision = Literal["Approved", "Rejected"]


class ApprovalSpec(ApiModel):
    """What is approved, by whom: a plan hash or an incident's course of action."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            PLAN_OR_INCIDENT, NOT_PLAN_AND_INCIDENT, PLAN_NEEDS_INSTANCE, REJECTION_NEEDS_REASON
        )
    )

    desired_instance: Name | None = Field(
        default=None,
        description="Name of the DesiredProductInstance, in the same namespace; required with "
        "planHash.",
    )
    plan_hash: Sha256 | None = Field(
        default=None,
        description="The plan approved, sha256:<64 hex>, from the instance's status.planHash; "
        "exclusive with incident.",
    )
    incident: Name | None = Field(
        default=None,
        description="Name of the Incident, in the same namespace, whose course of action is "
        "approved (operate.remediation Manual); exclusive with planHash.",
    )
    approver: ShortText = Field(
        description="Who approves; an admission policy requires the requesting user."
    )
    decision: Decision = Field(
        default="Approved",
        description="Approved signs the plan (or course of action) off; Rejected stops it: the "
        "instance is Stalled until its spec changes (a new plan hash). Needs reason.",
    )
    reason: Text | None = Field(
        default=None, description="Why the change is rejected; required with decision Rejected."
    )
    comment: Text | None = Field(default=None, description='Why, e.g. "CAB 42".')


class ApprovalStatus(StatusBase):
    """Observed state of an Approval: condition Valid says whether it matches what it names."""


class Approval(Resource):
    """A sign-off: names a plan hash of a DesiredProductInstance, or an Incident."""

    kind: Literal["Approval"] = Field(default="Approval", description="Approval")
    spec: ApprovalSpec = Field(description="The approval.")
    status: ApprovalStatus = Field(
        default_factory=ApprovalStatus, description="Written by the operator."
    )
