"""Operate on the in-memory API: detect, diagnose, resolve, escalate, suppress; a restart in
the middle runs no action twice. The clock is the test's: a scheduled pass is a resync after
moving it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from it4it_operator.k8s.errors import ForbiddenError
from support.controllers import Operator, deployed, later
from support.fake_kube import condition
from support.world import SHOP, TEAM, instance, namespace, release, roll_out

INC = "Incident"


def incidents(op: Operator) -> list[dict[str, Any]]:
    return op.fake.of_kind(INC)


def failed_pod(op: Operator, name: str) -> None:
    at = op.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    op.fake.put(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": SHOP,
                "labels": {"app": "direct", "it4it.dev/instance": "direct"},
            },
            "status": {
                "phase": "Failed",
                "startTime": at,
                "containerStatuses": [
                    {"name": "web", "restartCount": 0, "state": {"terminated": {"finishedAt": at}}}
                ],
            },
        }
    )


def test_a_hand_edited_deployment_becomes_an_incident_resolved_by_reapply() -> None:
    op = Operator()
    deployed(op)
    op.fake.edit("Deployment", "direct", SHOP, spec={"replicas": 0})
    op.settle()
    [incident] = incidents(op)
    assert incident["spec"]["symptom"] == "Drifted"
    assert incident["status"]["courseOfAction"] == "Reapply"
    assert op.fake.live("Deployment", "direct", SHOP)["spec"]["replicas"] == 1, "re-applied"
    assert incident["status"]["actions"][0]["result"] == "Succeeded"
    roll_out(op.fake)
    op.settle()
    later(op, 31)  # the verification period
    incident = op.fake.live(INC, incident["metadata"]["name"], SHOP)
    assert incident["status"]["phase"] == "Resolved", incident["status"]
    assert condition(incident, "Resolved")["status"] == "True"
    assert incident["status"]["timeToResolveSeconds"] >= 31
    assert op.resync() == []


def test_an_instance_in_a_namespace_being_deleted_raises_no_incident() -> None:
    op = Operator()
    deployed(op)
    op.fake.edit("Namespace", SHOP, metadata={"deletionTimestamp": "2026-01-01T00:00:00Z"})
    op.fake.edit("Deployment", "direct", SHOP, spec={"replicas": 0})
    op.settle()
    assert incidents(op) == [], "nothing can be created in a terminating namespace"


def test_one_failed_pod_that_is_replaced_raises_nothing() -> None:
    op = Operator()
    deployed(op)
    failed_pod(op, "direct-a")
    op.settle()
    assert incidents(op) == []
    symptoms = op.fake.live("ActualProductInstance", "direct", SHOP)["status"]["symptoms"]
    assert [s["symptom"] for s in symptoms] == ["PodFailed"]


def test_repeated_pod_failures_are_one_incident_with_priority_and_resolver_group() -> None:
    op = Operator()
    deployed(op)
    failed_pod(op, "direct-a")
    failed_pod(op, "direct-b")
    op.settle()
    failed_pod(op, "direct-c")
    op.settle()
    [incident] = incidents(op)
    assert incident["spec"]["symptom"] == "PodFailed"
    assert incident["status"]["priority"] in ("P3", "P4")
    assert incident["status"]["resolverGroup"] == TEAM
    assert condition(incident, "Detected")["status"] == "True"


def test_a_remedy_that_does_not_help_escalates_after_max_attempts() -> None:
    op = Operator()
    deployed(op, maxAttempts=2)
    op.fake.edit("Deployment", "direct", SHOP, spec={"replicas": 0})

    def refuse(method: str, obj: dict[str, Any]) -> None:
        if obj["kind"] == "Deployment" and method == "PATCH":
            raise ForbiddenError(403, "Forbidden", "a policy keeps it at 0", "Deployment")

    op.fake.refuse = refuse
    op.settle()
    for _ in range(6):
        later(op, 300)
    [incident] = incidents(op)
    assert incident["status"]["phase"] == "Escalated", incident["status"]
    assert incident["status"]["attempts"] == 2
    assert len(incident["status"]["actions"]) == 2, "no endless loop"
    assert condition(incident, "Stalled")["status"] == "True"


def test_inside_a_maintenance_window_a_breach_is_counted_not_raised() -> None:
    op = Operator()
    always = {"days": [], "start": "00:00", "end": "23:59", "timeZone": "UTC"}
    deployed(op, maintenance=[always])
    op.fake.edit("Deployment", "direct", SHOP, spec={"replicas": 0})
    op.settle()
    assert incidents(op) == []
    actual = op.fake.live("ActualProductInstance", "direct", SHOP)
    assert actual["status"]["suppressed"]["maintenance"] == 1
    op.resync()
    assert op.fake.live("ActualProductInstance", "direct", SHOP)["status"]["suppressed"] == {
        "maintenance": 1
    }, "counted once"


def test_a_restart_in_the_middle_of_a_remediation_runs_no_action_twice() -> None:
    op = Operator()
    deployed(op)
    op.fake.edit("Deployment", "direct", SHOP, spec={"replicas": 0})
    op.settle()
    [incident] = incidents(op)
    assert len(incident["status"]["actions"]) == 1
    again = op.restart()
    again.manager.enqueue_all()
    again.settle()
    [incident] = incidents(again)
    assert len(incident["status"]["actions"]) == 1
    assert len(incidents(again)) == 1


def test_a_scale_request_adds_one_replica_within_the_release_bounds() -> None:
    op = Operator()
    deployed(op)
    for attempt in range(1, 7):
        op.fake.edit(
            "DesiredProductInstance",
            "direct",
            SHOP,
            metadata={"annotations": {"it4it.dev/scale": f"inc/{attempt}"}},
        )
        op.settle()
    # replicas default 1, the release's schema allows at most 5
    assert op.fake.live("Deployment", "direct", SHOP)["spec"]["replicas"] == 5
    assert op.fake.live("DesiredProductInstance", "direct", SHOP)["status"]["scaledFor"] == "inc/6"


def test_subscribers_are_told_once_before_a_maintenance_window() -> None:
    from support.world import offer, subscription

    op = Operator()
    soon = (op.now + dt.timedelta(minutes=30)).strftime("%H:%M")
    end = (op.now + dt.timedelta(minutes=90)).strftime("%H:%M")
    body = offer()
    body["spec"]["operate"] = {
        "maintenance": [{"days": [], "start": soon, "end": end, "timeZone": "UTC"}],
        "noticeSeconds": 3600,
    }
    op.apply(namespace(TEAM), namespace(SHOP), release(), body, subscription())
    op.settle()
    roll_out(op.fake)
    op.settle()
    op.resync()
    told = [e for e in op.fake.events if e["reason"] == "MaintenanceScheduled"]
    assert len(told) == 1 and told[0]["involvedObject"]["kind"] == "Subscription"


def test_manual_remediation_waits_for_an_approval_naming_the_incident() -> None:
    op = Operator()
    deployed(op, remediation="Manual")
    op.fake.edit("Deployment", "direct", SHOP, spec={"replicas": 0})
    op.settle()
    [incident] = incidents(op)
    assert incident["status"]["phase"] == "AwaitingApproval"
    assert "actions" not in incident["status"]
    assert op.fake.live("Deployment", "direct", SHOP)["spec"]["replicas"] == 0, "nothing ran"
    op.apply(
        {
            "apiVersion": "it4it.dev/v1alpha1",
            "kind": "Approval",
            "metadata": {"name": "go", "namespace": SHOP},
            "spec": {"incident": incident["metadata"]["name"], "approver": "olga"},
        }
    )
    op.settle()
    incident = op.fake.live(INC, incident["metadata"]["name"], SHOP)
    assert [a["action"] for a in incident["status"]["actions"]] == ["Reapply"]
    assert op.fake.live("Deployment", "direct", SHOP)["spec"]["replicas"] == 1
    assert condition(op.fake.live("Approval", "go", SHOP), "Ready")["reason"] == "Counted"


def test_the_release_hears_of_incidents_per_known_defect() -> None:
    op = Operator()
    body = release("1.0.0")
    body["spec"]["knownDefects"] = [
        {"id": "W-1", "summary": "replicas reset", "symptoms": ["Drifted"], "workaround": "reapply"}
    ]
    op.apply(namespace(TEAM), namespace(SHOP), body, instance())
    op.settle()
    roll_out(op.fake)
    op.settle()
    op.fake.edit("Deployment", "direct", SHOP, spec={"replicas": 0})
    op.settle()
    operations = op.fake.live("ProductRelease", "web-1.0.0", TEAM)["status"]["operations"]
    assert operations["incidents"] == 1
    assert operations["byKnownDefect"] == {"W-1": 1}
    assert operations["unexplainedSymptoms"] == []
