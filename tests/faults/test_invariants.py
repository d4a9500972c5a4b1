"""The invariant checker and the report, on hand-made objects: no cluster."""

from __future__ import annotations

import datetime as dt
from typing import Any

from faults import invariants as inv
from faults.report import FaultResult, table
from faults.scenarios import kill_plan
from it4it_operator.devcluster import audit

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PLANNED = {"ConfigMap": 1, "Deployment": 1}


def obj(
    kind: str, name: str, uid: str, ns: str = "shop", labels: dict[str, str] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "uid": uid}
    if labels is not None:
        meta["labels"] = dict(labels)
    return {"kind": kind, "metadata": meta}


def owned(child: dict[str, Any], owner: dict[str, Any]) -> dict[str, Any]:
    child["metadata"]["ownerReferences"] = [
        {
            "kind": owner["kind"],
            "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"],
            "controller": True,
        }
    ]
    return child


def ready(o: dict[str, Any], status: str = "True", generation: int = 1) -> dict[str, Any]:
    o["metadata"]["generation"] = generation
    o["status"] = {
        "conditions": [{"type": "Ready", "status": status, "observedGeneration": generation}]
    }
    return o


def instance(name: str, n: int = 1) -> tuple[dict[str, Any], ...]:
    """A subscription, its instance, actual instance and the two planned children."""
    sub = ready(obj("Subscription", name, f"s{n}"))
    dpi = owned(ready(obj("DesiredProductInstance", name, f"d{n}")), sub)
    actual = owned(obj("ActualProductInstance", name, f"a{n}"), dpi)
    label = {inv.INSTANCE_LABEL: name}
    cm = owned(obj("ConfigMap", name, f"c{n}", labels=label), actual)
    deploy = owned(obj("Deployment", name, f"p{n}", labels=label), actual)
    return sub, dpi, actual, cm, deploy


def snapshot(*instances: tuple[dict[str, Any], ...], **extra: Any) -> inv.Snapshot:
    parts = list(zip(*instances, strict=True)) if instances else [[]] * 5
    return inv.Snapshot(
        subscriptions=list(parts[0]),
        instances=list(parts[1]),
        actuals=list(parts[2]),
        children=[*parts[3], *parts[4], *extra.pop("children", [])],
        taken_at=T0,
        **extra,
    )


def names(found: list[inv.Violation]) -> list[str]:
    return sorted(v.invariant for v in found)


def test_a_converged_instance_violates_nothing() -> None:
    assert inv.check(snapshot(instance("web", 1), instance("db", 2)), planned=PLANNED) == []


def test_a_subscription_not_ready_counts_only_after_the_deadline() -> None:
    sub, *rest = instance("web")
    ready(sub, status="False")
    shot = snapshot((sub, *rest))
    early = inv.check(shot, planned=PLANNED, last_restart=T0 - dt.timedelta(seconds=30))
    late = inv.check(shot, planned=PLANNED, last_restart=T0 - dt.timedelta(seconds=61))
    assert early == []
    assert names(late) == ["not-ready"]
    charged = inv.check(
        shot, planned=PLANNED, last_restart=T0 - dt.timedelta(seconds=61), ignore={("shop", "web")}
    )
    assert charged == []
    assert "61 s after the fault or restart" in late[0].detail


def test_ready_of_an_older_generation_is_not_ready() -> None:
    sub = ready(obj("Subscription", "web", "s1"), generation=1)
    sub["metadata"]["generation"] = 2
    assert not inv.is_ready(sub)
    found = inv.subscriptions_ready([sub], taken_at=T0, last_restart=None)
    assert names(found) == ["not-ready"]


def test_a_duplicate_child_and_a_missing_one_are_named() -> None:
    _, dpi, actual, cm, _ = instance("web")
    twin = owned(obj("ConfigMap", "web-2", "c9", labels={inv.INSTANCE_LABEL: "web"}), actual)
    found = inv.children([dpi], [actual], [cm, twin], PLANNED)
    assert names(found) == ["children"]
    assert "'ConfigMap': 2" in found[0].detail
    assert "Deployment" in found[0].detail.split("planned")[1]


def test_an_orphan_child_and_an_unlabelled_one() -> None:
    _, dpi, actual, cm, deploy = instance("web")
    ghost = obj("ActualProductInstance", "gone", "a9")
    orphan = owned(obj("Deployment", "gone", "p9", labels={inv.INSTANCE_LABEL: "gone"}), ghost)
    bare = owned(obj("Service", "web", "v1"), actual)
    found = inv.children([dpi], [actual], [cm, deploy, orphan, bare], PLANNED)
    assert names(found) == ["children", "orphan", "unlabelled"]


def test_a_child_labelled_for_another_instance_or_outside_its_namespace() -> None:
    _, dpi, actual, cm, deploy = instance("web")
    cm["metadata"]["labels"][inv.INSTANCE_LABEL] = "db"
    deploy["metadata"]["namespace"] = "elsewhere"
    found = inv.children([dpi], [actual], [cm, deploy], PLANNED)
    assert names(found) == ["mislabelled", "namespace"]


def test_two_actual_instances_for_one_desired_instance() -> None:
    _, dpi, actual, cm, deploy = instance("web")
    second = owned(obj("ActualProductInstance", "web-b", "a2"), dpi)
    found = inv.children([dpi], [actual, second], [cm, deploy], PLANNED)
    assert "instances" in names(found)


def test_children_of_an_instance_being_deleted_are_not_counted() -> None:
    _, dpi, actual, cm, _ = instance("web")
    dpi["metadata"]["deletionTimestamp"] = "2026-03-01T12:00:00Z"
    assert inv.children([dpi], [actual], [cm], PLANNED) == []


def test_an_instance_whose_subscription_is_gone() -> None:
    sub, dpi, *_ = instance("web")
    assert names(inv.ownership([], [dpi])) == ["orphan"]
    assert inv.ownership([sub], [dpi]) == []


def test_a_stuck_finalizer() -> None:
    _, dpi, *_ = instance("web")
    dpi["metadata"]["finalizers"] = [inv.FINALIZER]
    assert inv.stuck_finalizers([dpi]) == []
    dpi["metadata"]["deletionTimestamp"] = "2026-03-01T12:00:00Z"
    assert names(inv.stuck_finalizers([dpi])) == ["finalizer"]
    dpi["metadata"]["finalizers"] = ["example.com/other"]
    assert inv.stuck_finalizers([dpi]) == []


def test_a_namespace_that_should_be_gone() -> None:
    ns = {"kind": "Namespace", "metadata": {"name": "doomed"}, "status": {"phase": "Terminating"}}
    found = inv.namespaces_gone([ns], ["doomed", "other"])
    assert names(found) == ["namespace"]
    assert "Terminating" in found[0].detail


def incident(
    name: str, instance: str, phase: str, seen: str = "", resolved: str = ""
) -> dict[str, Any]:
    status = {"phase": phase, "symptom": "Drifted"}
    if seen:
        status["firstSeen"] = f"2026-01-01T00:{seen}Z"
    if resolved:
        status["resolvedAt"] = f"2026-01-01T00:{resolved}Z"
    return {
        "kind": "Incident",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"instance": instance},
        "status": status,
    }


def test_incident_storm_and_open_incidents() -> None:
    few = [incident(f"i{n}", "web", "Resolved") for n in range(3)]
    assert inv.incident_storm(few, final=True) == []
    storm = [*few, incident("i9", "web", "Resolved")]
    assert names(inv.incident_storm(storm)) == ["incident-storm"]
    still = [incident("i1", "web", "Verifying")]
    assert inv.incident_storm(still) == []
    assert names(inv.incident_storm(still, final=True)) == ["incident-open"]
    assert inv.incident_storm(storm, caused={"shop/web": 1}) == [], "one break on purpose"
    assert names(inv.incident_storm(storm, caused={"shop/other": 1})) == ["incident-storm"]


def test_two_incidents_of_one_symptom_open_at_once_are_a_duplicate() -> None:
    apart = [
        incident("i1", "web", "Resolved", seen="01:00", resolved="02:00"),
        incident("i2", "web", "Resolved", seen="03:00", resolved="04:00"),
    ]
    assert inv.incident_duplicates(apart) == []
    overlapping = [*apart, incident("i3", "web", "Verifying", seen="03:30")]
    [found] = inv.incident_duplicates(overlapping)
    assert found.invariant == "incident-duplicate"
    assert "i3" in found.detail.split(" opened while ")[0], found.detail
    assert "i2" in found.detail.split(" opened while ")[1], found.detail
    other_instance = [*apart, incident("i4", "api", "Detected", seen="03:30")]
    assert inv.incident_duplicates(other_instance) == []
    major = incident("major-web", "web", "Verifying", seen="03:30")
    major["metadata"]["labels"] = {"it4it.dev/major": "true"}
    assert inv.incident_duplicates([*apart, major]) == [], "a major incident is their parent"
    assert inv.incident_storm([*apart, incident("i5", "web", "Resolved"), major]) == []


def event(reason: str, count: int = 1, api_version: str = "it4it.dev/v1alpha1") -> dict[str, Any]:
    return {
        "kind": "Event",
        "reason": reason,
        "count": count,
        "involvedObject": {
            "apiVersion": api_version,
            "kind": "Subscription",
            "name": "web",
            "namespace": "shop",
            "uid": "s1",
        },
    }


def test_event_storm_counts_events_per_it4it_object() -> None:
    calm = [event("Ready")] * 40
    assert inv.event_storm(calm) == []
    assert names(inv.event_storm([*calm, event("Ready")])) == ["event-storm"]
    assert names(inv.event_storm([event("Ready", count=41)])) == ["event-storm"]
    assert inv.event_storm([event("Scaled", 99, api_version="apps/v1")]) == []
    changed = {"kind": "Subscription", "metadata": {"name": "web", "uid": "s1", "generation": 3}}
    assert inv.event_storm([event("Ready", count=48)], [changed]) == []
    assert names(inv.event_storm([event("Ready", count=49)], [changed])) == ["event-storm"]


def test_duplicated_history_entries() -> None:
    _, dpi, *_ = instance("web")
    entry = {"release": "web-1", "planHash": "sha256:ab", "result": "Applied", "at": "T1"}
    dpi["status"]["history"] = [entry, {**entry, "result": "Succeeded"}]
    assert inv.history_duplicates([dpi]) == []
    dpi["status"]["history"].append(dict(entry))
    found = inv.history_duplicates([dpi])
    assert names(found) == ["history"]
    assert "2 x Applied" in found[0].detail


def test_lost_changes_read_the_instance_and_the_deployment() -> None:
    _, dpi, _, _, deploy = instance("web")
    dpi["spec"] = {"parameters": {"replicas": 2}}
    deploy["spec"] = {"replicas": 1}
    expected = {("shop", "web"): 2}
    assert inv.lost_changes(expected, [dpi], [deploy]) == [
        "shop/web: Deployment has replicas=1, asked 2"
    ]
    deploy["spec"]["replicas"] = 2
    assert inv.lost_changes(expected, [dpi], [deploy]) == []
    dpi["spec"]["parameters"]["replicas"] = 3
    assert "instance has replicas=3" in inv.lost_changes(expected, [dpi], [deploy])[0]
    assert "instance has replicas=None" in inv.lost_changes(expected, [], [])[0]


def test_the_table_has_one_row_per_fault_and_names_what_failed() -> None:
    ok = FaultResult("kill anywhere", injected=10, recoveries=[2.0, 4.0, 9.0])
    bad = FaultResult("watch cut", injected=1, recoveries=[150.0])
    bad.violate([inv.Violation("recovery", "watch cut", "not converged 120 s after it")] * 2)
    bad.lost.append("faults-subs/sub-1: Deployment has replicas=1, asked 2")
    skipped = FaultResult("two replicas", skipped="not there yet")
    text = table([ok, bad, skipped], seed=42)
    assert "Seed: 42" in text
    assert "| kill anywhere | 10 | 4.0 s | 9.0 s | 0 | 0 |" in text
    assert "| watch cut | 1 | 150 s | 150 s | 1 | 1 |" in text
    assert "| two replicas | skipped |" in text
    assert "Invariant violations: 1. Changes lost: 1." in text
    assert "lost change: faults-subs/sub-1" in text
    assert not ok.failed and bad.failed


def test_the_kill_plan_keeps_half_the_subscriptions_for_the_start() -> None:
    assert kill_plan(100, 200) == (1, 100)
    assert kill_plan(10, 30) == (1, 20)
    assert kill_plan(0, 30)[1] == 30


def test_the_audit_policy_can_name_both_replicas_users() -> None:
    policy = audit.policy("it4it-operator", "it4it-operator-b")
    assert policy["rules"][0] == {
        "level": "Metadata",
        "users": ["it4it-operator", "it4it-operator-b"],
    }
    assert policy["rules"][-1] == {"level": "None"}
    assert audit.policy()["rules"][0]["users"] == ["it4it-operator"]
