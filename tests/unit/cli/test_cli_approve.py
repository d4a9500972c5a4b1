"""`it4it approve`: what is created for whom, and when nothing is (captured objects)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from it4it_operator.cli.approve import decide
from it4it_operator.cli.common import EXIT_NOTHING_TO_APPROVE, EXIT_OK

DATA = Path(__file__).parents[2] / "data" / "cli"
PLAN = "sha256:0b89ec8153e0666d8718fdf5b7eb014f8ffc2c1ffb2f2fc96935b18e57c183a9"


def awaiting() -> dict[str, Any]:
    return dict(json.loads((DATA / "awaiting-dpi.json").read_text()))


def approval(name: str, approver: str, plan: str = PLAN) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"desiredInstance": "mine", "planHash": plan, "approver": approver},
    }


def test_the_current_plan_is_approved_in_the_users_own_name() -> None:
    decision = decide(awaiting(), "carol", [], "CAB 42")
    assert decision.code == EXIT_OK
    assert decision.approval == {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "Approval",
        "metadata": {"name": "mine-0b89ec8153", "namespace": "shop"},
        "spec": {
            "desiredInstance": "mine",
            "planHash": PLAN,
            "approver": "carol",
            "decision": "Approved",
            "comment": "CAB 42",
        },
    }
    assert "created" in decision.message and "carol" in decision.message


def test_a_rejection_names_its_reason_and_its_user() -> None:
    decision = decide(awaiting(), "carol", [], None, reason="no rollback plan")
    assert decision.code == EXIT_OK and decision.approval is not None
    assert decision.approval["metadata"]["name"] == "mine-0b89ec8153-carol"
    spec = decision.approval["spec"]
    assert (spec["decision"], spec["reason"]) == ("Rejected", "no rollback plan")
    assert "rejected by carol" in decision.message
    earlier = decide(awaiting(), "carol", [decision.approval], None, reason="again")
    assert earlier.approval is None and "already rejects" in earlier.message


def test_approving_twice_creates_nothing_new() -> None:
    decision = decide(awaiting(), "carol", [approval("mine-0b89ec8153", "carol")])
    assert (decision.code, decision.approval) == (EXIT_OK, None)
    assert "already approves" in decision.message


def test_an_approval_of_an_older_plan_does_not_count() -> None:
    old = approval("mine-1111111111", "carol", "sha256:" + "1" * 64)
    decision = decide(awaiting(), "carol", [old])
    assert decision.approval is not None
    assert decision.approval["spec"]["planHash"] == PLAN


def test_a_name_taken_by_someone_elses_approval_gets_the_user_appended() -> None:
    decision = decide(
        awaiting(), "system:serviceaccount:ops:bot", [approval("mine-0b89ec8153", "erin")]
    )
    assert decision.approval is not None
    assert decision.approval["metadata"]["name"] == "mine-0b89ec8153-system-serviceaccount-ops-bot"


def test_a_plan_already_approved_by_someone_else_needs_nothing() -> None:
    ready = json.loads((DATA / "ready-dpi.json").read_text())
    decision = decide(ready, "erin", [approval("mine-0b89ec8153", "carol")])
    assert (decision.code, decision.approval) == (EXIT_NOTHING_TO_APPROVE, None)
    assert "already approved" in decision.message and "carol" in decision.message


def test_an_automatic_plan_needs_no_approval() -> None:
    dpi = awaiting()
    dpi["spec"]["plan"]["approval"] = "Automatic"
    decision = decide(dpi, "carol", [])
    assert (decision.code, decision.approval) == (EXIT_NOTHING_TO_APPROVE, None)
    assert "Automatic" in decision.message


def test_an_instance_without_a_plan_yet_has_nothing_to_approve() -> None:
    dpi = awaiting()
    del dpi["status"]
    decision = decide(dpi, "carol", [])
    assert (decision.code, decision.approval) == (EXIT_NOTHING_TO_APPROVE, None)
    assert "no plan" in decision.message


def test_the_requester_of_the_change_is_told_someone_else_must_approve() -> None:
    dpi = copy.deepcopy(awaiting())
    dpi["metadata"].setdefault("annotations", {})["it4it.dev/requested-by"] = "ann"
    decision = decide(dpi, "ann", [])
    assert (decision.code, decision.approval) == (EXIT_NOTHING_TO_APPROVE, None)
    assert "someone else" in decision.message
    assert decide(dpi, "bob", []).approval is not None
