"""ServiceOffer: a catalog entry over a release or a bundle of offers (Release value stream).

Cluster-scoped because a catalog is shared: the audience section decides which namespaces see
the offer. Prices and percentages are strings; the validity window, the choice between a
single release and a bundle, and "a price, SLA or terms change needs a new terms.version" are
CEL rules because a schema alone cannot compare two fields (or a field with its old value).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from it4it_operator.api.common import (
    ApiModel,
    Currency,
    DeploymentPlan,
    DnsLabel,
    FreeForm,
    Link,
    LongText,
    Money,
    Name,
    OperatePolicy,
    Resource,
    SemVer,
    ShortText,
    SignedMoney,
    Sla,
    StatusBase,
    Text,
    VersionRange,
    Word,
    cel,
    validations,
)

Period = Literal["Monthly", "Yearly", "OneTime"]
OfferState = Literal["Draft", "Published", "Terminated"]
SelectorOperator = Literal["In", "NotIn", "Exists", "DoesNotExist"]
LabelValue = Annotated[str, StringConstraints(max_length=63)]

# In the API server's CEL, has() is false for a field that is null, so these rules also hold
# for the `until: null` of an open-ended offer.
UNTIL_AFTER_FROM = cel(
    "!has(self.until) || !has(self.from) || self.until > self.from",
    "validity.until must be after validity.from",
    field_path=".until",
)
RELEASE_XOR_BUNDLE = cel(
    "has(self.release) != has(self.bundle)",
    "exactly one of spec.release or spec.bundle must be set",
)
# Every contract change goes through re-agreement (5.6.3 Agree to Service Offer): what a
# subscriber agreed to under a terms version, its price, its SLA and the terms' wording, cannot
# change under that version. The provider's cost is not part of the contract. Transition rules
# (oldSelf) are checked on updates only. Adding or removing the optional SLA or summary counts
# as a change (has() is false for an absent or null field). No optional types (`.?`): the API
# server cannot bound the cost of comparing them and refuses the CRD.
_SAME_TERMS = "self.terms.version != oldSelf.terms.version || "


def _unchanged_optional(path: str) -> str:
    """CEL: the optional field at `path` (below self) is absent in both or equal in both."""
    new, old = f"self.{path}", f"oldSelf.{path}"
    return f"(has({new}) ? has({old}) && {new} == {old} : !has({old}))"


PRICING_NEEDS_NEW_TERMS = cel(
    _SAME_TERMS + "(self.pricing.price == oldSelf.pricing.price"
    " && self.pricing.currency == oldSelf.pricing.currency"
    " && self.pricing.period == oldSelf.pricing.period)",
    "spec.pricing (price, currency or period) cannot change under the same"
    " spec.terms.version: set a new terms.version, which subscribers agree to again",
    field_path=".pricing",
)
SLA_NEEDS_NEW_TERMS = cel(
    _SAME_TERMS + _unchanged_optional("terms.sla"),
    "spec.terms.sla cannot change under the same spec.terms.version: set a new"
    " terms.version, which subscribers agree to again",
    field_path=".terms.sla",
)
SUMMARY_NEEDS_NEW_TERMS = cel(
    _SAME_TERMS + _unchanged_optional("terms.summary"),
    "spec.terms.summary cannot change under the same spec.terms.version: set a new"
    " terms.version, which subscribers agree to again",
    field_path=".terms.summary",
)
VALUES_MATCH_OPERATOR = cel(
    "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0"
    " : !has(self.values) || size(self.values) == 0",
    "values must be non-empty for In and NotIn and empty for Exists and DoesNotExist",
)


class ReleaseSelector(ApiModel):
    """Which ProductReleases the offer is fulfilled with: the newest accepted one in range."""

    namespace: DnsLabel = Field(description="Namespace of the product team's releases.")
    product: DnsLabel = Field(description="spec.product of the releases.")
    version: VersionRange = Field(
        description='Semantic version range, e.g. ">=1.0.0 <2.0.0"; the newest accepted '
        "release in range is offered."
    )


class BundleMember(ApiModel):
    """One offer of a bundle."""

    offer: Name = Field(description="Name of the ServiceOffer fulfilled at this position.")


class Validity(ApiModel):
    """When the offer may be subscribed to."""

    model_config = ConfigDict(json_schema_extra=validations(UNTIL_AFTER_FROM))

    from_: datetime | None = Field(
        default=None, alias="from", description="Start of validity (RFC 3339); absent: now."
    )
    until: datetime | None = Field(
        default=None, description="End of validity (RFC 3339), after from; absent: open-ended."
    )


class Pricing(ApiModel):
    """What the consumer pays and what it costs the provider."""

    currency: Currency = Field(description="ISO 4217 currency code, three capitals, e.g. EUR.")
    price: Money = Field(description='Price per period as a decimal string, e.g. "12.50".')
    cost: Money | None = Field(
        default=None, description='Provider cost per period as a decimal string, e.g. "7.00".'
    )
    period: Period = Field(default="Monthly", description="Monthly, Yearly or OneTime.")


class Terms(ApiModel):
    """The terms of service a subscriber accepts, versioned."""

    version: Word = Field(
        description='Version of the terms, e.g. "2026-01"; a Subscription must accept it. '
        "A change of pricing (price, currency, period), sla or summary needs a new version, "
        "which every subscriber agrees to again."
    )
    summary: Text | None = Field(default=None, description="The terms in a few sentences.")
    sla: Sla | None = Field(default=None, description="Service level targets.")


class LabelSelectorRequirement(ApiModel):
    """A label selector requirement, as in metav1.LabelSelectorRequirement."""

    model_config = ConfigDict(json_schema_extra=validations(VALUES_MATCH_OPERATOR))

    key: Annotated[str, StringConstraints(min_length=1, max_length=317)] = Field(
        description="The label key the selector applies to."
    )
    operator: SelectorOperator = Field(description="In, NotIn, Exists or DoesNotExist.")
    values: list[LabelValue] = Field(
        default_factory=list,
        max_length=64,
        description="Label values; non-empty for In and NotIn, empty otherwise.",
    )


class LabelSelector(ApiModel):
    """A namespace label selector, as in metav1.LabelSelector."""

    match_labels: dict[str, LabelValue] | None = Field(
        default=None, description="Labels a namespace must all carry."
    )
    match_expressions: list[LabelSelectorRequirement] = Field(
        default_factory=list,
        max_length=16,
        description="Requirements a namespace must all meet.",
    )


class Audience(ApiModel):
    """Who sees the offer: listed namespaces and namespaces matching the selector."""

    namespaces: list[DnsLabel] = Field(
        default_factory=list,
        max_length=256,
        description="Namespaces that see the offer.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    namespace_selector: LabelSelector | None = Field(
        default=None, description="Namespaces whose labels match also see the offer."
    )
    canary_percent: int = Field(
        default=100,
        ge=0,
        le=100,
        description="Share (0..100) of eligible namespaces that see the offer, chosen "
        "stably by namespace name.",
    )


class Support(ApiModel):
    """How consumers get help, and who resolves their incidents."""

    contact: ShortText | None = Field(default=None, description='Where to ask, e.g. "#guestbook".')
    hours: Word | None = Field(default=None, description='Support hours, e.g. "8x5".')
    knowledge: list[Link] = Field(
        default_factory=list,
        max_length=32,
        description="Links to documentation and runbooks; Incidents offer them as self-help.",
    )
    resolver_group: DnsLabel | None = Field(
        default=None,
        description="The resolver group Incidents are assigned to, if not the release's "
        "product team namespace.",
    )


class ServiceOfferSpec(ApiModel):
    """The catalog entry: what is offered, to whom, at what price, under which terms."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            RELEASE_XOR_BUNDLE,
            PRICING_NEEDS_NEW_TERMS,
            SLA_NEEDS_NEW_TERMS,
            SUMMARY_NEEDS_NEW_TERMS,
        )
    )

    display_name: ShortText = Field(description="Name shown in the catalog.")
    description: Text | None = Field(default=None, description="What the consumer gets.")
    category: Word | None = Field(default=None, description="Catalog category, e.g. web.")
    tags: list[Word] = Field(default_factory=list, max_length=32, description="Search tags.")
    release: ReleaseSelector | None = Field(
        default=None, description="The releases fulfilling the offer; exclusive with bundle."
    )
    bundle: list[BundleMember] | None = Field(
        default=None,
        min_length=1,
        max_length=16,
        description="Offers fulfilled in order, instead of a release; exclusive with release.",
    )
    validity: Validity | None = Field(default=None, description="When it may be subscribed to.")
    pricing: Pricing = Field(description="Price and cost.")
    terms: Terms = Field(description="Terms of service and SLA targets.")
    parameters: FreeForm | None = Field(
        default=None,
        description="JSON Schema (2020-12) of the options a consumer may choose, with "
        "defaults; it narrows the release's parameters.",
    )
    audience: Audience = Field(
        default_factory=Audience, description="Who sees the offer; nobody when empty."
    )
    fulfillment: DeploymentPlan = Field(
        default_factory=DeploymentPlan,
        description="Deployment plan copied into each DesiredProductInstance.",
    )
    operate: OperatePolicy = Field(
        default_factory=OperatePolicy,
        description="Operate policy copied into each DesiredProductInstance as spec.operate: "
        "detection thresholds, remediation, maintenance windows; absent means the defaults.",
    )
    support: Support | None = Field(default=None, description="How consumers get help.")
    state: OfferState = Field(
        default="Draft",
        description="Draft: not visible. Published: open for subscriptions. Terminated: "
        "closed to new subscriptions.",
    )
    replaced_by: Name | None = Field(
        default=None, description="The offer that replaces this one, on termination."
    )


class ResolvedRelease(ApiModel):
    """The ProductRelease the offer currently resolves to."""

    name: Name | None = Field(default=None, description="Name of the ProductRelease.")
    namespace: DnsLabel | None = Field(default=None, description="Its namespace.")
    version: SemVer | None = Field(default=None, description="Its version.")
    digest: Annotated[str, StringConstraints(max_length=71)] | None = Field(
        default=None, description="Its status.digest (sha256:<64 hex>), empty until computed."
    )


class ServiceOfferStatus(StatusBase):
    """Observed state of a ServiceOffer."""

    release: ResolvedRelease | None = Field(
        default=None, description="The newest accepted release in range, with its digest."
    )
    subscribers: int | None = Field(default=None, ge=0, description="Active subscriptions.")
    margin: SignedMoney | None = Field(
        default=None, description="price minus cost per period, a decimal string."
    )
    pricing_warnings: list[Text] = Field(
        default_factory=list, max_length=8, description="Questionable pricing, e.g. below cost."
    )
    audience: LongText | None = Field(
        default=None, description='Who sees the offer, e.g. "namespaces shop; selector tier=gold".'
    )
    next_transition: datetime | None = Field(
        default=None, description="When validity next opens or closes the offer."
    )


class ServiceOffer(Resource):
    """A catalog entry over a product release or a bundle of offers."""

    kind: Literal["ServiceOffer"] = Field(default="ServiceOffer", description="ServiceOffer")
    spec: ServiceOfferSpec = Field(description="The catalog entry.")
    status: ServiceOfferStatus = Field(
        default_factory=ServiceOfferStatus, description="Written by the operator."
    )
