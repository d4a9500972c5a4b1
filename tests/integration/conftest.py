"""Integration fixtures: CRDs installed on the session's control plane, the operator running
as a real process against it (so a test can kill and restart it), and small readers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from it4it_operator.devcluster.audit import OPERATOR_SERVICE_ACCOUNT
from it4it_operator.devcluster.cluster import free_port
from it4it_operator.devcluster.operator import OperatorProcess, chart_identity, install_crds
from it4it_operator.stages.deploy.deployer import deployer_objects


@pytest.fixture(scope="session")
def crds(cluster: Any) -> None:
    """The generated CRDs, applied and Established."""
    install_crds(cluster.kubeconfig)


@pytest.fixture(scope="session")
def operator(
    cluster: Any, crds: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OperatorProcess]:
    env = {
        # Everything the tests see happen is driven by watches: the safety resync is far off.
        "IT4IT_RESYNC_SECONDS": "3600",
        "IT4IT_METRICS_ADDRESS": "127.0.0.1",
        "IT4IT_METRICS_PORT": str(free_port()),
        # Chart archives of Helm releases, cached by digest, in this session's folder.
        "IT4IT_CHART_CACHE": str(tmp_path_factory.mktemp("chart-cache")),
    }
    # The operator as the chart installs it: its ServiceAccount's token and exactly the chart's
    # RBAC (so every flow proves those rights suffice); its requests are audited.
    where = tmp_path_factory.mktemp("operator")
    kubeconfig = chart_identity(cluster, where / "kubeconfig")
    proc = OperatorProcess(kubeconfig, where / "log", env, user=OPERATOR_SERVICE_ACCOUNT)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def namespace(cluster: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace per test, deleted afterwards (without waiting)."""
    base = request.node.name.split("[")[0].removeprefix("test_").replace("_", "-")[:40]
    name = f"{base.strip('-')}-{int(time.time() * 1000) % 100000}"
    cluster.kubectl("create", "namespace", name)
    enable_tenant(cluster, name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def enable_tenant(cluster: Any, namespace: str) -> None:
    """What `it4it tenant enable NAMESPACE` creates: the deployer the operator applies as."""
    apply(cluster, *deployer_objects(namespace))


def apply(cluster: Any, *docs: dict[str, Any], namespace: str | None = None) -> None:
    args = ["apply", "-f", "-"] + (["-n", namespace] if namespace else [])
    cluster.kubectl(*args, input=yaml.safe_dump_all(docs))


def get(cluster: Any, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
    args = ["get", kind, name, "-o", "json"] + (["-n", namespace] if namespace else [])
    found = cluster.kubectl(*args, check=False)
    return dict(json.loads(found.stdout)) if found.returncode == 0 else {}


def items(cluster: Any, kind: str, namespace: str, selector: str | None = None) -> list[Any]:
    args = ["get", kind, "-n", namespace, "-o", "json"] + (["-l", selector] if selector else [])
    return list(json.loads(cluster.kubectl(*args).stdout)["items"])


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    found = [c for c in (obj.get("status") or {}).get("conditions", []) if c["type"] == type_]
    return found[0] if found else {}


def eventually(
    check: Callable[[], Any],
    timeout: float = 90,
    what: str = "",
    operator: OperatorProcess | None = None,
    show: Callable[[], Any] | None = None,
) -> Any:
    """Poll `check` until it returns something truthy; fail with the operator's log (and what
    `show` returns, e.g. the object's status) if not."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            log = f"\n--- operator log ---\n{operator.tail()}" if operator else ""
            if show is not None:
                log = f"\n--- state ---\n{json.dumps(show(), indent=1)}{log}"
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what or check}{log}")
        time.sleep(0.5)
