"""The it4it.dev/v1alpha1 API: pydantic models, the single source of truth for the CRDs.

Controllers parse bodies with these models (camelCase on the wire, snake_case in Python), the CRD
generator turns them into structural schemas with CEL rules, and `conditions` writes status
conditions the Kubernetes way. Nothing here imports kopf or the Kubernetes client.
"""

from it4it_operator.api.actual_instance import ActualProductInstance
from it4it_operator.api.approval import Approval
from it4it_operator.api.common import Condition, DeploymentPlan, Resource, StatusBase
from it4it_operator.api.desired_instance import DesiredProductInstance
from it4it_operator.api.incident import Incident
from it4it_operator.api.kinds import KINDS, Kind, kind_named
from it4it_operator.api.product_release import ProductRelease
from it4it_operator.api.service_offer import ServiceOffer
from it4it_operator.api.subscription import Subscription

__all__ = [
    "KINDS",
    "ActualProductInstance",
    "Approval",
    "Condition",
    "DeploymentPlan",
    "DesiredProductInstance",
    "Incident",
    "Kind",
    "ProductRelease",
    "Resource",
    "ServiceOffer",
    "StatusBase",
    "Subscription",
    "kind_named",
]
