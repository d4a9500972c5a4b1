"""Remove a product instance (IT4IT 5.4.1, "remove"): its objects go first, workloads first.

Runs from the DesiredProductInstance's finalizer. It deletes the instance's labelled objects in
removal order and reports what is left; the caller retries until nothing is, then the
ActualProductInstance itself is deleted and the finalizer released.
"""

from __future__ import annotations

from it4it_operator import API_VERSION
from it4it_operator.controllers.context import Context
from it4it_operator.controllers.deploy.fulfillment import delete_objects, instance_objects
from it4it_operator.controllers.deploy.labels import ACTUAL_KIND


def decommission(ctx: Context, namespace: str, name: str) -> list[str]:
    """Delete what is left of the instance; returns "Kind/name" of objects still present."""
    remaining = instance_objects(ctx, namespace, name)
    remaining = [o for o in remaining if o["kind"] != ACTUAL_KIND]
    if remaining:
        delete_objects(ctx, remaining)
        return [f"{o['kind']}/{o['metadata']['name']}" for o in remaining]
    ctx.kube.delete(API_VERSION, ACTUAL_KIND, name, namespace)
    return []
