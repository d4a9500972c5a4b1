"""The local control plane is real: workloads roll out on KWOK nodes, GC runs, chaos fails pods,
nodes have the capacity asked for, and the operator's requests (only) are audited."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest

from it4it_operator.devcluster import LocalCluster
from it4it_operator.devcluster.audit import AuditRecord, read_audit, summarize
from it4it_operator.devcluster.tools import K8S_VERSION

pytestmark = pytest.mark.cluster

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: %(ns)s}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "registry.example.com/web:1"}]
"""

CHAOS_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: doomed
  namespace: %(ns)s
  labels: {pod-container-running-failed.stage.kwok.x-k8s.io: "true"}
spec:
  containers: [{name: app, image: "registry.example.com/app:1"}]
"""


FAIL_AFTER = "kwok.it4it.dev/fail-after-seconds"

FAILING_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: short-lived
  namespace: %(ns)s
  annotations: {kwok.it4it.dev/fail-after-seconds: "3"}
spec:
  containers: [{name: app, image: "registry.example.com/app:1"}]
"""

FAILING_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: flaky, namespace: %(ns)s}
spec:
  replicas: 1
  selector: {matchLabels: {app: flaky}}
  template:
    metadata:
      labels: {app: flaky}
      annotations: {kwok.it4it.dev/fail-after-seconds: "3"}
    spec:
      containers: [{name: app, image: "registry.example.com/app:1"}]
"""


def _get(cluster: Any, *args: str) -> dict[str, Any]:
    out = cluster.kubectl("get", *args, "-o", "json").stdout
    return dict(json.loads(out))


def _eventually(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def test_fake_nodes_are_ready(cluster: Any) -> None:
    nodes = _get(cluster, "nodes")["items"]
    ready = [
        n["metadata"]["name"]
        for n in nodes
        if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"])
    ]
    assert len(ready) >= 1 and len(ready) == len(nodes)


def test_server_reports_the_pinned_version(cluster: Any) -> None:
    if not isinstance(cluster, LocalCluster):
        pytest.skip("only the local control plane is pinned")
    version = json.loads(cluster.kubectl("version", "-o", "json").stdout)
    assert version["serverVersion"]["gitVersion"] == f"v{K8S_VERSION}"
    assert version["clientVersion"]["gitVersion"] == f"v{K8S_VERSION}"


def test_deployment_rolls_out_on_kwok_nodes_and_is_garbage_collected(
    cluster: Any, namespace: str
) -> None:
    cluster.kubectl("apply", "-f", "-", input=DEPLOYMENT % {"ns": namespace})
    cluster.kubectl("rollout", "status", "-n", namespace, "deployment/web", "--timeout=90s")

    pods = _get(cluster, "pods", "-n", namespace, "-l", "app=web")["items"]
    assert len(pods) == 3
    assert all(p["status"]["phase"] == "Running" for p in pods)
    assert all(p["spec"]["nodeName"].startswith("kwok-node-") for p in pods)
    replicasets = _get(cluster, "replicasets", "-n", namespace)["items"]
    assert [rs["status"]["readyReplicas"] for rs in replicasets] == [3]

    cluster.kubectl("delete", "-n", namespace, "deployment/web", "--wait=true")
    gone = _eventually(lambda: not _get(cluster, "pods,replicasets", "-n", namespace)["items"])
    assert gone, "pods and replicasets of a deleted Deployment must be garbage-collected"


def test_a_pod_with_the_chaos_label_turns_failed(cluster: Any, namespace: str) -> None:
    cluster.kubectl("apply", "-f", "-", input=CHAOS_POD % {"ns": namespace})
    phase = _eventually(
        lambda: _get(cluster, "pod", "-n", namespace, "doomed")["status"].get("phase") == "Failed"
    )
    assert phase, "the chaos stage must turn a labelled pod Failed"


def _listening(port: int) -> bool:
    """A LISTEN socket on `port` (read from /proc: a connect() to a free ephemeral port can
    succeed by connecting to itself)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                return True
    return False


def test_a_second_cluster_runs_side_by_side_and_stops_without_a_trace(
    cluster: Any, tmp_path: Path
) -> None:
    if not isinstance(cluster, LocalCluster):
        pytest.skip("starts a local control plane")
    second = LocalCluster(tmp_path / "second", nodes=1).up()
    try:
        assert second.ports["kube-apiserver"] != cluster.ports["kube-apiserver"]
        assert "kwok-node-0" in second.kubectl("get", "nodes", "-o", "name").stdout
        assert cluster.running(), "the first cluster keeps running"
    finally:
        second.down()
    assert not any(second.status().values())
    assert not any(_listening(p) for p in second.ports.values())
    assert cluster.running()


def _phase(cluster: Any, namespace: str, name: str) -> str:
    return str(_get(cluster, "pod", "-n", namespace, name)["status"].get("phase", ""))


def test_a_pod_annotated_fail_after_seconds_runs_then_fails_that_much_later(
    cluster: Any, namespace: str
) -> None:
    cluster.kubectl("apply", "-f", "-", input=FAILING_POD % {"ns": namespace})
    assert _eventually(lambda: _phase(cluster, namespace, "short-lived") in ("Running", "Failed"))
    running_at = time.monotonic()
    assert _phase(cluster, namespace, "short-lived") == "Running", "it must run first"

    failed = _eventually(lambda: _phase(cluster, namespace, "short-lived") == "Failed", 30)
    elapsed = time.monotonic() - running_at
    assert failed, "the fail-after stage must turn the pod Failed"
    assert 2.0 <= elapsed <= 8.0, f"Failed {elapsed:.1f}s after Running, not ~3s"
    status = _get(cluster, "pod", "-n", namespace, "short-lived")["status"]
    assert status["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 1


def test_a_deployment_replaces_a_pod_that_failed_after_seconds(
    cluster: Any, namespace: str
) -> None:
    cluster.kubectl("apply", "-f", "-", input=FAILING_DEPLOYMENT % {"ns": namespace})

    def pods() -> list[dict[str, Any]]:
        return list(_get(cluster, "pods", "-n", namespace, "-l", "app=flaky")["items"])

    def by_phase(phase: str) -> list[str]:
        return [p["metadata"]["name"] for p in pods() if p["status"].get("phase") == phase]

    first = _eventually(lambda: by_phase("Running") or by_phase("Failed"))
    assert first, "the Deployment's pod must run"
    failed = _eventually(lambda: by_phase("Failed"), 30)
    assert failed, "its pod must fail after ~3s"
    replacement = _eventually(
        lambda: [n for n in by_phase("Running") + by_phase("Pending") if n not in failed], 30
    )
    assert replacement, "the ReplicaSet must replace a Failed pod with a new one"
    # The replacement fails in turn (it carries the same annotation) and is replaced again.
    again = _eventually(lambda: len(by_phase("Failed")) >= 2, 30)
    assert again, "the replacement must fail ~3s after it runs, too"


def _count(quantity: str) -> int:
    """A whole-number Kubernetes quantity ("1000" is served as "1k")."""
    factors = {"k": 10**3, "M": 10**6, "G": 10**9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for suffix, factor in sorted(factors.items(), key=lambda f: -len(f[0])):
        if quantity.endswith(suffix):
            return int(quantity.removesuffix(suffix)) * factor
    return int(quantity)


def test_nodes_have_the_capacity_the_cluster_was_asked_for(cluster: Any) -> None:
    if not isinstance(cluster, LocalCluster):
        pytest.skip("the capacity of a cluster of one's own is its own")
    nodes = [
        n for n in _get(cluster, "nodes")["items"] if n["metadata"]["name"].startswith("kwok-node-")
    ]
    assert len(nodes) == cluster.nodes
    for node in nodes:
        assert _count(node["status"]["allocatable"]["pods"]) == cluster.pods_per_node
        assert _count(node["status"]["capacity"]["pods"]) == cluster.pods_per_node


def test_the_operators_requests_are_audited_and_the_admins_are_not(
    cluster: Any, namespace: str
) -> None:
    if not isinstance(cluster, LocalCluster):
        pytest.skip("audits the local control plane")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    stamp = int(time.time() * 1000)
    ours, theirs = f"by-operator-{stamp}", f"by-admin-{stamp}"
    operator = cluster.operator_kubeconfig
    cluster.kubectl("create", "configmap", ours, "-n", namespace, kubeconfig=operator)
    cluster.kubectl("get", "configmap", ours, "-n", namespace, kubeconfig=operator)
    cluster.kubectl("create", "configmap", theirs, "-n", namespace)
    cluster.kubectl("get", "configmap", theirs, "-n", namespace)
    # A watch (list, then watch until the request times out) counts as a watch, not a read.
    watch = ("get", "configmaps", "-n", namespace, "--watch", "--request-timeout=1s")
    cluster.kubectl(*watch, kubeconfig=operator, check=False)

    def ours_logged() -> list[AuditRecord]:
        found = [r for r in read_audit(cluster.audit_log, since=since) if r.namespace == namespace]
        return found if any(r.verb == "watch" for r in found) else []

    deadline = time.monotonic() + 2.0
    while not (records := ours_logged()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert records, "the operator's requests must be in the audit log within ~2s"
    assert [(r.verb, r.code) for r in records if r.name == ours] == [("create", 201), ("get", 200)]
    assert all(r.resource == "configmaps" for r in records)
    counts = summarize(records)
    assert (counts["writes"], counts["reads"], counts["watches"]) == (1, 2, 1), counts

    assert theirs not in cluster.audit_log.read_text(), "the admin's requests are not audited"
    assert read_audit(cluster.audit_log, user="admin") == []
