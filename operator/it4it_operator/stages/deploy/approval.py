"""Plan & Approve Deployment: decide whether the current plan is signed off.

"Shall obtain necessary approval for deployment as per the organization policy" (IT4IT 5.4.2):
the stakeholders of a change sign it off. An Approval is its own kind so RBAC can separate who
requests a change from who approves it. The exact rule, for `approval: Manual` with the plan's
optional `approvers {count, groups, expireSeconds}`:

1. An Approval is considered when it names this DesiredProductInstance. It *counts* when all of:
   - it names the current plan hash (a changed release, parameters or plan needs a new one);
   - its approver is not the requester of the change (annotation it4it.dev/requested-by, which
     admission stamps and the Subscription controller carries from the Subscription);
   - it has not expired: with `expireSeconds`, it counts until `creationTimestamp +
     expireSeconds`, unless the plan was applied by then (an applied change is not undone by
     an expiry; it stays counted);
   - with `groups`: its approver was in at least one listed group when they created it (the
     groups admission stamped from the request, annotation it4it.dev/approver-groups; an
     Approval without that stamp is in no group).
2. Any counting Approval with `decision: Rejected` rejects the plan: Approved=False, reason
   Rejected, and the instance is Stalled naming who rejected and why, until the spec changes.
3. Otherwise the plan is approved when the counting Approvals with `decision: Approved` come
   from at least `count` distinct approvers (default: the number of groups, at least 1) and
   every listed group has at least one of those approvers in it (a person in two listed groups
   covers both, but counts as one approver).

The Approved message says who approved, what is still missing, and why each Approval that does
not count does not. The decision also says when it changes by itself (the next expiry of a
counting Approval), so the controller schedules a pass at that moment instead of polling.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from it4it_operator import API_VERSION
from it4it_operator.stages.outcome import Outcome

APPROVED = "Approved"
REJECTED = "Rejected"
MAX_NOTES = 10
"""Approvals that do not count named one by one in the message; the rest are summed up."""

# Why one Approval counts or not (the reasons of the Approval's own Ready condition).
COUNTED = "Counted"
STALE_PLAN = "StalePlan"
SELF_APPROVAL = "SelfApprovalRefused"
EXPIRED = "Expired"
NOT_IN_GROUP = "NotInGroup"


@dataclass(frozen=True)
class ApproverRule:
    """The plan's `approvers` policy, with its defaults filled in."""

    count: int | None = None
    groups: tuple[str, ...] = ()
    expire_seconds: int | None = None

    @property
    def needed(self) -> int:
        """Distinct approvers needed."""
        return self.count if self.count is not None else max(1, len(self.groups))


@dataclass(frozen=True)
class ApprovalView:
    """The fields of an Approval that the decision reads. `groups` is None when admission did
    not stamp the creator's groups."""

    name: str
    desired_instance: str
    plan_hash: str
    approver: str
    decision: str = APPROVED
    reason: str | None = None
    groups: tuple[str, ...] | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class ApprovalVerdict:
    """Whether one Approval counts for the current plan, and if not why (a sentence)."""

    approval: ApprovalView
    reason: str
    message: str
    expires_at: dt.datetime | None = None

    @property
    def counts(self) -> bool:
        return self.reason == COUNTED


@dataclass(frozen=True)
class ApprovalDecision:
    """The Approved condition, whether the plan is rejected (the instance is Stalled), and the
    moment the decision changes by itself (the next expiry), if any."""

    outcome: Outcome
    rejected: bool = False
    recheck_at: dt.datetime | None = None
    verdicts: tuple[ApprovalVerdict, ...] = field(default=())


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


def judge_approval(
    approval: ApprovalView,
    *,
    plan_hash: str,
    requester: str | None,
    rule: ApproverRule,
    now: dt.datetime,
    applied: bool = False,
) -> ApprovalVerdict:
    """Whether `approval` counts for `plan_hash` (rule 1 of the module docstring)."""
    a = approval
    if a.plan_hash != plan_hash:
        return ApprovalVerdict(
            a,
            STALE_PLAN,
            f"it approves plan {a.plan_hash or '(none)'}, but the plan is now {plan_hash}",
        )
    if requester and a.approver == requester:
        return ApprovalVerdict(
            a,
            SELF_APPROVAL,
            f"{requester} requested this change; an approver other than the requester must approve",
        )
    expires_at = None
    if rule.expire_seconds is not None and a.created_at is not None and not applied:
        expires_at = a.created_at + dt.timedelta(seconds=rule.expire_seconds)
        if now >= expires_at:
            return ApprovalVerdict(
                a,
                EXPIRED,
                f"it expired at {_iso(expires_at)}, {rule.expire_seconds}s after it was created",
            )
    if rule.groups:
        mine = set(a.groups or ())
        if not mine & set(rule.groups):
            said = ", ".join(sorted(a.groups)) if a.groups else "no group"
            return ApprovalVerdict(
                a,
                NOT_IN_GROUP,
                f"{a.approver} is in none of the groups {', '.join(rule.groups)} "
                f"(their groups: {said})",
            )
    return ApprovalVerdict(a, COUNTED, "it counts", expires_at)


def _person(v: ApprovalVerdict, rule: ApproverRule) -> str:
    a = v.approval
    groups = [g for g in rule.groups if g in (a.groups or ())]
    where = f", in {', '.join(groups)}" if groups else ""
    return f"{a.approver} (Approval {a.name}{where})"


def _notes(verdicts: Sequence[ApprovalVerdict]) -> str:
    """Why each Approval that does not count does not: one sentence."""
    left = [v for v in verdicts if not v.counts]
    if not left:
        return ""
    said = [f"Approval {v.approval.name} by {v.approval.approver}: {v.message}" for v in left]
    if len(said) > MAX_NOTES:
        said = [*said[:MAX_NOTES], f"{len(said) - MAX_NOTES} more"]
    return " Not counted: " + "; ".join(said) + "."


def _missing(approvers: dict[str, ApprovalVerdict], rule: ApproverRule) -> list[str]:
    """What the counting approvals still lack (rule 3)."""
    missing = []
    if len(approvers) < rule.needed:
        more = rule.needed - len(approvers)
        plural = "s" if more > 1 else ""
        missing.append(
            f"{more} more approval{plural} ({rule.needed} needed, {len(approvers)} counted)"
            if approvers
            else f"{more} approval{plural} by someone other than the requester"
        )
    covered = {g for v in approvers.values() for g in (v.approval.groups or ())}
    missing += [f"an approver in group {g}" for g in rule.groups if g not in covered]
    return missing


def _next_expiry(verdicts: Sequence[ApprovalVerdict]) -> dt.datetime | None:
    moments = [v.expires_at for v in verdicts if v.counts and v.expires_at is not None]
    return min(moments) if moments else None


def decide_approval(
    policy: str,
    plan_hash: str,
    approvals: Sequence[ApprovalView],
    requester: str | None = None,
    *,
    rule: ApproverRule | None = None,
    now: dt.datetime | None = None,
    applied: bool = False,
    instance: str | None = None,
    namespace: str | None = None,
) -> ApprovalDecision:
    """The Approved condition for `plan_hash` under `policy` (Automatic or Manual) and `rule`.

    `approvals` are the Approvals in the instance's namespace; when `instance` is given, those
    naming another DesiredProductInstance are ignored. `applied`: the plan is already applied,
    so expiry no longer matters. See the module docstring for the rule.
    """
    if policy == "Automatic":
        return ApprovalDecision(
            Outcome.true(APPROVED, "AutomaticApproval", "The plan is approved automatically.")
        )
    if policy != "Manual":
        return ApprovalDecision(
            Outcome.false(
                APPROVED,
                "UnknownApprovalPolicy",
                f"spec.plan.approval is {policy!r}; expected Automatic or Manual.",
            )
        )
    rule = rule or ApproverRule()
    now = now or dt.datetime.now(dt.UTC)
    mine = sorted(
        (a for a in approvals if instance is None or a.desired_instance == instance),
        key=lambda a: a.name,
    )
    verdicts = tuple(
        judge_approval(
            a, plan_hash=plan_hash, requester=requester, rule=rule, now=now, applied=applied
        )
        for a in mine
    )
    recheck = _next_expiry(verdicts)
    rejections = [v for v in verdicts if v.counts and v.approval.decision == REJECTED]
    if rejections:
        by = "; ".join(
            f"{_person(v, rule)}: {v.approval.reason or 'no reason given'}" for v in rejections
        )
        return ApprovalDecision(
            Outcome.false(
                APPROVED,
                REJECTED,
                f"Plan {plan_hash} is rejected by {by}. Change the spec (a new plan) to ask "
                f"for approval again.{_notes(verdicts)}",
            ),
            rejected=True,
            recheck_at=recheck,
            verdicts=verdicts,
        )
    approvers: dict[str, ApprovalVerdict] = {}
    for v in verdicts:
        if v.counts and v.approval.decision == APPROVED:
            approvers.setdefault(v.approval.approver, v)
    missing = _missing(approvers, rule)
    who = " and ".join(_person(v, rule) for v in approvers.values())
    if not missing:
        return ApprovalDecision(
            Outcome.true(
                APPROVED, APPROVED, f"Plan {plan_hash} is approved by {who}.{_notes(verdicts)}"
            ),
            recheck_at=recheck,
            verdicts=verdicts,
        )
    return _awaiting(
        plan_hash, verdicts, who, missing, instance=instance, namespace=namespace, recheck=recheck
    )


def _awaiting(
    plan_hash: str,
    verdicts: tuple[ApprovalVerdict, ...],
    who: str,
    missing: list[str],
    *,
    instance: str | None,
    namespace: str | None,
    recheck: dt.datetime | None,
) -> ApprovalDecision:
    reasons = {v.reason for v in verdicts}
    if who:
        reason = "AwaitingApproval"
    elif SELF_APPROVAL in reasons:
        reason = SELF_APPROVAL
    elif EXPIRED in reasons:
        reason = "ApprovalExpired"
    else:
        reason = "AwaitingApproval"
    so_far = f"approved by {who}; " if who else ""
    how = approval_hint(plan_hash, instance=instance or "<instance>", namespace=namespace)
    return ApprovalDecision(
        Outcome.false(
            APPROVED,
            reason,
            f"Plan {plan_hash} awaits approval: {so_far}missing {', '.join(missing)}."
            f"{_notes(verdicts)} To approve, someone other than the requester runs: {how}",
        ),
        recheck_at=recheck,
        verdicts=verdicts,
    )
