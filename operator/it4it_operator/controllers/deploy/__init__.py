"""The Deploy value stream (IT4IT 5.4) on a DesiredProductInstance.

Plan & Approve Deployment (`planning`), Fulfill Deployment (`fulfillment`), Validate Deployment
and Observe Deployment (`inspection`, `reconcile`), and decommissioning (`decommission`).
"""

from it4it_operator.controllers.deploy.decommission import decommission
from it4it_operator.controllers.deploy.reconcile import reconcile_instance

__all__ = ["decommission", "reconcile_instance"]
