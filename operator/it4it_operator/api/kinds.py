"""The registry of the seven it4it.dev kinds: names, scope, model, printer columns, root rules.

Everything the CRD generator needs beyond the models themselves lives here, in one table, so
adding a kind is one entry and the CRDs, the CLI and the controllers agree on its names. CEL
rules that belong to a shape (a validity window, a label selector) sit on that shape's model;
only rules about the whole object (its name) are listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from it4it_operator import GROUP
from it4it_operator.api.actual_instance import ActualProductInstance
from it4it_operator.api.approval import Approval
from it4it_operator.api.common import Resource, StatusBase, cel
from it4it_operator.api.desired_instance import DesiredProductInstance
from it4it_operator.api.incident import Incident
from it4it_operator.api.product_release import ProductRelease
from it4it_operator.api.service_offer import ServiceOffer
from it4it_operator.api.subscription import Subscription

CATEGORY = "it4it"

M = TypeVar("M", bound=BaseModel)

NAME_IS_A_LABEL_VALUE = cel(
    "self.metadata.name.size() <= 63",
    "metadata.name must be no more than 63 characters: it becomes a label value",
    field_path=".metadata.name",
)


@dataclass(frozen=True)
class PrinterColumn:
    """One `kubectl get` column."""

    name: str
    json_path: str
    type: Literal["string", "integer", "number", "boolean", "date"] = "string"
    description: str = ""
    priority: int = 0

    def to_crd(self) -> dict[str, Any]:
        column: dict[str, Any] = {"name": self.name, "type": self.type, "jsonPath": self.json_path}
        if self.description:
            column["description"] = self.description
        if self.priority:
            column["priority"] = self.priority
        return column


PHASE = PrinterColumn("Phase", ".status.phase", description="Short summary of the state.")
READY = PrinterColumn(
    "Ready", '.status.conditions[?(@.type=="Ready")].status', description="Ready condition."
)
AGE = PrinterColumn("Age", ".metadata.creationTimestamp", "date")
COMMON_COLUMNS = (PHASE, READY, AGE)
"""Columns every kind ends with, after its own."""


@dataclass(frozen=True)
class Kind:
    """One custom resource kind and how it is served."""

    kind: str
    plural: str
    singular: str
    short_names: tuple[str, ...]
    scope: Literal["Namespaced", "Cluster"]
    model: type[Resource]
    columns: tuple[PrinterColumn, ...] = ()
    rules: tuple[dict[str, str], ...] = ()
    selectable_fields: tuple[str, ...] = ()

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{GROUP}"

    @property
    def printer_columns(self) -> tuple[PrinterColumn, ...]:
        return (*self.columns, *COMMON_COLUMNS)

    @property
    def spec_model(self) -> type[BaseModel]:
        return _field_model(self.model, "spec", BaseModel)

    @property
    def status_model(self) -> type[StatusBase]:
        return _field_model(self.model, "status", StatusBase)


def _field_model(model: type[Resource], field: str, base: type[M]) -> type[M]:
    annotation = model.model_fields[field].annotation
    if not (isinstance(annotation, type) and issubclass(annotation, base)):
        raise TypeError(f"{model.__name__}.{field} is not a {base.__name__}")
    return annotation


KINDS: tuple[Kind, ...] = (
    Kind(
        kind="ProductRelease",
        plural="productreleases",
        singular="productrelease",
        short_names=("prel",),
        scope="Namespaced",
        model=ProductRelease,
        columns=(
            PrinterColumn("Product", ".spec.product"),
            PrinterColumn("Version", ".spec.version"),
            PrinterColumn("Accepted", ".spec.acceptance.accepted", "boolean"),
        ),
        selectable_fields=(".spec.product", ".spec.version"),
    ),
    Kind(
        kind="ServiceOffer",
        plural="serviceoffers",
        singular="serviceoffer",
        short_names=("offer",),
        scope="Cluster",
        model=ServiceOffer,
        columns=(
            PrinterColumn("State", ".spec.state"),
            PrinterColumn("Release", ".status.release.name"),
            PrinterColumn("Price", ".spec.pricing.price"),
            PrinterColumn("Currency", ".spec.pricing.currency", priority=1),
            PrinterColumn("SLA", ".spec.terms.sla.availability", description="Availability %."),
            PrinterColumn("Subscribers", ".status.subscribers", "integer", priority=1),
        ),
        selectable_fields=(".spec.state",),
    ),
    Kind(
        kind="Subscription",
        plural="subscriptions",
        singular="subscription",
        short_names=("sub",),
        scope="Namespaced",
        model=Subscription,
        columns=(
            PrinterColumn("Offer", ".spec.offer"),
            PrinterColumn("Release", ".status.contract.releaseVersion"),
            PrinterColumn("Price", ".status.contract.price"),
            PrinterColumn("SLA", ".status.contract.sla.availability", description="Availability"),
            PrinterColumn("State", ".spec.state", priority=1),
        ),
        rules=(NAME_IS_A_LABEL_VALUE,),
        selectable_fields=(".spec.offer",),
    ),
    Kind(
        kind="DesiredProductInstance",
        plural="desiredproductinstances",
        singular="desiredproductinstance",
        short_names=("dpi",),
        scope="Namespaced",
        model=DesiredProductInstance,
        columns=(
            PrinterColumn("Release", ".spec.release.name"),
            PrinterColumn("Approval", ".spec.plan.approval"),
            PrinterColumn("Plan", ".status.planHash", priority=1),
            PrinterColumn("Last Good", ".status.lastKnownGood.release", priority=1),
        ),
        rules=(NAME_IS_A_LABEL_VALUE,),
        selectable_fields=(".spec.release.name",),
    ),
    Kind(
        kind="Approval",
        plural="approvals",
        singular="approval",
        short_names=(),
        scope="Namespaced",
        model=Approval,
        columns=(
            PrinterColumn("Instance", ".spec.desiredInstance"),
            PrinterColumn("Incident", ".spec.incident"),
            PrinterColumn("Approver", ".spec.approver"),
            PrinterColumn("Plan", ".spec.planHash", priority=1),
        ),
        selectable_fields=(".spec.desiredInstance", ".spec.incident"),
    ),
    Kind(
        kind="ActualProductInstance",
        plural="actualproductinstances",
        singular="actualproductinstance",
        short_names=("apinst",),
        scope="Namespaced",
        model=ActualProductInstance,
        columns=(
            PrinterColumn("Release", ".status.release"),
            PrinterColumn("Health", ".status.health"),
            PrinterColumn("Incidents", ".status.openIncidents", "integer", priority=1),
        ),
    ),
    Kind(
        kind="Incident",
        plural="incidents",
        singular="incident",
        short_names=("inc",),
        scope="Namespaced",
        model=Incident,
        columns=(
            PrinterColumn("Priority", ".status.priority", description="P1 (highest) to P4."),
            PrinterColumn("Instance", ".spec.instance"),
            PrinterColumn("Symptom", ".status.symptom"),
            PrinterColumn("Action", ".status.courseOfAction", priority=1),
            PrinterColumn("Major", ".status.major", "boolean", priority=1),
            PrinterColumn("Summary", ".spec.summary", priority=1),
        ),
        selectable_fields=(".spec.instance", ".spec.subscription"),
    ),
)


def kind_named(kind: str) -> Kind:
    """The registry entry of a kind, by its kind name (e.g. "ServiceOffer")."""
    for entry in KINDS:
        if entry.kind == kind:
            return entry
    raise KeyError(kind)
