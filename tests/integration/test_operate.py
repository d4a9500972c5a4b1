"""Operate (IT4IT 5.7) on the real control plane: pods that fail after hand-over, a hand-edited
Deployment, a fault on three instances, a maintenance window, a consumer's report, a runbook
playbook that does not help, a restart in the middle of a remediation, and a recovery drill.

Faults come from the dev cluster's KWOK stage: a pod annotated
`kwok.it4it.dev/fail-after-seconds: "N"` turns Failed N seconds after it runs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from offers import offer, subscription
from releases import instance, release

from conftest import OperatorProcess, apply, condition, eventually, get, items
from it4it_operator.devcluster import LocalCluster

pytestmark = pytest.mark.cluster
FAIL_AFTER = "kwok.it4it.dev/fail-after-seconds"
FAST = {"detect": {"verifySeconds": 5, "windowSeconds": 300}, "maxAttempts": 3}


@pytest.fixture
def offer_name(cluster: Any) -> Iterator[str]:
    name = f"ops-{uuid.uuid4().hex[:6]}"
    yield name
    cluster.kubectl("delete", "serviceoffer", name, "--ignore-not-found", "--wait=false")


def failing(name: str, version: str, seconds: int, **spec: Any) -> dict[str, Any]:
    """A release whose pods fail `seconds` after they run (after its observation window)."""
    body = release(name, version)
    template = body["spec"]["manifests"][2]["spec"]["template"]
    template["metadata"]["annotations"] = {FAIL_AFTER: str(seconds)}
    body["spec"].update(spec)
    return body


def shopfront(
    cluster: Any,
    operator: OperatorProcess,
    namespace: str,
    released: dict[str, Any],
    operate: dict[str, Any],
) -> None:
    """Instance shopfront of `released`, deployed directly with `operate`, Ready."""
    apply(cluster, released, namespace=namespace)
    body = instance("shopfront", str(released["metadata"]["name"]), namespace)
    body["spec"]["operate"] = operate
    apply(cluster, body, namespace=namespace)
    eventually(
        lambda: (
            condition(get(cluster, "dpi", "shopfront", namespace), "Ready").get("status") == "True"
        ),
        what="Ready",
        operator=operator,
    )


def incidents(cluster: Any, namespace: str) -> list[dict[str, Any]]:
    return items(cluster, "incidents", namespace)


def phase(obj: dict[str, Any]) -> str | None:
    return (obj.get("status") or {}).get("phase")


def one_incident(cluster: Any, ns: str, operator: OperatorProcess, **match: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        hits = [
            i
            for i in incidents(cluster, ns)
            if all(i["spec"].get(k) == v for k, v in match.items())
        ]
        return hits[0] if hits else None

    return dict(eventually(found, timeout=120, what=f"an incident {match}", operator=operator))


def resolved(cluster: Any, ns: str, name: str, operator: OperatorProcess) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        found = get(cluster, "incident", name, ns)
        return found if phase(found) in ("Resolved", "Closed") else None

    return dict(
        eventually(
            done,
            timeout=180,
            what=f"incident {name} resolved",
            operator=operator,
            show=lambda: get(cluster, "incident", name, ns).get("status"),
        )
    )


def test_pods_failing_after_hand_over_are_one_incident_resolved_by_rolling_back(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str
) -> None:
    defect = {
        "id": "GB-21",
        "summary": "the cache crashes the web pods",
        "symptoms": ["PodFailed"],
        "workaround": "roll back to 1.0.0",
        "courseOfAction": "Rollback",
    }
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(cluster, offer(offer_name, namespace, audience={"namespaces": [namespace]}, operate=FAST))
    apply(
        cluster, subscription("mine", offer_name, parameters={"replicas": 1}), namespace=namespace
    )
    eventually(
        lambda: condition(get(cluster, "sub", "mine", namespace), "Ready").get("status") == "True",
        what="subscribed",
        operator=operator,
    )
    apply(
        cluster, failing("guestbook-1-1-0", "1.1.0", 8, knownDefects=[defect]), namespace=namespace
    )
    incident = one_incident(cluster, namespace, operator, symptom="PodFailed")
    assert incident["spec"]["source"] == "Detected"
    eventually(
        lambda: (
            (get(cluster, "sub", "mine", namespace)["status"]["serviceStatus"]).get("openIncidents")
            == 1
        ),
        what="openIncidents 1",
        operator=operator,
    )
    done = resolved(cluster, namespace, incident["metadata"]["name"], operator)
    status = done["status"]
    assert status["priority"] in ("P1", "P2", "P3", "P4")
    assert status["resolverGroup"] == namespace, "the release's product team"
    assert status["knownError"]["id"] == "GB-21" and "1.0.0" in status["knownError"]["workaround"]
    assert status["courseOfAction"] == "Rollback"
    assert [a["result"] for a in status["actions"]] == ["Succeeded"]
    assert {"Detected", "Diagnosed", "ActionStarted", "Resolved"} <= {
        t["event"] for t in status["timeline"]
    }
    assert status["timeToResolveSeconds"] > 0
    assert condition(done, "Resolved")["status"] == "True"
    assert (
        len([i for i in incidents(cluster, namespace) if i["spec"].get("symptom") == "PodFailed"])
        == 1
    )
    dpi = get(cluster, "dpi", "mine", namespace)
    assert dpi["status"]["currentRelease"] == "guestbook-1-0-0", "rolled back"
    service = get(cluster, "sub", "mine", namespace)["status"]["serviceStatus"]
    eventually(
        lambda: (
            get(cluster, "sub", "mine", namespace)["status"]["serviceStatus"]["openIncidents"] == 0
        ),
        what="openIncidents 0",
        operator=operator,
    )
    service = get(cluster, "sub", "mine", namespace)["status"]["serviceStatus"]
    assert float(service["availability"]) < 100
    assert isinstance(service["slaMet"], bool)
    told = cluster.kubectl(
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        "involvedObject.name=mine",
        "-o",
        "json",
    )
    reasons = {
        e["reason"]
        for e in json.loads(told.stdout)["items"]
        if e["involvedObject"]["kind"] == "Subscription"
    }
    assert {"IncidentOpened", "IncidentResolved"} <= reasons


def test_a_deployment_scaled_to_zero_by_hand_is_reapplied_through_an_incident(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    shopfront(cluster, operator, namespace, release("guestbook-1-0-0", "1.0.0"), FAST)
    cluster.kubectl("scale", "deployment", "shopfront-web", "--replicas=0", "-n", namespace)
    incident = one_incident(cluster, namespace, operator, symptom="Drifted")
    done = resolved(cluster, namespace, incident["metadata"]["name"], operator)
    assert done["status"]["courseOfAction"] == "Reapply"
    assert get(cluster, "deployment", "shopfront-web", namespace)["spec"]["replicas"] == 2
    listed = subprocess.run(
        [sys.executable, "-m", "it4it_operator.cli", "incidents", "-n", namespace, "-o", "json"],
        env={**os.environ, "KUBECONFIG": str(cluster.kubeconfig)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert [i["metadata"]["name"] for i in json.loads(listed.stdout)] == [done["metadata"]["name"]]


def test_the_same_fault_on_three_instances_is_one_major_incident(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    apply(cluster, failing("guestbook-1-0-0", "1.0.0", 6), namespace=namespace)
    for name in ("one", "two", "three"):
        body = instance(name, "guestbook-1-0-0", namespace, parameters={"replicas": 1})
        body["spec"]["operate"] = FAST
        apply(cluster, body, namespace=namespace)

    def major() -> dict[str, Any] | None:
        found = [i for i in incidents(cluster, namespace) if (i.get("status") or {}).get("major")]
        return found[0] if found and len(found[0]["status"].get("related") or []) == 3 else None

    parent = eventually(major, timeout=180, what="one major incident of three", operator=operator)
    members = [i for i in incidents(cluster, namespace) if (i.get("status") or {}).get("parent")]
    assert {i["status"]["parent"] for i in members} == {parent["metadata"]["name"]}
    assert sorted(parent["status"]["related"]) == sorted(i["metadata"]["name"] for i in members)
    assert (
        len([i for i in incidents(cluster, namespace) if (i.get("status") or {}).get("major")]) == 1
    )


def test_a_maintenance_window_suppresses_detection_and_counts_it(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    window = {"days": [], "start": "00:00", "end": "23:59", "timeZone": "UTC"}
    operate = {**FAST, "maintenance": [window]}
    shopfront(cluster, operator, namespace, release("guestbook-1-0-0", "1.0.0"), operate)
    cluster.kubectl("scale", "deployment", "shopfront-web", "--replicas=0", "-n", namespace)

    def counted() -> bool:
        actual = get(cluster, "apinst", "shopfront", namespace)
        return (
            int(((actual.get("status") or {}).get("suppressed") or {}).get("maintenance") or 0) >= 1
        )

    eventually(counted, what="the suppressed detection counted", operator=operator)
    assert incidents(cluster, namespace) == []
    cluster.kubectl(
        "patch",
        "dpi",
        "shopfront",
        "-n",
        namespace,
        "--type=json",
        "-p",
        json.dumps([{"op": "remove", "path": "/spec/operate/maintenance"}]),
    )
    one_incident(cluster, namespace, operator, symptom="Drifted")


def test_a_consumer_reports_an_incident_on_their_subscription(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str
) -> None:
    if not isinstance(cluster, LocalCluster):
        pytest.skip("needs a user with a client certificate of the local control plane")
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    support = {"contact": "#guestbook", "knowledge": ["https://guestbook.example.com/faq"]}
    apply(
        cluster,
        offer(
            offer_name,
            namespace,
            audience={"namespaces": [namespace]},
            operate=FAST,
            support=support,
        ),
    )
    apply(
        cluster, subscription("mine", offer_name, parameters={"replicas": 1}), namespace=namespace
    )
    eventually(
        lambda: condition(get(cluster, "sub", "mine", namespace), "Ready").get("status") == "True",
        what="subscribed",
        operator=operator,
    )
    cluster.kubectl("apply", "-f", "manifests/rbac/20-user-roles.yaml")
    cluster.kubectl(
        "create",
        "rolebinding",
        "carl",
        "--clusterrole=it4it-consumer",
        "--user=carl",
        "-n",
        namespace,
    )
    report = {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "Incident",
        "metadata": {"name": "slow-pages"},
        "spec": {
            "instance": "mine",
            "subscription": "mine",
            "summary": "pages take ten seconds",
            "source": "Reported",
            "symptoms": ["Slow"],
            "impact": "Low",
            "urgency": "High",
        },
    }
    carl = cluster.user_kubeconfig("carl")

    def as_carl(ns: str) -> Any:
        return cluster.kubectl(
            "apply", "-n", ns, "-f", "-", input=yaml.safe_dump(report), kubeconfig=carl, check=False
        )

    created = eventually(
        lambda: as_carl(namespace).returncode == 0, timeout=30, what="carl may report"
    )
    assert created
    assert as_carl("default").returncode != 0, "nowhere else"
    done = resolved(cluster, namespace, "slow-pages", operator)
    assert done["status"]["priority"] == "P3", "the reporter's impact and urgency are honoured"
    assert done["status"]["resolverGroup"] == namespace
    assert done["status"]["knowledge"] == ["https://guestbook.example.com/faq"]
    cluster.kubectl(
        "patch",
        "incident",
        "slow-pages",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"spec":{"acceptance":"Accepted"}}',
        kubeconfig=carl,
    )
    eventually(
        lambda: phase(get(cluster, "incident", "slow-pages", namespace)) == "Closed",
        what="closed once accepted",
        operator=operator,
    )


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: look at the instance
      ansible.builtin.debug:
        msg: "looking at {{ instance }} in {{ namespace }}"
"""


def test_a_playbook_runs_and_a_remedy_that_does_not_help_escalates(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    defect = {
        "id": "GB-30",
        "summary": "someone scales it down",
        "symptoms": ["Drifted"],
        "workaround": "look at it",
        "courseOfAction": "Playbook",
        "runbook": "look",
    }
    body = release("guestbook-1-0-0", "1.0.0")
    body["spec"]["knownDefects"] = [defect]
    body["spec"]["runbooks"] = [{"name": "look", "playbook": PLAYBOOK, "timeoutSeconds": 60}]
    shopfront(cluster, operator, namespace, body, {**FAST, "maxAttempts": 1})
    cluster.kubectl("scale", "deployment", "shopfront-web", "--replicas=0", "-n", namespace)
    incident = one_incident(cluster, namespace, operator, symptom="Drifted")
    name = incident["metadata"]["name"]

    def escalated() -> dict[str, Any] | None:
        found = get(cluster, "incident", name, namespace)
        return found if phase(found) == "Escalated" else None

    done = eventually(
        escalated,
        timeout=120,
        what="escalated after maxAttempts",
        operator=operator,
        show=lambda: get(cluster, "incident", name, namespace).get("status"),
    )
    status = done["status"]
    assert [a["action"] for a in status["actions"]] == ["Playbook"], "one attempt, no loop"
    assert status["actions"][0]["result"] == "Succeeded"
    said = " ".join(t.get("message") or "" for t in status["timeline"])
    assert "look at the instance" in said, "the playbook's task events are in the timeline"
    assert condition(done, "Stalled")["status"] == "True"


def test_a_restart_mid_remediation_runs_no_action_twice(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    shopfront(cluster, operator, namespace, release("guestbook-1-0-0", "1.0.0"), FAST)
    cluster.kubectl("scale", "deployment", "shopfront-web", "--replicas=0", "-n", namespace)
    incident = one_incident(cluster, namespace, operator, symptom="Drifted")
    operator.kill()
    operator.start()
    done = resolved(cluster, namespace, incident["metadata"]["name"], operator)
    # At most once per attempt: the attempt is recorded before its action runs, so a kill in
    # between leaves an attempt without a recorded action, never an action run twice.
    started = [t for t in done["status"]["timeline"] if t["event"] == "ActionStarted"]
    assert len({t["message"] for t in started}) == len(started), "no attempt started twice"
    assert len(done["status"].get("actions") or []) <= done["status"].get("attempts", 0)
    assert len(incidents(cluster, namespace)) == 1, "no duplicate incident"


def test_a_recovery_drill_replaces_the_pods_and_meets_its_objective(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str
) -> None:
    now = dt.datetime.now(dt.UTC)
    window = {
        "days": [],
        "start": (now - dt.timedelta(minutes=2)).strftime("%H:%M"),
        "end": (now + dt.timedelta(minutes=30)).strftime("%H:%M"),
        "timeZone": "UTC",
    }
    operate = {**FAST, "recovery": {"objectiveSeconds": 120, "drills": [window]}}
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(
        cluster, offer(offer_name, namespace, audience={"namespaces": [namespace]}, operate=operate)
    )
    apply(
        cluster, subscription("mine", offer_name, parameters={"replicas": 1}), namespace=namespace
    )

    def met() -> dict[str, Any] | None:
        actual = get(cluster, "apinst", "mine", namespace)
        recovery = (actual.get("status") or {}).get("recovery") or {}
        return actual if recovery.get("met") is True else None

    actual = eventually(
        met,
        timeout=180,
        what="a recovery drill within its objective",
        operator=operator,
        show=lambda: get(cluster, "apinst", "mine", namespace).get("status"),
    )
    recovery = actual["status"]["recovery"]
    assert recovery["drills"] == 1
    assert 0 <= recovery["recoverySeconds"] <= 120
    assert condition(actual, "RecoveryObjectiveMet")["status"] == "True"
    assert condition(actual, "RecoveryObjectiveMet")["reason"] == "WithinObjective"
    listed = items(cluster, "pods", namespace, "app=mine-web")
    # A deleted pod may still be listed while it terminates; it no longer serves.
    pods = [p for p in listed if not p["metadata"].get("deletionTimestamp")]
    assert pods, "the Deployment brought its pod back"
    # Every pod serving now was made after the drill deleted the one before it (a new UID).
    assert all(p["metadata"]["creationTimestamp"] >= recovery["lastDrillAt"] for p in pods), listed
    told = json.loads(
        cluster.kubectl(
            "get",
            "events",
            "-n",
            namespace,
            "--field-selector",
            "involvedObject.kind=ActualProductInstance,involvedObject.name=mine",
            "-o",
            "json",
        ).stdout
    )["items"]
    assert {"RecoveryDrillStarted", "RecoveryDrillPassed"} <= {e["reason"] for e in told}
    assert incidents(cluster, namespace) == [], "a drill that met its objective raises nothing"
