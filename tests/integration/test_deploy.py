"""Deploy value stream (IT4IT 5.4) on the real control plane, with the operator running.

Each test is a scenario of 5.4.1 or a rule of the controllers, asserted as a user sees it:
conditions, Events, the ActualProductInstance, and the objects in the namespace.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from typing import Any

import pytest
from releases import instance, release, web_manifests

from conftest import OperatorProcess, apply, condition, eventually, get, items

pytestmark = pytest.mark.cluster
INSTANCE = "it4it.dev/instance=shopfront"


def ready(cluster: Any, ns: str, name: str) -> bool:
    return condition(get(cluster, "dpi", name, ns), "Ready").get("status") == "True"


def deployed(cluster: Any, operator: OperatorProcess, namespace: str, **spec: Any) -> None:
    """Release 1.0.0 and instance "shopfront" of it (with `spec` options), Ready."""
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(cluster, instance("shopfront", "guestbook-1-0-0", namespace, **spec), namespace=namespace)
    eventually(lambda: ready(cluster, namespace, "shopfront"), what="Ready", operator=operator)


def events(cluster: Any, ns: str, name: str) -> list[dict[str, Any]]:
    found = cluster.kubectl(
        "get", "events", "-n", ns, "-o", "json", "--field-selector", f"involvedObject.name={name}"
    ).stdout
    return list(json.loads(found)["items"])


def deployment_uids(cluster: Any, ns: str) -> list[str]:
    return sorted(o["metadata"]["uid"] for o in items(cluster, "deployments", ns))


def test_a_healthy_release_reaches_ready(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(
        cluster,
        instance("shopfront", "guestbook-1-0-0", namespace, parameters={"replicas": 3}),
        namespace=namespace,
    )

    waited = cluster.kubectl(
        "wait",
        "--for=condition=Ready",
        "dpi/shopfront",
        "-n",
        namespace,
        "--timeout=120s",
        check=False,
    )
    assert waited.returncode == 0, waited.stderr + operator.tail()

    dpi = get(cluster, "dpi", "shopfront", namespace)
    for stage in ("Planned", "Approved", "Fulfilled", "Validated", "Stable"):
        assert condition(dpi, stage)["status"] == "True", (stage, dpi["status"])
    assert dpi["status"]["phase"] == "Running"
    assert dpi["status"]["lastKnownGood"]["release"] == "guestbook-1-0-0"
    assert dpi["status"]["planHash"].startswith("sha256:")

    waited = cluster.kubectl(
        "wait",
        "--for=condition=Ready",
        "apinst/shopfront",
        "-n",
        namespace,
        "--timeout=30s",
        check=False,
    )
    assert waited.returncode == 0, waited.stderr
    actual = get(cluster, "apinst", "shopfront", namespace)
    assert actual["status"]["health"] == "Healthy"
    assert actual["status"]["inChange"] is False, "handed over to Operate after observation"
    listed = {(r["kind"], r["name"], r["health"]) for r in actual["status"]["resources"]}
    assert listed == {
        ("ConfigMap", "shopfront-config", "Healthy"),
        ("Service", "shopfront-web", "Healthy"),
        ("Deployment", "shopfront-web", "Healthy"),
    }
    assert actual["status"]["knownErrors"] == ["GB-17"]

    deployment = get(cluster, "deployment", "shopfront-web", namespace)
    assert deployment["spec"]["replicas"] == 3, "a value that is one placeholder keeps its type"
    assert deployment["metadata"]["labels"]["it4it.dev/instance"] == "shopfront"
    assert deployment["metadata"]["ownerReferences"][0]["kind"] == "ActualProductInstance"
    pods = items(cluster, "pods", namespace, "app=shopfront-web")
    assert len(pods) == 3 and all(p["status"]["phase"] == "Running" for p in pods)
    told = [f"{e['reason']}: {e['message']}" for e in events(cluster, namespace, "shopfront")]
    for stage in ("Planned", "Applied", "AllAvailable", "ObservedStable"):
        assert any(line.startswith(stage) or f"{stage}: " in line for line in told), told


def test_a_failing_upgrade_is_rolled_back(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    apply(
        cluster,
        release("guestbook-1-0-0", "1.0.0"),
        release("guestbook-1-1-0", "1.1.0", failing=True),
        namespace=namespace,
    )
    apply(cluster, instance("shopfront", "guestbook-1-0-0", namespace), namespace=namespace)
    eventually(
        lambda: ready(cluster, namespace, "shopfront"), what="1.0.0 Ready", operator=operator
    )

    apply(cluster, instance("shopfront", "guestbook-1-1-0", namespace), namespace=namespace)

    def rolled_back() -> dict[str, Any] | None:
        dpi = get(cluster, "dpi", "shopfront", namespace)
        return dpi if condition(dpi, "Ready").get("reason") == "RolledBack" else None

    dpi = eventually(
        rolled_back,
        timeout=120,
        what="the rollback",
        operator=operator,
        show=lambda: get(cluster, "dpi", "shopfront", namespace).get("status"),
    )
    ready_condition = condition(dpi, "Ready")
    assert ready_condition["status"] == "False"
    assert "guestbook-1-1-0 failed" in ready_condition["message"]
    assert "last known good release guestbook-1-0-0" in ready_condition["message"]
    assert condition(dpi, "Stalled")["status"] == "True"
    results = [(h["release"], h["result"]) for h in dpi["status"]["history"]]
    failed = results.index(("guestbook-1-1-0", "Failed"))
    assert ("guestbook-1-0-0", "RolledBack") in results[failed:]

    def back_on_good() -> bool:
        pods = items(cluster, "pods", namespace, "app=shopfront-web")
        running = [
            p
            for p in pods
            if p["status"].get("phase") == "Running"
            and "pod-container-running-failed.stage.kwok.x-k8s.io" not in p["metadata"]["labels"]
        ]
        return (
            get(cluster, "deployment", "shopfront-web", namespace)["metadata"]["labels"][
                "it4it.dev/release"
            ]
            == "guestbook-1-0-0"
            and len(running) == 2
        )

    eventually(back_on_good, what="1.0.0 pods back", operator=operator)
    rollback_events = [
        e for e in events(cluster, namespace, "shopfront") if e["reason"] == "RolledBack"
    ]
    assert rollback_events and rollback_events[0]["type"] == "Warning"


def test_manual_approval_applies_nothing_until_the_current_plan_is_approved(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(
        cluster,
        instance(
            "shopfront", "guestbook-1-0-0", namespace, approval="Manual", parameters={"replicas": 1}
        ),
        namespace=namespace,
    )

    def awaiting() -> dict[str, Any] | None:
        dpi = get(cluster, "dpi", "shopfront", namespace)
        return dpi if condition(dpi, "Approved").get("reason") == "AwaitingApproval" else None

    old_hash = eventually(awaiting, what="AwaitingApproval")["status"]["planHash"]
    # The plan changes before anyone approves: an Approval for the old hash must not count.
    apply(
        cluster,
        instance(
            "shopfront", "guestbook-1-0-0", namespace, approval="Manual", parameters={"replicas": 2}
        ),
        namespace=namespace,
    )
    new_hash = eventually(
        lambda: (
            (h := get(cluster, "dpi", "shopfront", namespace)["status"].get("planHash")) != old_hash
            and h
        ),
        what="a new plan hash",
    )
    apply(
        cluster,
        {
            "apiVersion": "it4it.dev/v1alpha1",
            "kind": "Approval",
            "metadata": {"name": "stale"},
            "spec": {
                "desiredInstance": "shopfront",
                "planHash": old_hash,
                "approver": "jane",
                "comment": "CAB 41",
            },
        },
        namespace=namespace,
    )
    dpi = eventually(awaiting, what="still awaiting with a stale approval")
    assert (
        "stale" in condition(dpi, "Approved")["message"]
        or old_hash in condition(dpi, "Approved")["message"]
    )
    assert items(cluster, "deployments,services,configmaps", namespace, INSTANCE) == []

    apply(
        cluster,
        {
            "apiVersion": "it4it.dev/v1alpha1",
            "kind": "Approval",
            "metadata": {"name": "current"},
            "spec": {
                "desiredInstance": "shopfront",
                "planHash": new_hash,
                "approver": "jane",
                "comment": "CAB 42",
            },
        },
        namespace=namespace,
    )
    eventually(
        lambda: ready(cluster, namespace, "shopfront"),
        what="Ready after approval",
        operator=operator,
    )
    approved = condition(get(cluster, "dpi", "shopfront", namespace), "Approved")
    assert approved["reason"] == "Approved" and "jane" in approved["message"]
    waited = cluster.kubectl(
        "wait",
        "--for=condition=Ready",
        "approval/current",
        "-n",
        namespace,
        "--timeout=30s",
        check=False,
    )
    assert waited.returncode == 0, waited.stderr
    eventually(
        lambda: (
            condition(get(cluster, "approval", "stale", namespace), "Ready").get("reason")
            == "StalePlan"
        ),
        what="the stale Approval says it does not count",
    )


@pytest.mark.parametrize(
    "stray, words",
    [
        pytest.param(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": "$(instance.name)-admin"},
                "rules": [],
            },
            "cluster-scoped",
            id="a release that renders a ClusterRole is refused",
        ),
        pytest.param(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "elsewhere", "namespace": "kube-system"},
                "data": {},
            },
            "kube-system",
            id="a release that writes into another namespace is refused",
        ),
    ],
)
def test_a_release_leaving_its_namespace_is_refused_and_nothing_applied(
    cluster: Any,
    operator: OperatorProcess,
    namespace: str,
    stray: dict[str, Any],
    words: str,
) -> None:
    apply(
        cluster,
        release("bad-1-0-0", "1.0.0", manifests=[*web_manifests(), stray]),
        namespace=namespace,
    )
    apply(cluster, instance("shopfront", "bad-1-0-0", namespace), namespace=namespace)

    def refused() -> dict[str, Any] | None:
        dpi = get(cluster, "dpi", "shopfront", namespace)
        return dpi if condition(dpi, "Planned").get("reason") == "TenancyViolation" else None

    dpi = eventually(refused, what="TenancyViolation", operator=operator)
    assert words in condition(dpi, "Planned")["message"]
    assert condition(dpi, "Stalled")["status"] == "True"
    assert condition(dpi, "Ready")["status"] == "False"
    assert items(cluster, "deployments,services,configmaps", namespace, INSTANCE) == []
    assert "shopfront-admin" not in cluster.kubectl("get", "clusterroles", "-o", "name").stdout
    assert get(cluster, "configmap", "elsewhere", "kube-system") == {}


def test_parameter_edits_roll_out_and_hand_edits_are_repaired(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    deployed(cluster, operator, namespace, parameters={"replicas": 1})
    first_hash = get(cluster, "dpi", "shopfront", namespace)["status"]["planHash"]

    apply(
        cluster,
        instance("shopfront", "guestbook-1-0-0", namespace, parameters={"replicas": 4}),
        namespace=namespace,
    )
    eventually(
        lambda: get(cluster, "deployment", "shopfront-web", namespace)["spec"]["replicas"] == 4,
        what="replicas 4 rolled out",
        operator=operator,
    )
    eventually(
        lambda: (
            ready(cluster, namespace, "shopfront")
            and get(cluster, "dpi", "shopfront", namespace)["status"]["planHash"] != first_hash
        ),
        what="Ready on the new plan",
        operator=operator,
    )

    cluster.kubectl("scale", "deployment/shopfront-web", "-n", namespace, "--replicas=7")
    eventually(
        lambda: get(cluster, "deployment", "shopfront-web", namespace)["spec"]["replicas"] == 4,
        what="drift repaired",
        operator=operator,
    )
    assert any(
        e["reason"] == "DriftRepaired" and "replicas" in e["message"]
        for e in events(cluster, namespace, "shopfront")
    )


def test_restarting_the_operator_mid_fulfilment_creates_no_duplicates(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(
        cluster, instance("shopfront", "guestbook-1-0-0", namespace, observe=5), namespace=namespace
    )
    eventually(
        lambda: (
            get(cluster, "dpi", "shopfront", namespace).get("status", {}).get("appliedPlanHash")
        ),
        what="fulfilment under way",
        operator=operator,
    )
    operator.kill()
    uids_before = deployment_uids(cluster, namespace)
    operator.start()
    eventually(
        lambda: ready(cluster, namespace, "shopfront"),
        timeout=120,
        what="Ready after restart",
        operator=operator,
    )
    assert deployment_uids(cluster, namespace) == uids_before
    for kind in ("deployments", "services", "configmaps"):
        assert len(items(cluster, kind, namespace, INSTANCE)) == 1, kind
    assert len(items(cluster, "apinst", namespace)) == 1


def test_disable_scales_to_zero_and_back_and_delete_removes_everything(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    deployed(cluster, operator, namespace)

    apply(
        cluster,
        instance("shopfront", "guestbook-1-0-0", namespace, state="Disabled"),
        namespace=namespace,
    )
    eventually(
        lambda: get(cluster, "dpi", "shopfront", namespace)["status"].get("phase") == "Disabled",
        what="Disabled",
        operator=operator,
    )
    eventually(
        lambda: not items(cluster, "pods", namespace, "app=shopfront-web"),
        what="pods gone while disabled",
    )
    assert get(cluster, "deployment", "shopfront-web", namespace)["spec"]["replicas"] == 0
    assert get(cluster, "apinst", "shopfront", namespace)["status"]["health"] == "Suspended"

    apply(cluster, instance("shopfront", "guestbook-1-0-0", namespace), namespace=namespace)
    eventually(
        lambda: (
            len(
                [
                    p
                    for p in items(cluster, "pods", namespace, "app=shopfront-web")
                    if p["status"].get("phase") == "Running"
                ]
            )
            == 2
        ),
        what="pods back when enabled",
        operator=operator,
    )
    eventually(
        lambda: ready(cluster, namespace, "shopfront"), what="Ready again", operator=operator
    )

    cluster.kubectl("delete", "dpi", "shopfront", "-n", namespace, "--timeout=90s")
    for kind in ("deployments", "services", "configmaps", "apinst"):
        eventually(
            lambda kind=kind: (
                not [
                    o
                    for o in items(cluster, kind, namespace)
                    if o["metadata"].get("labels", {}).get("it4it.dev/instance") == "shopfront"
                    or kind == "apinst"
                ]
            ),
            what=f"{kind} removed",
            operator=operator,
        )


def test_a_closed_change_window_holds_the_change_until_it_opens(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    now = dt.datetime.now(dt.UTC)
    opens, closes = now + dt.timedelta(hours=2), now + dt.timedelta(hours=3)
    window = {
        "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "start": opens.strftime("%H:%M"),
        "end": closes.strftime("%H:%M"),
        "timeZone": "UTC",
    }
    dpi = instance("shopfront", "guestbook-1-0-0", namespace)
    dpi["spec"]["plan"]["changeWindow"] = window
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(cluster, dpi, namespace=namespace)

    def held() -> dict[str, Any] | None:
        found = condition(get(cluster, "dpi", "shopfront", namespace), "Fulfilled")
        return found if found.get("reason") == "OutsideChangeWindow" else None

    fulfilled = eventually(held, what="OutsideChangeWindow", operator=operator)
    assert fulfilled["status"] == "False" and opens.strftime("%H:%M") in fulfilled["message"]
    assert get(cluster, "dpi", "shopfront", namespace)["status"]["phase"] == "WaitingForWindow"
    assert items(cluster, "deployments,services,configmaps", namespace, INSTANCE) == []


def test_parameters_outside_the_release_schema_are_refused_naming_the_field(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(
        cluster,
        instance("shopfront", "guestbook-1-0-0", namespace, parameters={"replicas": 99}),
        namespace=namespace,
    )

    def refused() -> dict[str, Any] | None:
        found = condition(get(cluster, "dpi", "shopfront", namespace), "Planned")
        return found if found.get("reason") == "InvalidParameters" else None

    planned = eventually(refused, what="InvalidParameters", operator=operator)
    assert "spec.parameters.replicas" in planned["message"] and "20" in planned["message"]
    assert any(
        e["reason"] == "InvalidParameters" and e["type"] == "Warning"
        for e in events(cluster, namespace, "shopfront")
    )
    assert items(cluster, "deployments,services,configmaps", namespace, INSTANCE) == []


def test_an_instance_synced_before_its_release_waits_for_it(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    """GitOps tools apply in any order: a missing release is waited for, not a dead end."""
    apply(cluster, instance("shopfront", "guestbook-1-0-0", namespace), namespace=namespace)

    def waiting() -> dict[str, Any] | None:
        dpi = get(cluster, "dpi", "shopfront", namespace)
        return dpi if condition(dpi, "Planned").get("reason") == "ReleaseNotFound" else None

    dpi = eventually(waiting, what="ReleaseNotFound", operator=operator)
    assert condition(dpi, "Reconciling")["status"] == "True"
    assert condition(dpi, "Stalled") == {}

    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    eventually(
        lambda: ready(cluster, namespace, "shopfront"),
        what="Ready once the release exists",
        operator=operator,
    )


def test_reconcile_metrics_are_served_for_prometheus(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    deployed(cluster, operator, namespace)

    url = f"http://127.0.0.1:{operator.env['IT4IT_METRICS_PORT']}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    passes = {
        line.split("{")[1].split("}")[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("it4it_reconcile_total{")
    }
    assert passes['kind="DesiredProductInstance",result="success"'] >= 1
    assert passes['kind="ProductRelease",result="success"'] >= 1
    assert "it4it_reconcile_duration_seconds_bucket" in text


def test_objects_that_leave_the_plan_are_pruned(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    deployed(cluster, operator, namespace)
    without_config = [m for m in web_manifests() if m["kind"] != "ConfigMap"]
    apply(
        cluster, release("guestbook-1-1-0", "1.1.0", manifests=without_config), namespace=namespace
    )
    apply(cluster, instance("shopfront", "guestbook-1-1-0", namespace), namespace=namespace)

    eventually(
        lambda: get(cluster, "configmap", "shopfront-config", namespace) == {},
        what="the ConfigMap pruned",
        operator=operator,
    )
    fulfilled = condition(get(cluster, "dpi", "shopfront", namespace), "Fulfilled")
    assert "removed ConfigMap/shopfront-config" in fulfilled["message"]
    assert (
        get(cluster, "deployment", "shopfront-web", namespace)["metadata"]["labels"][
            "it4it.dev/release"
        ]
        == "guestbook-1-1-0"
    )
