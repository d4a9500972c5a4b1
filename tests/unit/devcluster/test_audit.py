"""The audit log reader counts each of the operator's requests once, and a watch never as a read."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from it4it_operator.devcluster import audit
from it4it_operator.devcluster.audit import AuditRecord, parse, read_audit, summarize

T0 = "2026-03-01T10:00:00.000100Z"


def event(
    audit_id: str,
    verb: str,
    stage: str = "ResponseComplete",
    user: str = audit.OPERATOR_USER,
    received: str = T0,
    code: int | None = 200,
    **ref: str,
) -> str:
    data: dict[str, Any] = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": audit_id,
        "stage": stage,
        "requestURI": f"/api/v1/{ref.get('resource', '')}",
        "verb": verb,
        "user": {"username": user, "groups": ["system:masters", "system:authenticated"]},
        "sourceIPs": ["127.0.0.1"],
        "requestReceivedTimestamp": received,
        "stageTimestamp": received,
    }
    if ref:
        data["objectRef"] = {"apiVersion": "v1", **ref}
    if code is not None:
        data["responseStatus"] = {"metadata": {}, "code": code}
    return json.dumps(data)


def test_a_request_becomes_a_typed_record() -> None:
    line = event(
        "a1",
        "patch",
        code=201,
        resource="deployments",
        subresource="status",
        namespace="shop",
        name="web",
        apiGroup="apps",
    )
    assert parse([line]) == [
        AuditRecord(
            verb="patch",
            resource="deployments",
            subresource="status",
            namespace="shop",
            name="web",
            code=201,
            timestamp=dt.datetime(2026, 3, 1, 10, 0, 0, 100, tzinfo=dt.UTC),
            api_group="apps",
            uri="/api/v1/deployments",
        )
    ]


def test_a_request_without_an_object_has_empty_fields() -> None:
    [record] = parse([event("v", "get", code=None)])
    assert (record.resource, record.namespace, record.name, record.code) == ("", "", "", 0)


def test_a_watch_counts_once_whether_still_open_or_finished() -> None:
    lines = [
        event("w1", "watch", stage="ResponseStarted", resource="pods"),
        event("w2", "watch", stage="ResponseStarted", resource="configmaps"),
        event("g1", "get", resource="pods", name="p"),
        event("w1", "watch", stage="ResponseComplete", resource="pods"),
    ]
    records = parse(lines)
    assert [(r.verb, r.resource) for r in records] == [
        ("watch", "pods"),
        ("watch", "configmaps"),
        ("get", "pods"),
    ]
    assert summarize(records) == {"writes": 0, "reads": 1, "watches": 2, "other": 0, "total": 3}


def test_request_received_alone_is_not_a_record_and_a_panic_is() -> None:
    lines = [
        event("r1", "create", stage="RequestReceived", resource="pods"),
        event("p1", "update", stage="RequestReceived", resource="pods"),
        event("p1", "update", stage="Panic", code=500, resource="pods"),
    ]
    assert [(r.verb, r.code) for r in parse(lines)] == [("update", 500)]


def test_only_the_given_user_and_well_formed_lines_count() -> None:
    lines = [
        event("o1", "list", resource="pods"),
        event("a1", "list", user="admin", resource="pods"),
        "",
        "not json",
        "[1, 2]",
        event("x1", "delete", user="system:kube-scheduler", resource="pods"),
    ]
    assert [r.verb for r in parse(lines)] == ["list"]
    assert [r.verb for r in parse(lines, user="admin")] == ["list"]


def test_summarize_counts_writes_reads_and_watches_apart() -> None:
    verbs = ["create", "update", "patch", "delete", "deletecollection", "get", "list", "watch"]
    lines = [event(f"id{i}", v, resource="pods") for i, v in enumerate([*verbs, "proxy"])]
    assert summarize(parse(lines)) == {
        "writes": 5,
        "reads": 2,
        "watches": 1,
        "other": 1,
        "total": 9,
    }
    assert summarize([]) == {"writes": 0, "reads": 0, "watches": 0, "other": 0, "total": 0}


def test_read_audit_filters_by_time_and_tolerates_a_missing_log(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    assert read_audit(log) == []
    log.write_text(
        "\n".join(
            [
                event("e1", "get", received="2026-03-01T10:00:00.000000Z", resource="pods"),
                event("e2", "create", received="2026-03-01T10:00:05.000000Z", resource="pods"),
            ]
        )
        + "\n"
    )
    assert [r.verb for r in read_audit(log)] == ["get", "create"]
    since = dt.datetime(2026, 3, 1, 10, 0, 1, tzinfo=dt.UTC)
    assert [r.verb for r in read_audit(log, since=since)] == ["create"]
    naive = dt.datetime(2026, 3, 1, 10, 0, 1)
    assert [r.verb for r in read_audit(log, since=naive)] == ["create"]
    assert read_audit(log, user="admin") == []


def test_the_policy_audits_the_operator_alone() -> None:
    policy = audit.policy()
    assert policy["omitStages"] == ["RequestReceived"]
    assert policy["rules"] == [
        {"level": "Metadata", "users": [audit.OPERATOR_USER]},
        {"level": "None"},
    ]
