"""The Helm chart as a user installs it: `helm lint`, then on a fresh control plane of this
module's own one `helm install` (CRDs included, no kopf CRDs), `helm upgrade` with a changed
value, and `helm uninstall`, which keeps the CRDs and the it4it objects.

The Deployment stays enabled: its pods run on KWOK's fake nodes, which report them Ready
without running the image, so `--wait` proves the objects are created and the Deployment rolls
out, not that the operator works (test_image.py runs the image itself).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from it4it_operator.devcluster import LocalCluster
from support.chart import CHART, RELEASE, SAMPLES, SYSTEM_NAMESPACE, fresh_cluster, helm

pytestmark = pytest.mark.cluster

OPERATOR = f"deployment/{RELEASE}"
SELECTOR = "app.kubernetes.io/part-of=it4it-operator"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """Fresh: nothing of the operator installed before the chart (overrides the session's)."""
    with fresh_cluster(tmp_path_factory.mktemp("chart-cluster")) as fresh:
        yield fresh


def objects(cluster: LocalCluster, *args: str) -> list[dict[str, Any]]:
    return list(json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)["items"])


def env_of(cluster: LocalCluster) -> dict[str, str]:
    deployment = json.loads(
        cluster.kubectl("get", OPERATOR, "-n", SYSTEM_NAMESPACE, "-o", "json").stdout
    )
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", "") for e in container["env"]}


def test_the_chart_lints_strictly() -> None:
    linted = helm(None, "lint", "--strict", str(CHART))
    assert "1 chart(s) linted, 0 chart(s) failed" in linted.stdout


def test_one_helm_install_upgrade_and_uninstall_on_a_fresh_cluster(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    kubeconfig = cluster.kubeconfig
    assert not objects(cluster, "crd", "-l", SELECTOR), "the cluster is not fresh"

    installed = helm(
        kubeconfig,
        "install",
        RELEASE,
        str(CHART),
        "--namespace",
        SYSTEM_NAMESPACE,
        "--create-namespace",
        "--wait",
        "--timeout=3m",
    )
    # NOTES.txt tells the next steps.
    for step in (
        f"kubectl -n {SYSTEM_NAMESPACE} rollout status {OPERATOR}",
        "kubectl label namespace shop tier=gold",
        "kubectl apply -f manifests/samples/",
        "kubectl wait --for=condition=Ready sub/my-guestbook -n shop",
    ):
        assert step in installed.stdout, installed.stdout

    # Every object of the release exists, the CRDs are established and kept on uninstall.
    manifest = [
        d
        for d in yaml.safe_load_all(
            helm(kubeconfig, "get", "manifest", RELEASE, "-n", SYSTEM_NAMESPACE).stdout
        )
        if d
    ]
    kinds = {d["kind"] for d in manifest}
    assert {
        "CustomResourceDefinition",
        "Deployment",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "ValidatingAdmissionPolicy",
    } <= kinds
    assert not [d for d in manifest if d["apiVersion"].startswith("kopf.dev/")]
    for doc in manifest:
        meta = doc["metadata"]
        scope = ["-n", meta["namespace"]] if meta.get("namespace") else []
        kind = (
            f"{doc['kind']}.{doc['apiVersion'].split('/')[0]}"
            if "/" in doc["apiVersion"]
            else doc["kind"]
        )
        cluster.kubectl("get", kind, meta["name"], *scope)  # fails when missing
    crds = objects(cluster, "crd", "-l", SELECTOR)
    assert len(crds) == 7
    assert all(c["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep" for c in crds)
    cluster.kubectl("wait", "--for=condition=Established", "crd", "-l", SELECTOR, "--timeout=60s")
    assert cluster.kubectl("get", "it4it", "-A").returncode == 0  # the category is served
    assert env_of(cluster)["IT4IT_RESYNC_SECONDS"] == "600"

    # A user's first steps work against the installed API: the samples' release is accepted
    # by the CRDs' schema (kept through the uninstall below).
    for sample in ("00-namespaces.yaml", "10-productrelease-1.0.0.yaml"):
        cluster.kubectl("apply", "-f", str(SAMPLES / sample))

    # helm upgrade with changed values: a new revision, the Deployment follows; two replicas
    # are allowed since leader election is on.
    helm(
        kubeconfig,
        "upgrade",
        RELEASE,
        str(CHART),
        "-n",
        SYSTEM_NAMESPACE,
        "--reuse-values",
        "--set",
        "resyncSeconds=42",
        "--set",
        "replicas=2",
        "--wait",
        "--timeout=3m",
    )
    assert env_of(cluster)["IT4IT_RESYNC_SECONDS"] == "42"
    deployment = json.loads(
        cluster.kubectl("get", OPERATOR, "-n", SYSTEM_NAMESPACE, "-o", "json").stdout
    )
    assert deployment["spec"]["replicas"] == 2
    assert deployment["status"].get("availableReplicas") == 2
    history = json.loads(
        helm(kubeconfig, "history", RELEASE, "-n", SYSTEM_NAMESPACE, "-o", "json").stdout
    )
    assert [r["revision"] for r in history] == [1, 2]
    assert history[-1]["status"] == "deployed"

    # A value the schema refuses leaves the release as it was.
    refused = helm(
        kubeconfig,
        "upgrade",
        RELEASE,
        str(CHART),
        "-n",
        SYSTEM_NAMESPACE,
        "--reuse-values",
        "--set",
        "replicas=2",
        "--set",
        "leaderElection.enabled=false",
        check=False,
    )
    assert refused.returncode != 0
    assert "leaderElection" in refused.stderr, refused.stderr
    assert (
        len(
            json.loads(
                helm(kubeconfig, "history", RELEASE, "-n", SYSTEM_NAMESPACE, "-o", "json").stdout
            )
        )
        == 2
    )

    # helm uninstall removes the operator and its RBAC, and keeps the CRDs and the objects.
    uninstalled = helm(kubeconfig, "uninstall", RELEASE, "-n", SYSTEM_NAMESPACE, "--wait")
    assert "kept due to the resource policy" in uninstalled.stdout + uninstalled.stderr
    gone = cluster.kubectl("get", OPERATOR, "-n", SYSTEM_NAMESPACE, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr
    assert cluster.kubectl("get", "clusterrole", RELEASE, check=False).returncode != 0
    assert len(objects(cluster, "crd", "-l", SELECTOR)) == 7
    kept = cluster.kubectl("get", "prel", "-n", "team-guestbook", "-o", "name").stdout
    assert kept.strip() == "productrelease.it4it.dev/guestbook-1.0.0", kept

    # ... and a second install adopts the kept CRDs (same annotations, no conflict).
    helm(
        kubeconfig,
        "install",
        RELEASE,
        str(CHART),
        "-n",
        SYSTEM_NAMESPACE,
        "--set",
        "deployment.enabled=false",
    )
    helm(kubeconfig, "uninstall", RELEASE, "-n", SYSTEM_NAMESPACE, "--wait")
