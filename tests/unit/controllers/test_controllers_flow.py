"""The controllers end to end on an in-memory API: order, deploy, converge, then stay quiet.

Each test drives the real controllers through the real dependency index and work queue; only
the API server is a dict. "No write" is counted, not assumed.
"""

from __future__ import annotations

import time
from typing import Any

from it4it_operator.controllers.context import Settings
from it4it_operator.k8s.errors import Cause, ConflictError, InvalidError
from support.controllers import Operator
from support.fake_kube import condition
from support.world import SHOP, TEAM, instance, namespace, offer, release, roll_out, subscription


def ordered(op: Operator) -> None:
    op.apply(namespace(TEAM), namespace(SHOP), release(), offer(), subscription())
    op.settle()
    roll_out(op.fake)
    op.settle()


def test_a_subscription_reaches_ready_through_its_instance() -> None:
    op = Operator()
    ordered(op)
    sub = op.fake.live("Subscription", "mine", SHOP)
    assert condition(sub, "Ready")["status"] == "True", sub
    assert (
        condition(op.fake.live("DesiredProductInstance", "mine", SHOP), "Ready")["status"] == "True"
    )
    actual = op.fake.live("ActualProductInstance", "mine", SHOP)
    assert actual is not None and actual["status"]["health"] == "Healthy"
    assert {o["kind"] for o in op.fake.of_kind("ConfigMap") + op.fake.of_kind("Deployment")} == {
        "ConfigMap",
        "Deployment",
    }


def test_a_converged_operator_writes_nothing_on_resync() -> None:
    op = Operator()
    ordered(op)
    assert op.resync() == []
    assert op.resync() == []


def test_the_instance_is_created_with_its_finalizer_in_one_write() -> None:
    op = Operator()
    ordered(op)
    dpi_writes = [w for w in op.fake.writes if w[1] == "DesiredProductInstance" and w[0] == "PATCH"]
    metadata_patches = [w for w in dpi_writes if w[2] == "application/merge-patch+json"]
    assert metadata_patches == [], "the finalizer came with the apply, not a second patch"
    assert (
        "it4it.dev/decommission"
        in op.fake.live("DesiredProductInstance", "mine", SHOP)["metadata"]["finalizers"]
    )


def test_writes_per_subscription_stay_small() -> None:
    op = Operator()
    op.apply(namespace(TEAM), namespace(SHOP), release(), offer())
    op.settle()
    mark = len(op.fake.writes)
    op.apply(subscription())
    op.settle()
    roll_out(op.fake)
    op.settle()
    writes = op.fake.writes_since(mark)
    # the instance (apply, 2 status), its actual instance (apply, and one status once it runs:
    # its progress waits), the ConfigMap and the Deployment, the subscription's status twice
    # (contract, Ready), and the offer's subscriber count
    assert len(writes) == 10, writes


def test_a_burst_of_subscriptions_is_counted_by_their_offer_in_one_write() -> None:
    op = Operator(settings=Settings(tally_seconds=1.0))
    op.apply(namespace(TEAM), namespace(SHOP), release(), offer())
    op.settle()
    mark = len(op.fake.writes)
    op.apply(*(subscription(f"mine-{n}") for n in range(5)))
    op.settle()
    offer_writes = [w for w in op.fake.writes_since(mark) if w[1] == "ServiceOffer"]
    assert offer_writes == [], "the count waits for the burst to end"
    time.sleep(1.1)
    op.settle()
    offer_writes = [w for w in op.fake.writes_since(mark) if w[1] == "ServiceOffer"]
    assert offer_writes == [("PATCH", "ServiceOffer", "status")]
    assert op.fake.live("ServiceOffer", "web")["status"]["subscribers"] == 5


def test_a_rollout_s_progress_alone_is_written_only_once_it_lasts() -> None:
    op = Operator(settings=Settings(tally_seconds=0, wording_seconds=0.5))
    op.apply(namespace(TEAM), namespace(SHOP), release(), offer(), subscription())
    op.settle()
    [deployment] = op.fake.of_kind("Deployment")
    generation = deployment["metadata"]["generation"]
    progress = {"observedGeneration": generation, "replicas": 1, "updatedReplicas": 1}
    mark = len(op.fake.writes)
    op.fake.put({**deployment, "status": progress})
    op.settle()
    assert op.fake.writes_since(mark) == [], "new counts alone wait"
    time.sleep(0.6)
    op.settle()  # the pass that held them runs again when the wait is over: no resync needed
    actual = op.fake.live("ActualProductInstance", "mine", SHOP)
    [shown] = [r for r in actual["status"]["resources"] if r["kind"] == "Deployment"]
    assert "1 updated" in shown["message"], "a rollout that lasts shows its progress"
    roll_out(op.fake)
    mark = len(op.fake.writes)
    op.settle()
    assert condition(op.fake.live("Subscription", "mine", SHOP), "Ready")["status"] == "True"
    assert op.fake.writes_since(mark), "a change of health is written at once"


def test_an_actual_instance_tells_its_first_rollout_once_it_runs_or_once_it_lasts() -> None:
    op = Operator(settings=Settings(tally_seconds=0, wording_seconds=0.5))
    op.apply(namespace(TEAM), namespace(SHOP), release(), offer(), subscription())
    op.settle()
    actual = op.fake.live("ActualProductInstance", "mine", SHOP)
    assert not actual.get("status"), "a rollout just started is not news yet"
    time.sleep(0.6)
    op.settle()
    actual = op.fake.live("ActualProductInstance", "mine", SHOP)
    assert condition(actual, "Ready")["reason"] == "Progressing", "a rollout that lasts is shown"
    # A quick first rollout: one status write, when it runs.
    quick = Operator(settings=Settings(tally_seconds=0, wording_seconds=60))
    quick.apply(namespace(TEAM), namespace(SHOP), release(), offer(), subscription())
    quick.settle()
    roll_out(quick.fake)
    quick.settle()
    actual = quick.fake.live("ActualProductInstance", "mine", SHOP)
    assert condition(actual, "Ready")["status"] == "True"
    written = [w for w in quick.fake.writes if w[1] == "ActualProductInstance" and w[2] == "status"]
    assert len(written) == 1, written


def test_a_new_release_in_range_reaches_the_running_instance() -> None:
    op = Operator()
    ordered(op)
    op.apply(release("1.1.0"))
    op.settle()
    roll_out(op.fake)
    op.settle()
    dpi = op.fake.live("DesiredProductInstance", "mine", SHOP)
    assert dpi["spec"]["release"]["name"] == "web-1.1.0"
    assert op.fake.live("ConfigMap", "mine", SHOP)["data"] == {"version": "1.1.0"}
    assert condition(dpi, "Ready")["status"] == "True"


def test_narrowing_the_offer_range_rolls_the_instance_back_to_what_it_allows() -> None:
    op = Operator()
    ordered(op)
    op.apply(release("1.1.0"))
    op.settle()
    roll_out(op.fake)
    op.settle()
    op.fake.edit("ServiceOffer", "web", spec={"release": {"version": "<1.1.0"}})
    op.settle()
    assert (
        op.fake.live("DesiredProductInstance", "mine", SHOP)["spec"]["release"]["name"]
        == "web-1.0.0"
    )


def test_a_namespace_leaving_the_audience_stops_a_new_order() -> None:
    op = Operator()
    op.apply(namespace(TEAM), namespace("other", tier="gold"), release(), offer())
    op.apply(subscription(namespace_="other"))
    op.settle()
    assert (
        condition(op.fake.live("Subscription", "mine", "other"), "OfferSelected")["status"]
        == "True"
    )
    op.fake.edit("Namespace", "other", metadata={"labels": {"tier": "bronze"}})
    op.settle()
    selected = condition(op.fake.live("Subscription", "mine", "other"), "OfferSelected")
    # under contract the order keeps running; the condition says whether it is still visible
    assert selected["status"] in ("True", "False")


def test_manual_approval_holds_until_an_approval_names_the_plan() -> None:
    op = Operator()
    op.apply(namespace(TEAM), namespace(SHOP), release(), instance(approval="Manual"))
    op.settle()
    assert op.fake.of_kind("Deployment") == []
    dpi = op.fake.live("DesiredProductInstance", "direct", SHOP)
    assert condition(dpi, "Approved")["reason"] == "AwaitingApproval"
    op.apply(
        {
            "apiVersion": "it4it.dev/v1alpha1",
            "kind": "Approval",
            "metadata": {"name": "ok", "namespace": SHOP},
            "spec": {
                "desiredInstance": "direct",
                "planHash": dpi["status"]["planHash"],
                "approver": "jane",
            },
        }
    )
    op.settle()
    assert len(op.fake.of_kind("Deployment")) == 1
    approval = op.fake.live("Approval", "ok", SHOP)
    assert condition(approval, "Ready")["reason"] == "Counted"


def test_a_subscription_in_a_namespace_being_deleted_requests_no_instance() -> None:
    op = Operator()
    op.apply(namespace(TEAM), namespace(SHOP), release(), offer())
    op.settle()
    op.fake.edit("Namespace", SHOP, metadata={"deletionTimestamp": "2026-01-01T00:00:00Z"})
    op.apply(subscription())
    op.settle()
    assert op.fake.live("DesiredProductInstance", "mine", SHOP) is None, (
        "the API server refuses new objects in a terminating namespace"
    )


def test_deleting_a_subscription_decommissions_its_instance() -> None:
    op = Operator()
    ordered(op)
    op.fake.remove("Subscription", "mine", SHOP)
    op.fake.collect_garbage()
    op.settle()
    op.fake.collect_garbage()
    op.settle()
    assert op.fake.live("DesiredProductInstance", "mine", SHOP) is None
    assert op.fake.of_kind("Deployment") == []
    assert op.fake.live("ServiceOffer", "web")["status"]["subscribers"] == 0


def test_every_stage_that_completes_has_an_event_and_nothing_else_does() -> None:
    op = Operator()
    ordered(op)
    said = [f"{e['reason']}: {e['message']}" for e in op.fake.events]
    for reason in ("Planned", "Applied", "AllAvailable", "ObservedStable", "Subscribed"):
        assert any(line.startswith(reason) or f"{reason}: " in line for line in said), said
    assert not any("AutomaticApproval" in line for line in said), "nobody's decision"
    subscription = [e for e in op.fake.events if e["involvedObject"]["kind"] == "Subscription"]
    assert len(subscription) == 2, "the stages of one pass are told in one Event"
    instance = [
        e for e in op.fake.events if e["involvedObject"]["kind"] == "DesiredProductInstance"
    ]
    assert [e["reason"] for e in instance] == ["Applied", "ObservedStable"], said
    assert "Selected" in subscription[0]["message"] and "Agreed" in subscription[0]["message"]


def test_an_object_the_api_server_refuses_is_named_and_nothing_is_applied() -> None:
    op = Operator()

    def refuse(method: str, obj: dict[str, Any]) -> None:
        if obj["kind"] == "Deployment":
            raise InvalidError(
                422,
                "Invalid",
                "Deployment.apps is invalid",
                "Deployment shop/direct",
                [Cause("spec.template.spec.containers[0].image", "Required value")],
            )

    op.fake.refuse = refuse
    op.apply(namespace(TEAM), namespace(SHOP), release(), instance())
    op.settle()
    dpi = op.fake.live("DesiredProductInstance", "direct", SHOP)
    fulfilled = condition(dpi, "Fulfilled")
    assert fulfilled["reason"] == "ObjectRefused"
    assert "Deployment shop/direct" in fulfilled["message"]
    assert "spec.template.spec.containers[0].image" in fulfilled["message"]
    assert condition(dpi, "Stalled")["status"] == "True"
    assert op.fake.of_kind("ConfigMap") == [], "nothing is half applied"
    warnings = [e for e in op.fake.events if e["type"] == "Warning"]
    assert any(e["reason"] == "ObjectRefused" for e in warnings)


def test_a_conflict_is_retried_and_never_written_into_status() -> None:
    op = Operator()
    failures = iter([True])

    def conflict_once(method: str, obj: dict[str, Any]) -> None:
        if obj["kind"] == "ConfigMap" and next(failures, False):
            raise ConflictError(409, "Conflict", "the object has been modified", "ConfigMap")

    op.fake.refuse = conflict_once
    op.apply(namespace(TEAM), namespace(SHOP), release(), instance())
    op.settle()
    roll_out(op.fake)
    op.settle()
    dpi = op.fake.live("DesiredProductInstance", "direct", SHOP)
    assert condition(dpi, "Ready")["status"] == "True"
    assert "modified" not in str(dpi["status"])


def test_an_offer_without_support_is_not_fulfilled_until_its_status_says_defined() -> None:
    op = Operator()
    unsupported = offer()
    del unsupported["spec"]["support"]
    op.apply(namespace(TEAM), namespace(SHOP), release(), unsupported, subscription())
    op.settle()
    sub = op.fake.live("Subscription", "mine", SHOP)
    selected = condition(sub, "OfferSelected")
    assert (selected["status"], selected["reason"]) == ("False", "OfferNotDefined"), sub
    assert "spec.support is missing" in selected["message"]
    assert condition(sub, "Stalled")["status"] == "True"
    assert op.fake.of_kind("DesiredProductInstance") == []

    # Woken by the offer's edit, the subscription finds it not checked yet (OfferNotChecked);
    # the offer's next status write (Defined=True) wakes it again (watches._of_offer).
    op.fake.edit("ServiceOffer", "web", spec={"support": {"contact": "#web"}})
    op.settle()
    roll_out(op.fake)
    op.settle()
    sub = op.fake.live("Subscription", "mine", SHOP)
    assert condition(sub, "Ready")["status"] == "True", sub
    assert condition(sub, "Stalled") in (None, {})
