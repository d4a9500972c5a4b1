"""Approval policies through the controllers on an in-memory API: the requester carried from a
Subscription, a rejection that stalls the plan, an expiry scheduled for its moment."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from it4it_operator.controllers.approval import record_approval
from it4it_operator.controllers.deploy.reconcile import reconcile_instance
from support.controllers import START, Operator
from support.fake_kube import condition
from support.world import SHOP, TEAM, instance, namespace, offer, release, subscription

REQUESTED_BY = "it4it.dev/requested-by"
GROUPS = "it4it.dev/approver-groups"


def approval(
    name: str,
    plan_hash: str,
    approver: str,
    *groups: str,
    instance_: str = "direct",
    created: dt.datetime = START,
    **spec: Any,
) -> dict[str, Any]:
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "Approval",
        "metadata": {
            "name": name,
            "namespace": SHOP,
            "annotations": {GROUPS: json.dumps(list(groups))},
            "creationTimestamp": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "spec": {"desiredInstance": instance_, "planHash": plan_hash, "approver": approver, **spec},
    }


def held(op: Operator, **approvers: Any) -> str:
    """A Manual instance requested by ann, planned and waiting; returns its plan hash."""
    dpi = (
        instance(approval="Manual", approvers=approvers)
        if approvers
        else instance(approval="Manual")
    )
    dpi["metadata"]["annotations"] = {REQUESTED_BY: "ann"}
    op.apply(namespace(TEAM), namespace(SHOP), release(), dpi)
    op.settle()
    return str(op.fake.live("DesiredProductInstance", "direct", SHOP)["status"]["planHash"])


def test_the_subscription_controller_carries_the_requester_onto_its_instance() -> None:
    op = Operator()
    sub = subscription()
    sub["metadata"]["annotations"] = {REQUESTED_BY: "ann"}
    op.apply(namespace(TEAM), namespace(SHOP), release(), offer(approval="Manual"), sub)
    op.settle()
    dpi = op.fake.live("DesiredProductInstance", "mine", SHOP)
    assert dpi["metadata"]["annotations"][REQUESTED_BY] == "ann"
    op.apply(approval("by-ann", dpi["status"]["planHash"], "ann", instance_="mine"))
    op.settle()
    refused = condition(op.fake.live("DesiredProductInstance", "mine", SHOP), "Approved")
    assert refused["reason"] == "SelfApprovalRefused", refused
    assert "ann requested this change" in refused["message"]


def test_an_approval_that_only_changes_the_wording_is_told_at_once() -> None:
    op = Operator()
    plan_hash = held(op, count=2)
    op.apply(approval("by-bob", plan_hash, "bob"))
    op.settle()
    waiting = condition(op.fake.live("DesiredProductInstance", "direct", SHOP), "Approved")
    assert waiting["reason"] == "AwaitingApproval", waiting
    assert "bob" in waiting["message"], "a person's decision is never held back like progress"


def test_a_rejection_stalls_the_instance_until_the_spec_changes() -> None:
    op = Operator()
    plan = held(op, count=2, groups=["ops", "security"])
    op.apply(
        approval("olga", plan, "olga", "ops"),
        approval("sam", plan, "sam", "security", decision="Rejected", reason="no pentest"),
    )
    op.settle()
    dpi = op.fake.live("DesiredProductInstance", "direct", SHOP)
    assert condition(dpi, "Approved")["reason"] == "Rejected"
    assert condition(dpi, "Stalled")["status"] == "True"
    assert "sam" in condition(dpi, "Stalled")["message"]
    assert dpi["status"]["phase"] == "Rejected"
    assert op.fake.of_kind("Deployment") == []
    assert condition(op.fake.live("Approval", "sam", SHOP), "Ready")["message"].startswith(
        "Rejects the current plan"
    )

    op.fake.edit("DesiredProductInstance", "direct", SHOP, spec={"parameters": {"replicas": 3}})
    op.settle()
    dpi = op.fake.live("DesiredProductInstance", "direct", SHOP)
    assert condition(dpi, "Approved")["reason"] == "AwaitingApproval"
    assert condition(dpi, "Stalled") is None or condition(dpi, "Stalled") == {}


def test_an_expiry_is_scheduled_and_stops_the_approval_counting_at_its_moment() -> None:
    op = Operator()
    plan = held(op, count=2, groups=["ops", "security"], expireSeconds=600)
    op.apply(approval("olga", plan, "olga", "ops", created=START - dt.timedelta(seconds=100)))
    op.settle()
    ctx = op.manager.ctx
    assert reconcile_instance(ctx, SHOP, "direct") == 500.0, "looked at again when olga expires"
    assert record_approval(ctx, SHOP, "olga") == 500.0

    op.now = START + dt.timedelta(seconds=500)
    op.resync()
    dpi = op.fake.live("DesiredProductInstance", "direct", SHOP)
    assert condition(dpi, "Approved")["reason"] == "ApprovalExpired"
    assert condition(op.fake.live("Approval", "olga", SHOP), "Ready")["reason"] == "Expired"


def test_an_applied_plan_keeps_its_approval_after_the_expiry() -> None:
    op = Operator()
    plan = held(op, expireSeconds=60)
    op.apply(approval("olga", plan, "olga"))
    op.settle()
    assert len(op.fake.of_kind("Deployment")) == 1
    op.now = START + dt.timedelta(seconds=3600)
    op.resync()
    dpi = op.fake.live("DesiredProductInstance", "direct", SHOP)
    assert condition(dpi, "Approved")["status"] == "True"
    assert condition(op.fake.live("Approval", "olga", SHOP), "Ready")["reason"] == "Counted"
