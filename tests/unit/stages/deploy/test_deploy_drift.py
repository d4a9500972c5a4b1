"""Validate Deployment: what runs is compared with what was planned, field by field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from it4it_operator.stages.deploy.drift import compute_drift
from it4it_operator.stages.deploy.objects import object_key

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
    "spec": {
        "replicas": 3,
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "web@sha256:1",
                        "resources": {"limits": {"cpu": "0.5", "memory": "1Gi"}},
                        "ports": [{"containerPort": 80}],
                    }
                ]
            }
        },
    },
}


def live_of(obj: dict[str, Any], **paths: Any) -> dict[str, Any]:
    """A live copy with defaults the API server adds, and `paths` ("a__b" for a.b) replaced."""
    live = copy.deepcopy(obj)
    live["metadata"].update({"uid": "u1", "generation": 2})
    live["metadata"].setdefault("labels", {})["pod-template-hash"] = "abc"
    live["status"] = {"replicas": 3}
    for path, value in paths.items():
        *parents, leaf = path.split("__")
        target: Any = live
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[leaf] = value
    return live


def drift(desired: dict[str, Any], live: dict[str, Any] | None) -> list[str]:
    return compute_drift([desired], {object_key(desired): live})


def container(**changes: Any) -> list[dict[str, Any]]:
    base = copy.deepcopy(DEPLOYMENT["spec"]["template"]["spec"]["containers"][0])
    base.update(changes)
    return [base]


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        pytest.param(live_of(DEPLOYMENT), [], id="fields the API server adds are no drift"),
        pytest.param(None, ["Deployment/web: missing"], id="a missing object is reported"),
        pytest.param(
            live_of(DEPLOYMENT, spec__replicas=5),
            ["Deployment/web: spec.replicas is 5, want 3"],
            id="a changed replica count is reported",
        ),
        pytest.param(
            live_of(DEPLOYMENT, metadata__labels={"app": "other"}),
            ['Deployment/web: metadata.labels.app is "other", want "web"'],
            id="a changed label is reported",
        ),
        pytest.param(
            live_of(
                DEPLOYMENT,
                spec__template__spec__containers=[
                    {"name": "sidecar", "image": "proxy"},
                    *container(),
                ],
            ),
            [],
            id="containers are matched by name, so an injected sidecar is no drift",
        ),
        pytest.param(
            live_of(DEPLOYMENT, spec__template__spec__containers=container(image="web@sha256:2")),
            [
                "Deployment/web: spec.template.spec.containers[name=web].image is "
                '"web@sha256:2", want "web@sha256:1"'
            ],
            id="a changed image names the container",
        ),
        pytest.param(
            live_of(
                DEPLOYMENT,
                spec__template__spec__containers=container(
                    resources={"limits": {"cpu": "500m", "memory": "1024Mi"}}
                ),
            ),
            [],
            id="quantities the API server rewrites are equal",
        ),
        pytest.param(
            live_of(
                DEPLOYMENT,
                spec__template__spec__containers=container(
                    ports=[{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 9090}]
                ),
            ),
            [],
            id="lists are compared by index for the length of the desired list",
        ),
        pytest.param(
            live_of(DEPLOYMENT, spec__template__spec__containers=container(ports=[])),
            [
                "Deployment/web: spec.template.spec.containers[name=web].ports[0] is not set, "
                'want {"containerPort":80}'
            ],
            id="a missing list element is reported",
        ),
        pytest.param(
            live_of(DEPLOYMENT, spec__template__spec__containers=[]),
            [
                "Deployment/web: spec.template.spec.containers[name=web] is not set, want "
                '{"image":"web@sha256:1","name":"web","ports":[{"containerPort":80}],'
                '"resources":{"limits":{"cpu":"0.5","memory":"1Gi"}}}'
            ],
            id="a missing container is reported by name",
        ),
    ],
)
def test_deployment_drift(live: dict[str, Any] | None, expected: list[str]) -> None:
    assert drift(DEPLOYMENT, live) == expected


def test_secret_values_never_appear_in_drift() -> None:
    secret: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "data": {"password": "c2VjcmV0", "user": "YWRtaW4="},
        "stringData": {"token": "plain"},
    }
    live = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "data": {"password": "b3RoZXI="},
    }
    assert drift(secret, live) == [
        "Secret/db: data.password differs",
        "Secret/db: data.user is not set",
    ]


def test_top_level_fields_other_than_spec_are_compared() -> None:
    role: dict[str, Any] = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "reader"},
        "rules": [{"verbs": ["get"], "resources": ["pods"], "apiGroups": [""]}],
    }
    live = copy.deepcopy(role)
    live["rules"][0]["verbs"] = ["list"]
    assert drift(role, live) == ['Role/reader: rules[0].verbs[0] is "list", want "get"']


def test_drift_is_bounded_and_deterministic() -> None:
    configmaps = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}"}} for i in range(80)
    ]
    found = compute_drift(configmaps, {})
    assert len(found) == 50
    assert found[0] == "ConfigMap/c0: missing"
    assert found[-1] == "more differences were found; the list is truncated"
    assert compute_drift(configmaps, {}) == found


def test_repeated_names_are_compared_by_index() -> None:
    mounts = [{"name": "data", "mountPath": "/a"}, {"name": "data", "mountPath": "/b"}]
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"volumeMounts": mounts},
    }
    assert drift(pod, copy.deepcopy(pod)) == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(spec=JSON, labels=st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=3))
def test_an_object_never_drifts_from_itself(spec: Any, labels: dict[str, str]) -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": labels},
        "spec": spec,
    }
    assert drift(obj, copy.deepcopy(obj)) == []
