"""kopf handlers of the Deploy value stream: DesiredProductInstance and Approval."""

from __future__ import annotations

from typing import Any

import kopf

from it4it_operator import GROUP, VERSION
from it4it_operator.controllers.approval import record_approval
from it4it_operator.controllers.context import Context, Settings
from it4it_operator.controllers.deploy import decommission, reconcile_instance
from it4it_operator.controllers.deploy.labels import INSTANCE_LABEL
from it4it_operator.handlers.metrics import observed

DPI = "desiredproductinstances"
INTERVAL = Settings.from_env().reconcile_interval


def _ctx(memo: Any) -> Context:
    ctx: Context = memo.ctx
    return ctx


@kopf.on.resume(GROUP, VERSION, DPI)
@kopf.on.create(GROUP, VERSION, DPI)
@kopf.on.update(GROUP, VERSION, DPI)
@observed("DesiredProductInstance")
def instance_changed(namespace: str | None, name: str, memo: Any, **_: Any) -> None:
    reconcile_instance(_ctx(memo), str(namespace), name)


@kopf.timer(GROUP, VERSION, DPI, interval=INTERVAL, sharp=False)
@observed("DesiredProductInstance")
def instance_timer(namespace: str | None, name: str, memo: Any, **_: Any) -> None:
    """Level-based follow-up: approvals, change windows, validation, observation, drift."""
    reconcile_instance(_ctx(memo), str(namespace), name)


@kopf.on.delete(GROUP, VERSION, DPI)
@observed("DesiredProductInstance")
def instance_deleted(namespace: str | None, name: str, memo: Any, **_: Any) -> None:
    left = decommission(_ctx(memo), str(namespace), name)
    if left:
        raise kopf.TemporaryError(f"waiting for {', '.join(left[:5])} to be removed", delay=2)


@kopf.on.resume(GROUP, VERSION, "approvals")
@kopf.on.create(GROUP, VERSION, "approvals")
@kopf.on.update(GROUP, VERSION, "approvals")
@observed("Approval")
def approval_changed(
    namespace: str | None, name: str, spec: kopf.Spec, memo: Any, **_: Any
) -> None:
    """An Approval may unblock its instance at once rather than at the next timer tick."""
    if instance := spec.get("desiredInstance"):
        reconcile_instance(_ctx(memo), str(namespace), instance)
    record_approval(_ctx(memo), str(namespace), name)


@kopf.timer(GROUP, VERSION, "approvals", interval=INTERVAL, sharp=False)
@observed("Approval")
def approval_timer(namespace: str | None, name: str, memo: Any, **_: Any) -> None:
    """An Approval stops counting when its instance's plan changes."""
    record_approval(_ctx(memo), str(namespace), name)


@kopf.on.event("apps", "v1", "deployments", labels={INSTANCE_LABEL: kopf.PRESENT})
@kopf.on.event("apps", "v1", "statefulsets", labels={INSTANCE_LABEL: kopf.PRESENT})
@observed("DesiredProductInstance")
def workload_event(namespace: str | None, labels: kopf.Labels, memo: Any, **_: Any) -> None:
    """A managed workload changed (rolled out, failed, edited by hand): look at its instance
    now instead of at the next timer tick."""
    reconcile_instance(_ctx(memo), str(namespace), labels[INSTANCE_LABEL])
