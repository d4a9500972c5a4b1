"""Apply order: configuration, then networking, then workloads, then the rest."""

from __future__ import annotations

from typing import Any

import pytest

from it4it_operator.stages.deploy.order import apply_order, removal_order

KINDS = {
    "ConfigMap": "v1",
    "Secret": "v1",
    "ServiceAccount": "v1",
    "PersistentVolumeClaim": "v1",
    "Role": "rbac.authorization.k8s.io/v1",
    "RoleBinding": "rbac.authorization.k8s.io/v1",
    "Service": "v1",
    "Ingress": "networking.k8s.io/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "PodDisruptionBudget": "policy/v1",
}


def objs(*names: str) -> list[dict[str, Any]]:
    """Objects from "Kind/name" strings."""
    out = []
    for text in names:
        kind, _, name = text.partition("/")
        out.append({"apiVersion": KINDS[kind], "kind": kind, "metadata": {"name": name}})
    return out


def names(objects: list[dict[str, Any]]) -> list[str]:
    return [f"{o['kind']}/{o['metadata']['name']}" for o in objects]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(
            ["Deployment/web", "Service/web", "ConfigMap/cfg"],
            ["ConfigMap/cfg", "Service/web", "Deployment/web"],
            id="configuration before services before workloads",
        ),
        pytest.param(
            ["HorizontalPodAutoscaler/web", "Deployment/web", "PodDisruptionBudget/web"],
            ["Deployment/web", "HorizontalPodAutoscaler/web", "PodDisruptionBudget/web"],
            id="autoscalers and disruption budgets come after their workloads",
        ),
        pytest.param(
            ["Secret/b", "ConfigMap/a", "RoleBinding/r", "ServiceAccount/s"],
            ["Secret/b", "ConfigMap/a", "RoleBinding/r", "ServiceAccount/s"],
            id="the release order is kept within a tier",
        ),
        pytest.param(
            ["CronJob/c", "NetworkPolicy/n", "PersistentVolumeClaim/data", "StatefulSet/db"],
            ["PersistentVolumeClaim/data", "NetworkPolicy/n", "CronJob/c", "StatefulSet/db"],
            id="claims are configuration and cron jobs are workloads",
        ),
    ],
)
def test_apply_order(given: list[str], expected: list[str]) -> None:
    assert names(apply_order(objs(*given))) == expected


def test_an_unknown_kind_goes_last() -> None:
    custom = {"apiVersion": "example.com/v1", "kind": "Service", "metadata": {"name": "x"}}
    ordered = apply_order([custom, *objs("Deployment/web")])
    assert ordered[-1] is not None and ordered[-1]["apiVersion"] == "example.com/v1"


def test_removal_order_is_the_reverse_of_apply_order() -> None:
    given = objs("ConfigMap/a", "Deployment/web", "Service/web", "HorizontalPodAutoscaler/web")
    assert names(removal_order(given)) == [
        "HorizontalPodAutoscaler/web",
        "Deployment/web",
        "Service/web",
        "ConfigMap/a",
    ]
