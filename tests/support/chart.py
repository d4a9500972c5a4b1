"""The Helm chart as a user installs it, for test_chart.py and test_image.py: helm against a
cluster, a fresh control plane of a test module's own (one `helm install` must work on a fresh
cluster, and the operator a test runs must be the only one reconciling), and a kubeconfig
holding a ServiceAccount's token (what a pod of the chart's Deployment would be)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from it4it_operator.devcluster import LocalCluster, tools

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "it4it-operator"
SAMPLES = ROOT / "manifests" / "samples"
SYSTEM_NAMESPACE = "it4it-system"
RELEASE = "it4it-operator"


def helm(
    kubeconfig: Path | None, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """The dev tools' helm, against `kubeconfig` (None: no cluster, e.g. lint, template)."""
    target = ["--kubeconfig", str(kubeconfig)] if kubeconfig else []
    env = {**os.environ, "HELM_CACHE_HOME": str(ROOT / "build" / "helm-cache")}
    done = subprocess.run(
        [str(tools.binary("helm")), *args, *target],
        text=True,
        capture_output=True,
        env=env,
        check=False,
    )
    if check and done.returncode != 0:
        pytest.fail(f"helm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


@contextmanager
def fresh_cluster(folder: Path, nodes: int = 2) -> Iterator[LocalCluster]:
    """A new local control plane in `folder`, stopped afterwards; skips on a cluster of one's
    own (IT4IT_TEST_KUBECONFIG), where a chart release may already be installed."""
    if os.environ.get("IT4IT_TEST_KUBECONFIG"):
        pytest.skip("needs a fresh cluster: runs on the local control plane only")
    cluster = LocalCluster(folder, nodes=nodes)
    cluster.up()
    try:
        yield cluster
    finally:
        cluster.down()


def token_kubeconfig(
    cluster: LocalCluster, service_account: str, namespace: str, path: Path
) -> Path:
    """A kubeconfig for `namespace/service_account` with a token from `kubectl create token`,
    the cluster's server and CA inline (no paths: it is read inside another root)."""
    token = cluster.kubectl(
        "create", "token", service_account, "-n", namespace, "--duration=2h"
    ).stdout.strip()
    admin = json.loads(
        cluster.kubectl("config", "view", "--raw", "--minify", "--flatten", "-o", "json").stdout
    )
    server = admin["clusters"][0]["cluster"]
    user = f"system:serviceaccount:{namespace}:{service_account}"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "chart",
                "clusters": [{"name": "chart", "cluster": server}],
                "users": [{"name": user, "user": {"token": token}}],
                "contexts": [{"name": "chart", "context": {"cluster": "chart", "user": user}}],
            }
        )
    )
    path.chmod(0o600)
    return path
