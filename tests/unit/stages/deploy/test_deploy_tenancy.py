"""Tenancy: a release renders only allowed, namespaced kinds into the instance's namespace."""

from __future__ import annotations

from typing import Any

import pytest

from it4it_operator.stages.deploy.tenancy import (
    DEFAULT_ALLOWED_KINDS,
    TenancyError,
    confine,
    parse_allowed_kinds,
)


def obj(api_version: str, kind: str, name: str | None = "x", **extra: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {} if name is None else {"name": name}
    metadata.update(extra.pop("metadata", {}))
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **extra}


@pytest.mark.parametrize(
    "objects",
    [
        pytest.param([obj("apps/v1", "Deployment")], id="a Deployment is allowed"),
        pytest.param(
            [obj("v1", "ConfigMap"), obj("v1", "Secret"), obj("v1", "Service")],
            id="core configuration and networking kinds are allowed",
        ),
        pytest.param(
            [obj("apps/v1", "Deployment", metadata={"namespace": "shop"})],
            id="an object naming the instance's own namespace is allowed",
        ),
        pytest.param(
            [obj("v1", "ConfigMap", "a"), obj("apps/v1", "Deployment", "a")],
            id="the same name in two kinds is no duplicate",
        ),
        pytest.param(
            [
                obj(
                    "rbac.authorization.k8s.io/v1",
                    "RoleBinding",
                    subjects=[{"kind": "ServiceAccount", "name": "web", "namespace": "shop"}],
                )
            ],
            id="a RoleBinding for a service account of the same namespace is allowed",
        ),
    ],
)
def test_allowed_objects_are_placed_in_the_namespace(objects: list[dict[str, Any]]) -> None:
    placed = confine(objects, namespace="shop")
    assert [o["metadata"]["namespace"] for o in placed] == ["shop"] * len(objects)
    assert [o["metadata"]["name"] for o in placed] == [o["metadata"]["name"] for o in objects]


def test_confine_never_mutates_its_input() -> None:
    objects = [obj("apps/v1", "Deployment")]
    confine(objects, namespace="shop")
    assert "namespace" not in objects[0]["metadata"]


@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        pytest.param(
            [obj("rbac.authorization.k8s.io/v1", "ClusterRole", "admin")],
            ["manifest 0 (ClusterRole/admin)", "cluster-scoped"],
            id="a ClusterRole is refused as cluster-scoped",
        ),
        pytest.param(
            [obj("v1", "Namespace", "other")],
            ["manifest 0 (Namespace/other)", "cluster-scoped"],
            id="a Namespace is refused as cluster-scoped",
        ),
        pytest.param(
            [obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "x")],
            ["cluster-scoped"],
            id="a CustomResourceDefinition is refused as cluster-scoped",
        ),
        pytest.param(
            [obj("v1", "Pod", "p")],
            ["manifest 0 (Pod/p)", "Pod is not on the allow-list"],
            id="a namespaced kind outside the allow-list is refused",
        ),
        pytest.param(
            [obj("example.com/v1", "Deployment", "d")],
            ["example.com/Deployment is not on the allow-list"],
            id="a kind is allowed only in its own API group",
        ),
        pytest.param(
            [obj("apps/v1", "Deployment", "web", metadata={"namespace": "kube-system"})],
            ["manifest 0 (Deployment/web) names namespace 'kube-system'"],
            id="an object naming another namespace is refused, not moved",
        ),
        pytest.param(
            [{"kind": "ConfigMap", "metadata": {"name": "c"}}],
            ["manifest 0 (ConfigMap/c) has no apiVersion"],
            id="an object without apiVersion is refused",
        ),
        pytest.param(
            [{"apiVersion": "v1", "metadata": {"name": "c"}}],
            ["manifest 0 (?/c) has no kind"],
            id="an object without kind is refused",
        ),
        pytest.param(
            [obj("v1", "ConfigMap", None)],
            ["manifest 0 (ConfigMap/?) has no metadata.name"],
            id="an object without a name is refused",
        ),
        pytest.param(
            [obj("v1", "ConfigMap", "c"), obj("v1", "ConfigMap", "c")],
            ["manifest 1 (ConfigMap/c) duplicates manifest 0"],
            id="a duplicate group, kind and name is refused",
        ),
        pytest.param(
            ["not an object"],
            ["manifest 0 is not an object"],
            id="a manifest that is not an object is refused",
        ),
        pytest.param(
            [
                obj(
                    "rbac.authorization.k8s.io/v1",
                    "RoleBinding",
                    "rb",
                    subjects=[{"kind": "ServiceAccount", "name": "x", "namespace": "other"}],
                )
            ],
            ["manifest 0 (RoleBinding/rb) binds a subject in namespace 'other'"],
            id="a RoleBinding granting access to another namespace's account is refused",
        ),
    ],
)
def test_refused_objects_are_named(objects: list[Any], expected: list[str]) -> None:
    with pytest.raises(TenancyError) as caught:
        confine(objects, namespace="shop")
    assert len(caught.value.problems) == 1
    for fragment in expected:
        assert fragment in caught.value.problems[0]


def test_every_problem_is_listed_at_once() -> None:
    objects = [
        obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "a"),
        obj("apps/v1", "Deployment", "ok"),
        obj("v1", "Secret", "s", metadata={"namespace": "other"}),
        obj("v1", "Pod", "p"),
    ]
    with pytest.raises(TenancyError) as caught:
        confine(objects, namespace="shop")
    assert [p.split(" ")[1] for p in caught.value.problems] == ["0", "2", "3"]
    assert str(caught.value) == "; ".join(caught.value.problems)


def test_a_custom_allow_list_replaces_the_default() -> None:
    only_jobs = parse_allowed_kinds("batch/Job")
    assert confine([obj("batch/v1", "Job")], namespace="shop", allowed_kinds=only_jobs)
    with pytest.raises(TenancyError):
        confine([obj("apps/v1", "Deployment")], namespace="shop", allowed_kinds=only_jobs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "apps/Deployment,/ConfigMap,batch/Job",
            {("apps", "Deployment"), ("", "ConfigMap"), ("batch", "Job")},
            id="group/Kind entries and /Kind for the core group",
        ),
        pytest.param("Service", {("", "Service")}, id="a bare kind is in the core group"),
        pytest.param(
            " apps/Deployment , ,batch/Job ",
            {("apps", "Deployment"), ("batch", "Job")},
            id="spaces and empty entries are ignored",
        ),
    ],
)
def test_parse_allowed_kinds(text: str, expected: set[tuple[str, str]]) -> None:
    assert parse_allowed_kinds(text) == frozenset(expected)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("", "empty", id="an empty allow-list is refused"),
        pytest.param("apps/v1/Deployment", "group/Kind", id="a version in an entry is refused"),
        pytest.param("apps/deployment", "group/Kind", id="a lower-case kind is refused"),
        pytest.param(
            "rbac.authorization.k8s.io/ClusterRole",
            "cluster-scoped",
            id="a cluster-scoped kind cannot be allowed",
        ),
    ],
)
def test_parse_allowed_kinds_refuses(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_allowed_kinds(text)


def test_the_default_allow_list_is_namespaced_kinds_only() -> None:
    assert ("", "Namespace") not in DEFAULT_ALLOWED_KINDS
    assert len(DEFAULT_ALLOWED_KINDS) == 16
