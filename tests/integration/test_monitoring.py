"""The operator's monitoring surface on a real control plane: the gauges the alerts read
(instances by health, Stalled objects) count live objects, and the Argo CD health checks and
kstatus judge live objects as the captured ones (tests/data/status/)."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from typing import Any

import pytest
from releases import instance, release, web_manifests

from conftest import OperatorProcess, apply, condition, eventually, get
from it4it_operator.devcluster import checktools
from support import gitops

pytestmark = pytest.mark.cluster
CLUSTER_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "$(instance.name)-admin"},
    "rules": [],
}


def scrape(operator: OperatorProcess) -> dict[str, float]:
    url = f"http://127.0.0.1:{operator.env['IT4IT_METRICS_PORT']}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("it4it_") and not line.startswith("#")
    }


@pytest.fixture
def healthy_and_refused(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """DesiredProductInstance `shopfront` Ready, and `refused` Stalled (its release renders a
    ClusterRole)."""
    apply(
        cluster,
        release("guestbook-1-0-0", "1.0.0"),
        release("bad-1-0-0", "1.0.0", manifests=[*web_manifests(), CLUSTER_ROLE]),
        namespace=namespace,
    )
    apply(
        cluster,
        instance("shopfront", "guestbook-1-0-0", namespace),
        instance("refused", "bad-1-0-0", namespace),
        namespace=namespace,
    )
    ready = eventually(
        lambda: (
            (d := get(cluster, "dpi", "shopfront", namespace))
            and condition(d, "Ready").get("status") == "True"
            and d
        ),
        what="shopfront Ready",
        operator=operator,
    )
    stalled = eventually(
        lambda: (
            (d := get(cluster, "dpi", "refused", namespace))
            and condition(d, "Stalled").get("status") == "True"
            and d
        ),
        what="refused Stalled",
        operator=operator,
    )
    return ready, stalled


def test_the_alerts_gauges_count_stalled_and_healthy_instances(
    operator: OperatorProcess, healthy_and_refused: Any
) -> None:
    served = scrape(operator)
    assert served['it4it_stalled_objects{kind="DesiredProductInstance"}'] >= 1
    assert served['it4it_instances{health="Healthy"}'] >= 1
    assert 'it4it_open_incidents{priority="P1"}' in served


def test_argo_cd_and_kstatus_judge_live_objects_as_the_captured_ones(
    healthy_and_refused: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    ready, stalled = healthy_and_refused
    assert gitops.health("DesiredProductInstance", ready)[0] == "Healthy"
    status, message = gitops.health("DesiredProductInstance", stalled)
    assert status == "Degraded"
    assert message == condition(stalled, "Stalled")["message"]
    try:
        kstatus = checktools.ensure("kstatus")
    except checktools.BuildError as exc:
        pytest.skip(f"kstatus checker cannot be built: {exc}")
    verdicts = subprocess.run(
        [str(kstatus)],
        input="\n".join(json.dumps(o) for o in (ready, stalled)),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert [line.split(" ", 2)[1] for line in verdicts] == ["Current", "Failed"]
