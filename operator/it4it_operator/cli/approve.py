"""`it4it approve INSTANCE`: sign off the current plan of a DesiredProductInstance as yourself.

IT4IT 5.4 Plan & Approve: an Approval names the plan hash it approves and its approver, and the
admission policy requires the approver to be the user who creates it. So the command asks the
API server who the user is (a SelfSubjectReview, like `kubectl auth whoami`), reads the
instance's `status.planHash`, and creates the Approval under a name derived from instance and
hash (running it twice names the same object). It creates nothing when nothing awaits
approval, and says why (exit 3): no plan yet, an Automatic plan, already approved, or a change
the user requested themself (the operator would refuse that Approval). `decide()` is the pure
part, tested without a cluster.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from it4it_operator.cli.common import (
    EXIT_NOTHING_TO_APPROVE,
    EXIT_OK,
    EXIT_REFUSED,
    add_cluster_flags,
    condition,
    connect,
    fail,
)

REQUESTED_BY = "it4it.dev/requested-by"
NAME_LIMIT = 253


@dataclass(frozen=True)
class Decision:
    """What approve does: create `approval`, or nothing; `code` and `message` for the user."""

    code: int
    message: str
    approval: dict[str, Any] | None = None


def _slug(user: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", user.lower()).strip("-") or "user"


def approval_for(
    dpi: Mapping[str, Any],
    plan_hash: str,
    user: str,
    comment: str | None,
    taken: set[str],
    *,
    reason: str | None = None,
) -> dict[str, Any]:
    """The Approval of `plan_hash` by `user` (a rejection for `reason` when given), named
    `<instance>-<10 hex>` unless someone else's Approval already has that name (then with the
    user appended; a rejection always names its user)."""
    from it4it_operator import API_VERSION
    from it4it_operator.stages.deploy.approval import approval_name

    instance = dpi["metadata"]["name"]
    name = approval_name(instance, plan_hash)
    if name in taken or reason:
        name = f"{name}-{_slug(user)}"[:NAME_LIMIT].rstrip("-")
    spec: dict[str, Any] = {
        "desiredInstance": instance,
        "planHash": plan_hash,
        "approver": user,
        "decision": "Rejected" if reason else "Approved",
    }
    if reason:
        spec["reason"] = reason
    if comment:
        spec["comment"] = comment
    return {
        "apiVersion": API_VERSION,
        "kind": "Approval",
        "metadata": {"name": name, "namespace": dpi["metadata"].get("namespace")},
        "spec": spec,
    }


def decide(
    dpi: Mapping[str, Any],
    user: str,
    approvals: Sequence[Mapping[str, Any]],
    comment: str | None = None,
    reason: str | None = None,
) -> Decision:
    """Whether `user` can approve (or, with `reason`, reject) the current plan of `dpi`, given
    the namespace's Approvals."""
    verdict = "Rejected" if reason else "Approved"
    meta, status = dpi["metadata"], dpi.get("status") or {}
    instance = meta["name"]
    what = f"desiredproductinstance/{instance}"
    plan_hash = status.get("planHash")
    if not plan_hash:
        planned = condition(dpi, "Planned")
        why = planned.get("message") or "the operator has not planned it yet."
        return Decision(EXIT_NOTHING_TO_APPROVE, f"{what} has no plan to approve: {why}")
    policy = ((dpi.get("spec") or {}).get("plan") or {}).get("approval") or "Automatic"
    if policy != "Manual":
        return Decision(
            EXIT_NOTHING_TO_APPROVE,
            f"{what}: spec.plan.approval is {policy}, its plan needs no Approval.",
        )
    for found in approvals:
        spec = found.get("spec") or {}
        if (
            spec.get("desiredInstance"),
            spec.get("planHash"),
            spec.get("approver"),
            spec.get("decision") or "Approved",
        ) == (instance, plan_hash, user, verdict):
            return Decision(
                EXIT_OK,
                f"approval.it4it.dev/{found['metadata']['name']} already "
                f"{'rejects' if reason else 'approves'} plan "
                f"{plan_hash} of {what} as {user}",
            )
    approved = condition(dpi, "Approved")
    if approved.get("status") == "True" and plan_hash in str(approved.get("message") or ""):
        return Decision(
            EXIT_NOTHING_TO_APPROVE, f"{what} is already approved: {approved['message']}"
        )
    requester = (meta.get("annotations") or {}).get(REQUESTED_BY)
    if requester and requester == user:
        return Decision(
            EXIT_NOTHING_TO_APPROVE,
            f"{what}: you ({user}) requested this change ({REQUESTED_BY}); the operator refuses "
            "an approval by the requester, someone else must approve it.",
        )
    taken = {a["metadata"]["name"] for a in approvals}
    body = approval_for(dpi, plan_hash, user, comment, taken, reason=reason)
    return Decision(
        EXIT_OK,
        f"approval.it4it.dev/{body['metadata']['name']} created: plan {plan_hash} of {what} "
        f"{verdict.lower()} by {user}" + (f" ({reason})" if reason else ""),
        body,
    )


def _approve(args: argparse.Namespace) -> int:
    from it4it_operator import API_VERSION
    from it4it_operator.k8s.errors import ApiError, ForbiddenError

    session = connect(args)
    kube, namespace = session.kube, session.namespace
    dpi = kube.get(API_VERSION, "DesiredProductInstance", args.instance, namespace)
    if dpi is None:
        return fail(f"DesiredProductInstance {namespace}/{args.instance} not found")
    user = str(kube.whoami().get("username") or "")
    if not user:
        return fail("the API server did not say who you are (SelfSubjectReview)", EXIT_REFUSED)
    try:
        approvals = kube.list_objects(API_VERSION, "Approval", namespace)
    except ForbiddenError:
        approvals = []  # the create below is what counts; without list, no reuse check
    if args.reject and not args.reason:
        return fail("--reject needs --reason: the plan's requester is told why")
    decision = decide(dpi, user, approvals, args.comment, args.reason if args.reject else None)
    if decision.approval is not None:
        try:
            kube.create(decision.approval)
        except ApiError as exc:
            return fail(f"the API server refused the Approval: {exc}", EXIT_REFUSED)
    if decision.code == EXIT_OK:
        print(decision.message)
    else:
        print(f"nothing to approve: {decision.message}", file=sys.stderr)
    return decision.code


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    approve = sub.add_parser(
        "approve",
        help="approve the current plan of a DesiredProductInstance as yourself",
        description="Exit 0 created (or already approved by you), 1 not found, 2 refused by "
        "the API server, 3 nothing to approve (the reason is printed).",
    )
    approve.add_argument("instance", metavar="INSTANCE", help="the DesiredProductInstance")
    approve.add_argument("--comment", help='why, e.g. "CAB 42"')
    approve.add_argument(
        "--reject", action="store_true", help="reject the plan instead (needs --reason)"
    )
    approve.add_argument("--reason", help="why the plan is rejected")
    add_cluster_flags(approve)
    approve.set_defaults(func=_approve)
