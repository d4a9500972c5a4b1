"""The watch cache's store: newest version wins, indexes follow changes, relists report."""

from __future__ import annotations

import json
from typing import Any

from it4it_operator.k8s.errors import (
    ConflictError,
    InvalidError,
    NotFoundError,
    UnavailableError,
    api_error,
)
from it4it_operator.k8s.store import Store, trim_pod, trim_replicaset


def obj(name: str, rv: int, **labels: str) -> dict[str, Any]:
    meta = {"name": name, "namespace": "ns", "resourceVersion": str(rv), "labels": labels}
    return {"kind": "ConfigMap", "metadata": {**meta, "managedFields": [{"manager": "x"}]}}


def by_app(o: dict[str, Any]) -> list[str]:
    return [o["metadata"]["labels"]["app"]] if "app" in o["metadata"]["labels"] else []


def test_an_older_version_never_replaces_a_newer_one() -> None:
    store = Store()
    assert store.upsert(obj("a", 5)) is not None
    assert store.upsert(obj("a", 4)) is None, "a late watch event after our own write"
    assert store.upsert(obj("a", 5)) is None, "the watch event of our own write changes nothing"
    assert store.get("ns", "a")["metadata"]["resourceVersion"] == "5"


def test_managed_fields_are_not_kept() -> None:
    store = Store()
    store.upsert(obj("a", 1))
    assert "managedFields" not in store.get("ns", "a")["metadata"]


def test_stored_objects_share_their_keys_and_short_strings() -> None:
    store = Store()
    for name in ("a", "b"):
        # Parsed separately, as two watch events are: equal strings, distinct objects.
        store.upsert(json.loads(json.dumps(obj(name, 1, app="web" + "-shop"))))
    a, b = store.get("ns", "a"), store.get("ns", "b")
    assert a is not None and b is not None
    labels = {"app": "web-shop"}
    assert a["metadata"] == {
        "name": "a",
        "namespace": "ns",
        "resourceVersion": "1",
        "labels": labels,
    }
    assert a["metadata"]["labels"]["app"] is b["metadata"]["labels"]["app"]
    assert next(iter(a["metadata"])) is next(iter(b["metadata"])), "one 'name' key for both"


def test_an_index_follows_a_label_change() -> None:
    store = Store(indexers={"app": by_app})
    store.upsert(obj("a", 1, app="web"))
    store.upsert(obj("a", 2, app="db"))
    assert store.by_index("app", "web") == []
    assert [o["metadata"]["name"] for o in store.by_index("app", "db")] == ["a"]


def test_a_relist_reports_what_changed_and_what_is_gone() -> None:
    store = Store()
    store.upsert(obj("a", 1))
    store.upsert(obj("b", 1))
    changes = store.replace([obj("a", 1), obj("c", 3)])
    assert sorted(
        (old or {}).get("metadata", {}).get("name", "-")
        + ">"
        + (new or {}).get("metadata", {}).get("name", "-")
        for old, new in changes
    ) == ["->c", "b>-"]


def test_a_pod_keeps_only_what_health_reads() -> None:
    pod = {
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "namespace": "ns",
            "labels": {"a": "b"},
            "annotations": {"x": "y"},
        },
        "spec": {"containers": [{"name": "c", "image": "i"}]},
        "status": {
            "phase": "Running",
            "containerStatuses": [{"restartCount": 0}],
            "podIP": "1.2.3.4",
        },
    }
    trimmed = trim_pod(pod)
    assert "spec" not in trimmed and "podIP" not in trimmed["status"]
    assert trimmed["status"]["containerStatuses"] == [{"restartCount": 0}]


def test_a_deployment_s_replicaset_is_kept_without_its_pod_template() -> None:
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "w"}]}}
    spec = {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": template}
    owned = {
        "kind": "ReplicaSet",
        "metadata": {
            "name": "web-5d4f",
            "labels": {"pod-template-hash": "5d4f"},
            "annotations": {"deployment.kubernetes.io/revision": "2"},
            "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": "u1"}],
        },
        "spec": spec,
        "status": {"replicas": 1},
    }
    kept = trim_replicaset(owned)
    assert kept["spec"] == {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}}
    assert kept["metadata"] == owned["metadata"] and kept["status"] == {"replicas": 1}
    own = {**owned, "metadata": {"name": "direct"}}
    assert trim_replicaset(own)["spec"] == spec, "a release's own ReplicaSet is judged for drift"


def test_api_errors_are_typed_by_status_with_their_field_causes() -> None:
    cause = {"field": "spec.replicas", "message": "must be >= 0"}
    body = json.dumps({"reason": "Invalid", "message": "bad", "details": {"causes": [cause]}})
    error = api_error(422, body, "Deployment ns/web")
    assert isinstance(error, InvalidError)
    assert error.fields() == "spec.replicas: must be >= 0"
    assert "Deployment ns/web" in str(error)
    assert isinstance(api_error(404, "{}"), NotFoundError)
    assert isinstance(api_error(409, "{}"), ConflictError) and api_error(409, "{}").retryable
    assert isinstance(api_error(429, "{}"), UnavailableError)
    assert isinstance(api_error(503, "not json"), UnavailableError)
