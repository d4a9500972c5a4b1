"""Remove a product instance (IT4IT 5.4.1, "remove"): its objects go first, workloads first.

Runs from the DesiredProductInstance's finalizer. It deletes the instance's labelled objects in
removal order, as the namespace's deployer, and reports what is left; the caller retries until
nothing is, then the ActualProductInstance itself is deleted and the finalizer released.

When the deployer cannot delete them (the namespace is being deleted and its ServiceAccount or
RoleBinding went first, or a platform engineer disabled the tenant), the ActualProductInstance
is deleted at once: every object of the instance is owned by it, so the garbage collector
removes them, and no finalizer is left stuck on a namespace that is going away.
"""

from __future__ import annotations

from it4it_operator import API_VERSION
from it4it_operator.controllers.context import Context
from it4it_operator.controllers.deploy.fulfillment import delete_objects, instance_objects
from it4it_operator.controllers.deploy.labels import ACTUAL_KIND
from it4it_operator.k8s.errors import ForbiddenError


def decommission(ctx: Context, namespace: str, name: str) -> list[str]:
    """Delete what is left of the instance; returns "Kind/name" of objects still present."""
    remaining = instance_objects(ctx, namespace, name)
    remaining = [o for o in remaining if o["kind"] != ACTUAL_KIND]
    if remaining and ctx.has_deployer(namespace) and not ctx.namespace_going(namespace):
        try:
            delete_objects(ctx, remaining)
            return [f"{o['kind']}/{o['metadata']['name']}" for o in remaining]
        except ForbiddenError:
            pass  # the deployer lost its rights: the garbage collector removes them below
    ctx.kube.delete(API_VERSION, ACTUAL_KIND, name, namespace)
    return []
