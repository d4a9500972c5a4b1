"""Plan & Approve Deployment: decide whether the current plan is signed off.

"Shall obtain necessary approval for deployment as per the organization policy." An Approval is
its own kind so RBAC can separate who requests a change from who approves it; it counts only for
the exact plan hash it names, so changing the release, parameters or plan needs a new sign-off.
When waiting, the message says which hash to approve and how, and points out Approvals that
name an older plan.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from it4it_operator import API_VERSION
from it4it_operator.stages.outcome import Outcome

APPROVED = "Approved"


@dataclass(frozen=True)
class ApprovalView:
    """The fields of an Approval that the decision reads."""

    name: str
    desired_instance: str
    plan_hash: str
    approver: str


def approval_name(instance: str, plan_hash: str) -> str:
    """The conventional name of the Approval of `plan_hash`: `<instance>-<first 10 hex>`, so
    approving the same plan twice names the same object."""
    return f"{instance}-{plan_hash.removeprefix('sha256:')[:10]}"


def approval_hint(plan_hash: str, *, instance: str, namespace: str | None) -> str:
    """A kubectl command that creates the Approval for `plan_hash` (approver to be filled in)."""
    body = {
        "apiVersion": API_VERSION,
        "kind": "Approval",
        "metadata": {"name": approval_name(instance, plan_hash)},
        "spec": {"desiredInstance": instance, "planHash": plan_hash, "approver": "<you>"},
    }
    target = f" -n {namespace}" if namespace else ""
    return f"echo '{json.dumps(body, separators=(',', ':'))}' | kubectl{target} apply -f -"


def _awaiting(
    plan_hash: str, stale: Sequence[ApprovalView], instance: str, namespace: str | None
) -> Outcome:
    notes = [
        f"an Approval exists for plan {old} but the plan is now {plan_hash}"
        for old in sorted({a.plan_hash for a in stale})
    ]
    how = approval_hint(plan_hash, instance=instance, namespace=namespace)
    waiting = "; ".join([f"Plan {plan_hash} awaits approval", *notes])
    return Outcome.false(
        APPROVED,
        "AwaitingApproval",
        f"{waiting}. To approve, someone other than the requester runs: {how}",
    )


def decide_approval(
    policy: str,
    plan_hash: str,
    approvals: Sequence[ApprovalView],
    requester: str | None = None,
    *,
    instance: str | None = None,
    namespace: str | None = None,
) -> Outcome:
    """The Approved condition for `plan_hash` under `policy` (Automatic or Manual).

    `approvals` are the Approvals in the instance's namespace; when `instance` is given, those
    naming another DesiredProductInstance are ignored. An Approval by `requester` (when known)
    is refused: nobody approves their own change.
    """
    if policy == "Automatic":
        return Outcome.true(APPROVED, "AutomaticApproval", "The plan is approved automatically.")
    if policy != "Manual":
        return Outcome.false(
            APPROVED,
            "UnknownApprovalPolicy",
            f"spec.plan.approval is {policy!r}; expected Automatic or Manual.",
        )
    mine = [a for a in approvals if instance is None or a.desired_instance == instance]
    matching = sorted((a for a in mine if a.plan_hash == plan_hash), key=lambda a: a.name)
    valid = [a for a in matching if requester is None or a.approver != requester]
    if valid:
        by = ", ".join(f"{a.approver} (Approval {a.name})" for a in valid)
        return Outcome.true(APPROVED, "Approved", f"Plan {plan_hash} is approved by {by}.")
    if matching:
        names = ", ".join(a.name for a in matching)
        return Outcome.false(
            APPROVED,
            "SelfApprovalRefused",
            f"Approval {names} for plan {plan_hash} is by {requester}, who requested the "
            "change; someone else must approve it.",
        )
    stale = [a for a in mine if a.plan_hash != plan_hash]
    return _awaiting(plan_hash, stale, instance or "<instance>", namespace)
