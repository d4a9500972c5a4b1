"""Plan & Approve Deployment: which Approvals count, and when a plan is approved or rejected."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from it4it_operator.stages.deploy.approval import (
    ApprovalView,
    ApproverRule,
    approval_hint,
    decide_approval,
    judge_approval,
)

PLAN = "sha256:" + "a" * 64
OLD = "sha256:" + "b" * 64
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
OPS_AND_SECURITY = ApproverRule(count=2, groups=("ops", "security"))


def approval(
    approver: str = "jane",
    plan_hash: str = PLAN,
    name: str | None = None,
    *,
    groups: tuple[str, ...] | None = None,
    decision: str = "Approved",
    reason: str | None = None,
    age: float = 60,
) -> ApprovalView:
    return ApprovalView(
        name or f"by-{approver}",
        "my-guestbook",
        plan_hash,
        approver,
        decision=decision,
        reason=reason,
        groups=groups,
        created_at=NOW - dt.timedelta(seconds=age),
    )


def decide(
    approvals: list[ApprovalView],
    requester: str | None = "ann",
    rule: ApproverRule | None = None,
    *,
    policy: str = "Manual",
    applied: bool = False,
) -> tuple[str, str, str]:
    found = decide_approval(
        policy, PLAN, approvals, requester, rule=rule, now=NOW, applied=applied
    ).outcome
    return found.status, found.reason, found.message


@pytest.mark.parametrize(
    ("approvals", "requester", "rule", "status", "reason"),
    [
        pytest.param(
            [approval()], None, None, "True", "Approved", id="an Approval of this plan counts"
        ),
        pytest.param(
            [approval()], "bob", None, "True", "Approved", id="another person may approve"
        ),
        pytest.param(
            [approval("bob")],
            "bob",
            None,
            "False",
            "SelfApprovalRefused",
            id="a requester cannot approve their own change",
        ),
        pytest.param(
            [approval("bob"), approval("jane")],
            "bob",
            None,
            "True",
            "Approved",
            id="a second approver outweighs a self-approval",
        ),
        pytest.param(
            [approval(plan_hash=OLD)],
            None,
            None,
            "False",
            "AwaitingApproval",
            id="an Approval for an old plan hash is ignored",
        ),
        pytest.param([], None, None, "False", "AwaitingApproval", id="no Approval means waiting"),
        pytest.param(
            [approval("alice", groups=("ops",))],
            "ann",
            OPS_AND_SECURITY,
            "False",
            "AwaitingApproval",
            id="one approval from ops is not enough for ops and security",
        ),
        pytest.param(
            [approval("alice", groups=("ops",)), approval("sam", groups=("security",))],
            "ann",
            OPS_AND_SECURITY,
            "True",
            "Approved",
            id="one approval from ops and one from security approve",
        ),
        pytest.param(
            [approval("alice", groups=("ops",)), approval("olga", groups=("ops",))],
            "ann",
            OPS_AND_SECURITY,
            "False",
            "AwaitingApproval",
            id="two approvals from ops still miss security",
        ),
        pytest.param(
            [approval("alice", "a", groups=("ops",)), approval("alice", "b", groups=("ops",))],
            "ann",
            ApproverRule(count=2),
            "False",
            "AwaitingApproval",
            id="one person approving twice counts once",
        ),
        pytest.param(
            [approval("alice", groups=("ops", "security"))],
            "ann",
            ApproverRule(groups=("ops", "security")),
            "False",
            "AwaitingApproval",
            id="count defaults to the number of groups, so one person in both is not enough",
        ),
        pytest.param(
            [approval("alice", groups=("ops", "security"))],
            "ann",
            ApproverRule(count=1, groups=("ops", "security")),
            "True",
            "Approved",
            id="with count 1 one person in both groups covers both",
        ),
        pytest.param(
            [approval("alice", groups=("ops",)), approval("bob", groups=("dev",))],
            "ann",
            OPS_AND_SECURITY,
            "False",
            "AwaitingApproval",
            id="an approver in none of the groups does not count",
        ),
        pytest.param(
            [approval("alice"), approval("sam")],
            "ann",
            OPS_AND_SECURITY,
            "False",
            "AwaitingApproval",
            id="an Approval whose groups were not stamped is in no group",
        ),
        pytest.param(
            [
                approval("alice", groups=("ops",)),
                approval("sam", groups=("security",), decision="Rejected", reason="no pentest"),
            ],
            "ann",
            OPS_AND_SECURITY,
            "False",
            "Rejected",
            id="a counting rejection stops the plan",
        ),
        pytest.param(
            [approval("ann", decision="Rejected", reason="oops"), approval("jane")],
            "ann",
            None,
            "True",
            "Approved",
            id="a rejection by the requester does not count",
        ),
        pytest.param(
            [approval("sam", OLD, decision="Rejected", reason="old"), approval("jane")],
            "ann",
            None,
            "True",
            "Approved",
            id="a rejection of an old plan does not count",
        ),
        pytest.param(
            [approval("jane", age=120)],
            "ann",
            ApproverRule(expire_seconds=60),
            "False",
            "ApprovalExpired",
            id="an expired approval stops counting",
        ),
        pytest.param(
            [approval("jane", age=30)],
            "ann",
            ApproverRule(expire_seconds=60),
            "True",
            "Approved",
            id="an approval counts until it expires",
        ),
        pytest.param(
            [
                approval("alice", groups=("ops",), age=120),
                approval("sam", groups=("security",), age=10),
            ],
            "ann",
            ApproverRule(count=2, groups=("ops", "security"), expire_seconds=60),
            "False",
            "AwaitingApproval",
            id="with one of two approvals expired the plan waits again",
        ),
    ],
)
def test_decide_approval(
    approvals: list[ApprovalView],
    requester: str | None,
    rule: ApproverRule | None,
    status: str,
    reason: str,
) -> None:
    assert decide(approvals, requester, rule)[:2] == (status, reason)


@pytest.mark.parametrize(
    ("policy", "status", "reason"),
    [
        pytest.param("Automatic", "True", "AutomaticApproval", id="automatic approves"),
        pytest.param("Sometimes", "False", "UnknownApprovalPolicy", id="an unknown policy"),
    ],
)
def test_the_policy(policy: str, status: str, reason: str) -> None:
    assert decide([], policy=policy)[:2] == (status, reason)


def test_an_applied_plan_does_not_lose_its_approval_by_expiry() -> None:
    rule = ApproverRule(expire_seconds=60)
    assert decide([approval("jane", age=120)], rule=rule, applied=True)[:2] == ("True", "Approved")


def test_an_approval_names_the_approver() -> None:
    _, _, message = decide([approval("jane", name="cab-42")], requester=None)
    assert "jane (Approval cab-42)" in message
    assert PLAN in message


def test_a_self_approval_says_why_it_does_not_count() -> None:
    _, _, message = decide([approval("jane")], requester="jane")
    assert (
        "Approval by-jane by jane: jane requested this change; an approver other than the "
        "requester must approve"
    ) in message


def test_the_message_says_who_approved_and_who_is_missing() -> None:
    _, _, message = decide([approval("alice", groups=("ops",))], rule=OPS_AND_SECURITY)
    assert "approved by alice (Approval by-alice, in ops)" in message
    assert "missing 1 more approval (2 needed, 1 counted), an approver in group security" in message


def test_the_message_says_why_each_approval_did_not_count() -> None:
    approvals = [
        approval("ann", groups=("ops",)),
        approval("bob", groups=("dev",)),
        approval("carl", OLD, groups=("ops",)),
        approval("dora", groups=("security",), age=7200),
        approval("alice", groups=("ops",)),
    ]
    rule = ApproverRule(count=2, groups=("ops", "security"), expire_seconds=3600)
    _, _, message = decide(approvals, requester="ann", rule=rule)
    assert "by-ann by ann: ann requested this change" in message
    assert (
        "by-bob by bob: bob is in none of the groups ops, security (their groups: dev)" in message
    )
    assert f"by-carl by carl: it approves plan {OLD}, but the plan is now {PLAN}" in message
    assert "by-dora by dora: it expired at 2026-03-02T11:00:00Z, 3600s after it was created" in (
        message
    )


def test_a_rejection_names_who_rejected_and_why() -> None:
    sam = approval("sam", groups=("security",), decision="Rejected", reason="no pentest")
    decision = decide_approval("Manual", PLAN, [sam], "ann", rule=OPS_AND_SECURITY, now=NOW)
    assert decision.rejected
    assert "rejected by sam (Approval by-sam, in security): no pentest" in decision.outcome.message


def test_the_next_expiry_is_when_to_look_again() -> None:
    rule = ApproverRule(count=2, expire_seconds=600)
    decision = decide_approval(
        "Manual",
        PLAN,
        [approval("jane", age=100), approval("joe", age=300)],
        "ann",
        rule=rule,
        now=NOW,
    )
    assert decision.outcome.ok
    assert decision.recheck_at == NOW + dt.timedelta(seconds=300)
    applied = decide_approval(
        "Manual", PLAN, [approval("jane", age=100)], "ann", rule=rule, now=NOW, applied=True
    )
    assert applied.recheck_at is None


def test_one_approval_is_judged_alone() -> None:
    verdict = judge_approval(
        approval("jane", age=10),
        plan_hash=PLAN,
        requester="ann",
        rule=ApproverRule(expire_seconds=60),
        now=NOW,
    )
    assert verdict.counts
    assert verdict.expires_at == NOW + dt.timedelta(seconds=50)


def test_an_approval_for_another_instance_is_ignored() -> None:
    other = ApprovalView("x", "someone-else", PLAN, "jane")
    found = decide_approval("Manual", PLAN, [other], instance="my-guestbook", now=NOW).outcome
    assert found.reason == "AwaitingApproval"
    assert "Approval x" not in found.message


def test_waiting_tells_the_hash_and_how_to_approve() -> None:
    found = decide_approval(
        "Manual", PLAN, [], instance="my-guestbook", namespace="shop", now=NOW
    ).outcome
    assert f"Plan {PLAN} awaits approval" in found.message
    assert "kubectl -n shop apply -f -" in found.message


def test_the_hint_creates_an_approval_of_the_exact_plan() -> None:
    hint = approval_hint(PLAN, instance="my-guestbook", namespace="shop")
    body = json.loads(hint.split("'")[1])
    assert body["kind"] == "Approval"
    assert body["spec"] == {
        "desiredInstance": "my-guestbook",
        "planHash": PLAN,
        "approver": "<you>",
    }
    assert body["metadata"]["name"] == "my-guestbook-aaaaaaaaaa"
