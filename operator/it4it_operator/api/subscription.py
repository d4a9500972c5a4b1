"""Subscription: a consumer's order against a ServiceOffer (Consume value stream).

It becomes a Service Contract once the accepted terms match the offer's, and owns the
DesiredProductInstance that fulfils it. Its name becomes a label value, hence at most 63
characters (a CEL rule at the root, see kinds.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from it4it_operator.api.common import (
    ApiModel,
    Currency,
    FreeForm,
    HealthSample,
    Money,
    Name,
    Percent,
    Resource,
    SemVer,
    Sla,
    StatusBase,
    Text,
    Word,
)
from it4it_operator.api.service_offer import Period

SubscriptionState = Literal["Active", "Suspended"]


class SubscriptionSpec(ApiModel):
    """The order: which offer, which options, which terms."""

    offer: Name = Field(description="Name of the (cluster-scoped) ServiceOffer.")
    parameters: FreeForm | None = Field(
        default=None,
        description="Chosen options, validated against the offer's parameters schema; "
        "defaults are filled in.",
    )
    accepted_terms: Word | None = Field(
        default=None,
        description="Version of the offer's terms the consumer accepts; must equal the "
        "offer's spec.terms.version for the subscription to be Agreed.",
    )
    state: SubscriptionState = Field(
        default="Active",
        description="Active, or Suspended (instance scaled to zero, kept). Deleting the "
        "Subscription terminates it.",
    )


class Contract(ApiModel):
    """The Service Contract as agreed: the offer's terms at the time of agreement."""

    offer: Name | None = Field(default=None, description="The ServiceOffer agreed to.")
    terms_version: Word | None = Field(default=None, description="The terms version agreed.")
    release_version: SemVer | None = Field(default=None, description="The release delivered.")
    price: Money | None = Field(default=None, description="Price per period, a decimal string.")
    currency: Currency | None = Field(default=None, description="Currency of the price.")
    period: Period | None = Field(default=None, description="Billing period.")
    sla: Sla | None = Field(default=None, description="Service level targets agreed.")
    agreed_at: datetime | None = Field(default=None, description="When the terms were agreed.")


class InstanceRefs(ApiModel):
    """The product instances fulfilling the subscription."""

    desired: Name | None = Field(default=None, description="DesiredProductInstance name.")
    actual: Name | None = Field(default=None, description="ActualProductInstance name.")


class Notification(ApiModel):
    """A message to the consumer: a change, an incident, a planned maintenance."""

    type: Word = Field(description="Kind of notice, e.g. Change, Incident, Maintenance.")
    message: Text = Field(description="What the consumer should know.")
    at: datetime = Field(description="When it was raised.")


class ServiceStatus(ApiModel):
    """How the service performs against the contract, as the consumer sees it."""

    availability: Percent | None = Field(
        default=None, description='Measured availability in percent, e.g. "99.98".'
    )
    sla_met: bool | None = Field(default=None, description="Whether the SLA targets are met.")
    open_incidents: int | None = Field(default=None, ge=0, description="Open Incidents.")
    notifications: list[Notification] = Field(
        default_factory=list, max_length=20, description="Latest notices, newest last (bounded)."
    )
    health_history: list[HealthSample] = Field(
        default_factory=list,
        max_length=100,
        description="Health transitions since the contract was agreed (newest 100).",
    )


class SubscriptionStatus(StatusBase):
    """Observed state of a Subscription."""

    contract: Contract | None = Field(default=None, description="The Service Contract.")
    instance: InstanceRefs | None = Field(default=None, description="Instances fulfilling it.")
    service_status: ServiceStatus | None = Field(
        default=None, description="Service performance against the contract."
    )
    members: list[Name] = Field(
        default_factory=list,
        max_length=16,
        description="For a bundle offer: the DesiredProductInstance of each member, in order.",
    )


class Subscription(Resource):
    """A consumer's order against a ServiceOffer; becomes a Service Contract."""

    kind: Literal["Subscription"] = Field(default="Subscription", description="Subscription")
    spec: SubscriptionSpec = Field(description="The order.")
    status: SubscriptionStatus = Field(
        default_factory=SubscriptionStatus, description="Written by the operator."
    )
