"""Apply as the tenant (issue "Tenancy and governance", item 1), with real RBAC and Pod Security.

The session's operator runs with its ServiceAccount's token and exactly the chart's RBAC
(tests/integration/conftest.py). A release's objects are written impersonating the
namespace's deployer (`it4it tenant enable NAMESPACE`: bound to `admin` there), so what a
release may do in a namespace is what its tenant may do: no Role beyond admin, no privileged
pod where Pod Security says restricted.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest
from releases import instance, release, web_manifests

from conftest import OperatorProcess, apply, condition, eventually, get, items
from it4it_operator.devcluster import tools

pytestmark = pytest.mark.cluster
ROLES = "roles.rbac.authorization.k8s.io"


def can_i(operator: OperatorProcess, *args: str) -> bool:
    out = tools.kubectl(operator.kubeconfig, "auth", "can-i", *args, check=False)
    return out.stdout.strip() == "yes"


@pytest.mark.parametrize(
    ("question", "allowed"),
    [
        pytest.param(
            ("escalate", "roles.rbac.authorization.k8s.io", "-A"), False, id="no escalate"
        ),
        pytest.param(("bind", "roles.rbac.authorization.k8s.io", "-A"), False, id="no bind"),
        pytest.param(("bind", "clusterroles.rbac.authorization.k8s.io"), False, id="no bind cr"),
        pytest.param(("create", "roles.rbac.authorization.k8s.io", "-A"), False, id="no roles"),
        pytest.param(("create", "secrets", "-A"), False, id="no secret writes"),
        pytest.param(("patch", "secrets", "-n", "default"), False, id="no secret patch"),
        pytest.param(("create", "deployments.apps", "-A"), False, id="no own workload writes"),
        pytest.param(("delete", "configmaps", "-A"), False, id="no own deletes"),
        pytest.param(("create", "clusterrolebindings"), False, id="nothing cluster-scoped"),
        pytest.param(("impersonate", "users"), False, id="impersonates no user"),
        pytest.param(("impersonate", "groups"), False, id="impersonates no group"),
        pytest.param(
            ("impersonate", "serviceaccounts/default", "-n", "default"), False, id="no sa"
        ),
        pytest.param(
            ("impersonate", "serviceaccounts/it4it-deployer", "-n", "default"), True, id="deployer"
        ),
        pytest.param(("watch", "deployments.apps", "-A"), True, id="watches workloads"),
        pytest.param(("patch", "desiredproductinstances.it4it.dev/status", "-A"), True, id="own"),
    ],
)
def test_the_operator_s_own_rights_are_the_chart_s_and_no_more(
    operator: OperatorProcess, question: tuple[str, ...], allowed: bool
) -> None:
    assert can_i(operator, *question) is allowed


HOSTILE_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "Role",
    "metadata": {"name": "$(instance.name)-everything"},
    "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
}


def _privileged(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The web Deployment made privileged, with a hostPath volume."""
    for obj in manifests:
        if obj["kind"] == "Deployment":
            pod = obj["spec"]["template"]["spec"]
            pod["containers"][0]["securityContext"] = {"privileged": True}
            pod["containers"][0]["volumeMounts"] = [{"name": "host", "mountPath": "/host"}]
            pod["volumes"] = [{"name": "host", "hostPath": {"path": "/"}}]
    return manifests


def test_a_hostile_release_is_refused_by_the_tenant_s_rights_and_nothing_is_applied(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    cluster.kubectl(
        "label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted"
    )
    hostile = release(
        "guestbook-6-6-6", "6.6.6", manifests=[HOSTILE_ROLE, *_privileged(web_manifests())]
    )
    apply(cluster, hostile, instance("mine", "guestbook-6-6-6", namespace), namespace=namespace)

    def refused() -> dict[str, Any] | None:
        dpi = get(cluster, "dpi", "mine", namespace)
        return dpi if condition(dpi, "Fulfilled").get("reason") == "ObjectForbidden" else None

    dpi = eventually(refused, timeout=60, what="the plan refused", operator=operator)
    message = condition(dpi, "Fulfilled")["message"]
    assert "Role" in message and "attempting to grant RBAC permissions" in message, message
    assert "would violate PodSecurity" in message and "privileged" in message, message
    assert "hostPath" in message, message
    assert condition(dpi, "Stalled")["status"] == "True"
    for kind in ("roles", "configmaps", "deployments", "replicasets", "pods"):
        assert items(cluster, kind, namespace, "it4it.dev/instance") == [], f"no {kind} applied"


def test_a_namespace_without_a_deployer_is_stalled_until_the_tenant_is_enabled(
    cluster: Any, operator: OperatorProcess
) -> None:
    name = f"no-deployer-{int(time.time() * 1000) % 100000}"  # not the fixture's: no tenant
    cluster.kubectl("create", "namespace", name)
    try:
        ordered = instance("mine", "guestbook-1-0-0", name, parameters={"replicas": 1})
        apply(cluster, release("guestbook-1-0-0", "1.0.0"), ordered, namespace=name)

        def stalled() -> dict[str, Any] | None:
            dpi = get(cluster, "dpi", "mine", name)
            return dpi if condition(dpi, "Ready").get("reason") == "DeployerMissing" else None

        dpi = eventually(stalled, timeout=60, what="DeployerMissing", operator=operator)
        assert condition(dpi, "Stalled")["status"] == "True"
        assert f"it4it tenant enable {name}" in condition(dpi, "Ready")["message"]
        assert items(cluster, "deployments", name, "it4it.dev/instance") == []

        enable = subprocess.run(
            [sys.executable, "-m", "it4it_operator.cli", "tenant", "enable", name],
            env={"KUBECONFIG": str(cluster.kubeconfig), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert enable.returncode == 0, enable.stderr
        assert "it4it-deployer" in enable.stdout
        eventually(
            lambda: condition(get(cluster, "dpi", "mine", name), "Ready").get("status") == "True",
            timeout=120,
            what="Ready once the tenant is enabled",
            operator=operator,
        )
    finally:
        cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)
