"""Ensure Disaster Recovery Objectives on the in-memory API: a drill deletes the instance's pods
as the namespace's deployer, once per window occurrence, and is judged by the recovery time
objective; a missed objective is an Incident. The clock is the test's (a Monday, 12:00 UTC)."""

from __future__ import annotations

from typing import Any

from support.controllers import Operator, deployed, later
from support.fake_kube import condition, reasons
from support.world import SHOP

ACTUAL, POD = "ActualProductInstance", "Pod"
DEPLOYER = "system:serviceaccount:shop:it4it-deployer"
OBJECTIVE = 60
RECOVERY = {
    "objectiveSeconds": OBJECTIVE,
    "drills": [{"days": [], "start": "13:00", "end": "14:00", "timeZone": "UTC"}],
}
HOUR = 3600


def pod(op: Operator, name: str, *, ready: bool = True) -> None:
    """A pod of the instance's Deployment, as its ReplicaSet and a kubelet would make it."""
    op.fake.put(
        {
            "apiVersion": "v1",
            "kind": POD,
            "metadata": {
                "name": name,
                "namespace": SHOP,
                "labels": {"app": "direct", "it4it.dev/instance": "direct"},
            },
            "status": {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            },
        }
    )
    op.settle()


def running(op: Operator, **operate: Any) -> None:
    """The instance handed over with one ready pod, an hour before its drill window."""
    deployed(op, **operate)
    pod(op, "direct-a")


def actual(op: Operator) -> dict[str, Any]:
    return op.fake.live(ACTUAL, "direct", SHOP) or {}


def recovery(op: Operator) -> dict[str, Any]:
    return dict(actual(op)["status"].get("recovery") or {})


def pods_deleted(op: Operator, since: int = 0) -> list[str | None]:
    """Who deleted pods (the impersonated user), one entry per deletion."""
    return [
        who for method, kind, who in op.fake.identities[since:] if (method, kind) == ("DELETE", POD)
    ]


def drilled(op: Operator) -> None:
    """Move the clock to the window's opening: the drill starts."""
    later(op, HOUR)


def test_a_drill_at_the_window_start_deletes_the_pods_as_the_deployer() -> None:
    op = Operator()
    running(op, recovery=RECOVERY)
    assert condition(actual(op), "RecoveryObjectiveMet")["reason"] == "DrillScheduled"
    assert pods_deleted(op) == [], "not before the window"
    drilled(op)
    assert pods_deleted(op) == [DEPLOYER]
    assert op.fake.of_kind(POD) == []
    assert recovery(op) == {
        "drills": 1,
        "lastDrillAt": "2026-03-02T13:00:00Z",
        "windowStart": "2026-03-02T13:00:00Z",
        "objectiveSeconds": OBJECTIVE,
    }
    met = condition(actual(op), "RecoveryObjectiveMet")
    assert (met["status"], met["reason"]) == ("Unknown", "DrillRunning")
    assert reasons(op.fake.events).count("RecoveryDrillStarted") == 1


def test_pods_back_within_the_objective_pass_the_drill() -> None:
    op = Operator()
    running(op, recovery=RECOVERY)
    drilled(op)
    op.now = op.now.replace(second=20)
    pod(op, "direct-b", ready=False)
    assert "met" not in recovery(op), "a pod not ready yet is no recovery"
    op.now = op.now.replace(second=40)
    pod(op, "direct-b")
    record = recovery(op)
    assert (record["met"], record["recoverySeconds"]) == (True, 40)
    assert record["recoveredAt"] == "2026-03-02T13:00:40Z"
    met = condition(actual(op), "RecoveryObjectiveMet")
    assert (met["status"], met["reason"]) == ("True", "WithinObjective")
    assert "40s" in met["message"] and f"{OBJECTIVE}s" in met["message"]
    passed = [e for e in op.fake.events if e["reason"] == "RecoveryDrillPassed"]
    assert len(passed) == 1 and passed[0]["involvedObject"]["kind"] == ACTUAL
    assert op.resync() == [], "an idle operator writes nothing"


def test_pods_not_back_by_the_deadline_are_one_incident() -> None:
    op = Operator()
    running(op, recovery=RECOVERY)
    drilled(op)
    later(op, OBJECTIVE)
    met = condition(actual(op), "RecoveryObjectiveMet")
    assert (met["status"], met["reason"]) == ("False", "ObjectiveMissed")
    [incident] = op.fake.of_kind("Incident")
    assert incident["spec"]["symptom"] == "RecoveryObjectiveMissed"
    assert incident["status"]["courseOfAction"] == "Restart"
    failed = [e for e in op.fake.events if e["reason"] == "RecoveryDrillFailed"]
    assert len(failed) == 1 and failed[0]["type"] == "Warning"
    later(op, 600)
    assert len(op.fake.of_kind("Incident")) == 1, "one open incident per instance and symptom"
    pod(op, "direct-b")
    later(op, 31)  # the verification period
    [incident] = op.fake.of_kind("Incident")
    assert incident["status"]["phase"] == "Resolved", incident["status"]
    assert recovery(op)["met"] is False, "recovered, but too late"


def test_while_a_drill_runs_a_breach_is_counted_not_raised() -> None:
    op = Operator()
    running(op, recovery={**RECOVERY, "objectiveSeconds": 300})
    drilled(op)
    deployment = op.fake.live("Deployment", "direct", SHOP) or {}
    op.fake.put({**deployment, "status": {**deployment["status"], "availableReplicas": 0}})
    op.settle()
    later(op, 61)  # past detect.unavailableSeconds, before the objective
    assert op.fake.of_kind("Incident") == []
    assert actual(op)["status"]["suppressed"] == {"recoveryDrill": 1}


def test_no_second_drill_inside_the_same_window_occurrence() -> None:
    op = Operator()
    running(op, recovery=RECOVERY)
    drilled(op)
    pod(op, "direct-b")
    assert later(op, 30 * 60) == [], "still inside the window: nothing to do, nothing written"
    assert pods_deleted(op) == [DEPLOYER]
    assert recovery(op)["drills"] == 1
    later(op, 23.5 * HOUR)  # the next day's window
    assert pods_deleted(op) == [DEPLOYER, DEPLOYER]
    assert recovery(op)["drills"] == 2


def test_a_restart_mid_drill_does_not_delete_the_pods_again() -> None:
    op = Operator()
    running(op, recovery=RECOVERY)
    drilled(op)
    pod(op, "direct-b", ready=False)
    again = op.restart()
    again.manager.enqueue_all()
    again.settle()
    assert pods_deleted(again) == [], "the recorded drill is not started again"
    assert again.fake.live(POD, "direct-b", SHOP) is not None
    again.now = again.now.replace(second=30)
    pod(again, "direct-b")
    assert (recovery(again)["met"], recovery(again)["recoverySeconds"]) == (True, 30)


def test_without_a_recovery_policy_nothing_is_drilled_or_written() -> None:
    op = Operator()
    running(op)
    mark = len(op.fake.identities)
    assert later(op, HOUR) == []
    assert pods_deleted(op, mark) == []
    assert condition(actual(op), "RecoveryObjectiveMet") == {}
    assert "recovery" not in actual(op)["status"]


def test_a_drill_the_deployer_may_not_run_measures_nothing() -> None:
    from it4it_operator.k8s.errors import ForbiddenError

    op = Operator()
    running(op, recovery=RECOVERY)

    def refuse(method: str, obj: dict[str, Any]) -> None:
        if (method, obj["kind"]) == ("DELETE", POD):
            raise ForbiddenError(403, "Forbidden", "pods is forbidden", "Pod direct-a")

    op.fake.refuse = refuse
    drilled(op)
    met = condition(actual(op), "RecoveryObjectiveMet")
    assert (met["status"], met["reason"]) == ("False", "DrillRefused")
    assert "forbidden" in met["message"]
    assert "RecoveryDrillRefused" in reasons(op.fake.events)
    assert op.fake.of_kind("Incident") == [], "the service is not at fault"
    assert later(op, 60) == [], "not tried again in the same occurrence"
