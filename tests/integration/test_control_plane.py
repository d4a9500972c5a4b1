"""The local control plane is real: workloads roll out on KWOK nodes, GC runs, chaos fails pods."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from it4it_operator.devcluster import LocalCluster
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
