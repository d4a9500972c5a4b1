"""Approval: a signed-off deployment plan (Deploy value stream, Plan & Approve).

A kind of its own so that RBAC separates who requests a change from who approves it. It counts
only for the plan hash it names: a changed plan needs a new Approval.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from it4it_operator.api.common import ApiModel, Name, Resource, Sha256, ShortText, StatusBase, Text


class ApprovalSpec(ApiModel):
    """Which plan is approved, by whom."""

    desired_instance: Name = Field(
        description="Name of the DesiredProductInstance, in the same namespace."
    )
    plan_hash: Sha256 = Field(
        description="The plan approved, sha256:<64 hex>, from the instance's status.planHash."
    )
    approver: ShortText = Field(
        description="Who approves; an admission policy requires the requesting user."
    )
    comment: Text | None = Field(default=None, description='Why, e.g. "CAB 42".')


class ApprovalStatus(StatusBase):
    """Observed state of an Approval: condition Valid says whether it matches the plan."""


class Approval(Resource):
    """A signed-off plan: names a DesiredProductInstance and the hash of the approved plan."""

    kind: Literal["Approval"] = Field(default="Approval", description="Approval")
    spec: ApprovalSpec = Field(description="The approval.")
    status: ApprovalStatus = Field(
        default_factory=ApprovalStatus, description="Written by the operator."
    )
