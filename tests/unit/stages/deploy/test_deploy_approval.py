"""Plan & Approve Deployment: an Approval counts only for the plan hash it names."""

from __future__ import annotations

import json

import pytest

from it4it_operator.stages.deploy.approval import ApprovalView, approval_hint, decide_approval

PLAN = "sha256:" + "a" * 64
OLD = "sha256:" + "b" * 64


def approval(approver: str = "jane", plan_hash: str = PLAN, name: str = "ok") -> ApprovalView:
    return ApprovalView(name, "my-guestbook", plan_hash, approver)


@pytest.mark.parametrize(
    ("policy", "approvals", "requester", "status", "reason"),
    [
        pytest.param("Automatic", [], None, "True", "AutomaticApproval", id="automatic approves"),
        pytest.param(
            "Manual", [approval()], None, "True", "Approved", id="an Approval of this plan counts"
        ),
        pytest.param(
            "Manual", [approval()], "bob", "True", "Approved", id="another person may approve"
        ),
        pytest.param(
            "Manual",
            [approval("bob")],
            "bob",
            "False",
            "SelfApprovalRefused",
            id="a requester cannot approve their own change",
        ),
        pytest.param(
            "Manual",
            [approval("bob", name="a"), approval("jane", name="b")],
            "bob",
            "True",
            "Approved",
            id="a second approver outweighs a self-approval",
        ),
        pytest.param(
            "Manual",
            [approval(plan_hash=OLD)],
            None,
            "False",
            "AwaitingApproval",
            id="an Approval for an old plan hash is ignored",
        ),
        pytest.param(
            "Manual", [], None, "False", "AwaitingApproval", id="no Approval means waiting"
        ),
        pytest.param(
            "Sometimes", [], None, "False", "UnknownApprovalPolicy", id="an unknown policy"
        ),
    ],
)
def test_decide_approval(
    policy: str, approvals: list[ApprovalView], requester: str | None, status: str, reason: str
) -> None:
    outcome = decide_approval(policy, PLAN, approvals, requester)
    assert (outcome.type, outcome.status, outcome.reason) == ("Approved", status, reason)


def test_an_approval_names_the_approver() -> None:
    outcome = decide_approval("Manual", PLAN, [approval("jane", name="cab-42")])
    assert "jane (Approval cab-42)" in outcome.message
    assert PLAN in outcome.message


def test_an_approval_for_another_instance_is_ignored() -> None:
    other = ApprovalView("x", "someone-else", PLAN, "jane")
    outcome = decide_approval("Manual", PLAN, [other], instance="my-guestbook")
    assert outcome.reason == "AwaitingApproval"


def test_waiting_tells_the_hash_and_how_to_approve() -> None:
    outcome = decide_approval("Manual", PLAN, [], instance="my-guestbook", namespace="shop")
    assert f"Plan {PLAN} awaits approval" in outcome.message
    assert "kubectl -n shop apply -f -" in outcome.message


def test_waiting_points_out_a_stale_approval() -> None:
    outcome = decide_approval("Manual", PLAN, [approval(plan_hash=OLD)])
    assert outcome.reason == "AwaitingApproval"
    assert f"an Approval exists for plan {OLD} but the plan is now {PLAN}" in outcome.message


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
