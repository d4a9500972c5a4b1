"""The Deploy value stream (IT4IT 5.4) as pure decisions, one module per concern.

Plan & Approve Deployment: `tenancy`, `order`, `plan` (validate parameters, render through a
renderer plugin passed in as a callable, confine, order, hash, estimate), `approval`.
Fulfill Deployment: `window` (the change window), `disable` (state Disabled scales to zero).
Validate Deployment: `health` (fold object health), `drift` (desired vs live), `observe`.
Observe Deployment: `observe` (the observe window, rollback to the last known good, history).

Handlers gather the inputs (objects, Approvals, the clock) and apply the verdicts.
"""

from it4it_operator.stages.deploy.approval import (
    ApprovalDecision,
    ApprovalVerdict,
    ApprovalView,
    ApproverRule,
    decide_approval,
    judge_approval,
)
from it4it_operator.stages.deploy.disable import scale_to_zero
from it4it_operator.stages.deploy.drift import compute_drift
from it4it_operator.stages.deploy.health import fold, instance_health
from it4it_operator.stages.deploy.objects import object_key
from it4it_operator.stages.deploy.observe import (
    ObjectHealth,
    ObserveDecision,
    RollbackDecision,
    append_history,
    observe,
    rollback_decision,
    validate_deployment,
)
from it4it_operator.stages.deploy.order import apply_order, removal_order
from it4it_operator.stages.deploy.plan import (
    Plan,
    PlanError,
    PlanParameterError,
    PlanRenderError,
    PlanTenancyError,
    estimate,
    make_plan,
    plan_hash,
)
from it4it_operator.stages.deploy.tenancy import (
    DEFAULT_ALLOWED_KINDS,
    TenancyError,
    confine,
    parse_allowed_kinds,
)
from it4it_operator.stages.deploy.window import WindowError, WindowState, window_state

__all__ = [
    "DEFAULT_ALLOWED_KINDS",
    "ApprovalDecision",
    "ApprovalVerdict",
    "ApprovalView",
    "ApproverRule",
    "ObjectHealth",
    "ObserveDecision",
    "Plan",
    "PlanError",
    "PlanParameterError",
    "PlanRenderError",
    "PlanTenancyError",
    "RollbackDecision",
    "TenancyError",
    "WindowError",
    "WindowState",
    "append_history",
    "apply_order",
    "compute_drift",
    "confine",
    "decide_approval",
    "estimate",
    "fold",
    "instance_health",
    "judge_approval",
    "make_plan",
    "object_key",
    "observe",
    "parse_allowed_kinds",
    "plan_hash",
    "removal_order",
    "rollback_decision",
    "scale_to_zero",
    "validate_deployment",
    "window_state",
]
