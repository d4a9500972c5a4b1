"""State Disabled: workloads scaled to zero, cron jobs suspended, everything else kept."""

from __future__ import annotations

from typing import Any

import pytest

from it4it_operator.stages.deploy.disable import scale_to_zero


@pytest.mark.parametrize(
    ("obj", "expected_spec"),
    [
        pytest.param(
            {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 3}},
            {"replicas": 0},
            id="a Deployment is scaled to zero",
        ),
        pytest.param(
            {"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {"serviceName": "db"}},
            {"serviceName": "db", "replicas": 0},
            id="a StatefulSet without replicas gets zero",
        ),
        pytest.param(
            {"apiVersion": "batch/v1", "kind": "CronJob", "spec": {"schedule": "* * * * *"}},
            {"schedule": "* * * * *", "suspend": True},
            id="a CronJob is suspended",
        ),
        pytest.param(
            {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}},
            None,
            id="a ConfigMap is kept as it is",
        ),
        pytest.param(
            {"apiVersion": "example.com/v1", "kind": "Deployment", "spec": {"replicas": 2}},
            {"replicas": 2},
            id="a Deployment of another API group is not touched",
        ),
    ],
)
def test_scale_to_zero(obj: dict[str, Any], expected_spec: dict[str, Any] | None) -> None:
    (disabled,) = scale_to_zero([obj])
    assert disabled.get("spec") == expected_spec
    assert disabled is not obj


def test_scale_to_zero_never_mutates_its_input() -> None:
    obj: dict[str, Any] = {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 3}}
    scale_to_zero([obj])
    assert obj["spec"]["replicas"] == 3
