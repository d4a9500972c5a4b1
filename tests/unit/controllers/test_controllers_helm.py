"""A Helm-chart release through the real Deploy controller on an in-memory API.

The chart is served by a repository on 127.0.0.1 in this process and rendered by the real
helm binary (these tests are skipped, with the reason, where there is none). What helm renders
must go the same way as inline manifests (tenancy, plan, apply, labels), and a chart that cannot
be had must leave a clear condition and nothing applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from it4it_operator.controllers.deploy.reconcile import reconcile_instance
from it4it_operator.plugins.builtin.helm import helm_command
from it4it_operator.plugins.interfaces import RenderError
from support.charts import ChartRepository, digest_of, package, write_chart, write_index
from support.controllers import Operator
from support.fake_kube import condition, reasons
from support.world import SHOP, TEAM, namespace, offer, release, roll_out, subscription


def _helm_missing() -> bool:
    try:
        helm_command()
    except RenderError:
        return True
    return False


pytestmark = pytest.mark.skipif(
    _helm_missing(), reason="no helm binary: set IT4IT_HELM, put helm on PATH or `make binaries`"
)

CLUSTER_ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ .Release.Name }}-everything
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
"""


@pytest.fixture(autouse=True)
def chart_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IT4IT_CHART_CACHE", str(tmp_path / "chart-cache"))


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[ChartRepository]:
    with ChartRepository(tmp_path / "repo") as repo:
        yield repo


def publish(repo: ChartRepository, tmp_path: Path, **extra: str) -> str:
    """guestbook 1.2.3 (with `extra` template files) in `repo`; returns its digest."""
    archive = package(write_chart(tmp_path / f"src-{len(extra)}"), repo.charts, extra=extra)
    write_index(repo.charts, ("guestbook", "1.2.3", archive.name))
    return digest_of(archive)


def chart_release(repository: str, digest: str, name: str = "web-1.0.0") -> dict[str, Any]:
    doc = release()
    doc["metadata"]["name"] = name
    del doc["spec"]["manifests"]
    doc["spec"]["chart"] = {
        "repository": repository,
        "name": "guestbook",
        "version": "1.2.3",
        "digest": digest,
        "values": {"image": "$(images.web)", "greeting": "hi from $(instance.name)"},
    }
    return doc


def chart_instance(release_name: str = "web-1.0.0", replicas: int = 3) -> dict[str, Any]:
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "DesiredProductInstance",
        "metadata": {"name": "mine", "namespace": SHOP},
        "spec": {
            "release": {"namespace": TEAM, "name": release_name},
            "parameters": {"replicas": replicas},
            "plan": {"approval": "Automatic", "observeSeconds": 0},
        },
    }


def applied(op: Operator) -> list[dict[str, Any]]:
    return [
        o
        for kind in ("ConfigMap", "Deployment", "ClusterRole")
        for o in op.fake.of_kind(kind)
        if o["metadata"].get("namespace") in (SHOP, None)
    ]


def test_a_chart_release_is_deployed_like_inline_manifests(
    repository: ChartRepository, tmp_path: Path
) -> None:
    op = Operator()
    digest = publish(repository, tmp_path)
    op.apply(namespace(TEAM), namespace(SHOP), chart_release(repository.url, digest))
    op.apply(chart_instance(replicas=3))
    op.settle()
    roll_out(op.fake)
    op.settle()

    dpi = op.fake.live("DesiredProductInstance", "mine", SHOP)
    assert condition(dpi, "Ready")["status"] == "True", dpi["status"]
    assert "2 objects from ProductRelease web-1.0.0" in condition(dpi, "Planned")["message"]
    deployment = op.fake.live("Deployment", "mine-web", SHOP)
    assert deployment["spec"]["replicas"] == 3
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].startswith("example.com/web@sha256:")
    config = op.fake.live("ConfigMap", "mine-config", SHOP)
    assert config["data"] == {"greeting": "hi from mine", "namespace": SHOP}
    for obj in (deployment, config):
        assert obj["metadata"]["namespace"] == SHOP, "helm named no namespace: the instance's"
        assert obj["metadata"]["labels"]["it4it.dev/instance"] == "mine"
    assert op.resync() == [], "a converged chart instance is not written again"


def test_an_offer_over_a_chart_release_is_defined_and_its_subscription_ready(
    repository: ChartRepository, tmp_path: Path
) -> None:
    op = Operator()
    digest = publish(repository, tmp_path)
    op.apply(namespace(TEAM), namespace(SHOP), chart_release(repository.url, digest), offer())
    op.apply(subscription())
    op.settle()
    roll_out(op.fake)
    op.settle()

    defined = condition(op.fake.live("ServiceOffer", "web"), "Defined")
    assert (defined["status"], defined["reason"]) == ("True", "Complete"), defined
    sub = op.fake.live("Subscription", "mine", SHOP)
    assert condition(sub, "Ready")["status"] == "True", sub["status"]
    assert op.fake.live("Deployment", "mine-web", SHOP)["spec"]["replicas"] == 1, "the default"


def test_a_wrong_digest_is_refused_with_both_digests_and_nothing_applied(
    repository: ChartRepository, tmp_path: Path
) -> None:
    op = Operator()
    actual = publish(repository, tmp_path)
    wrong = "sha256:" + "0" * 64
    op.apply(namespace(TEAM), namespace(SHOP), chart_release(repository.url, wrong))
    op.apply(chart_instance())
    op.settle()

    dpi = op.fake.live("DesiredProductInstance", "mine", SHOP)
    planned = condition(dpi, "Planned")
    assert (planned["status"], planned["reason"]) == ("False", "ChartDigestMismatch")
    assert actual in planned["message"] and wrong in planned["message"]
    assert condition(dpi, "Stalled")["status"] == "True", "a new release must fix it"
    assert condition(dpi, "Ready")["reason"] == "ChartDigestMismatch"
    assert "ChartDigestMismatch" in reasons(op.fake.events)
    assert applied(op) == []
    assert op.fake.live("ActualProductInstance", "mine", SHOP) is None


def test_an_unreachable_repository_is_retried_not_stalled(tmp_path: Path) -> None:
    with ChartRepository(tmp_path / "gone") as gone:
        url = gone.url
    op = Operator()
    op.apply(namespace(TEAM), namespace(SHOP), chart_release(url, "sha256:" + "1" * 64))
    op.apply(chart_instance())
    op.settle()

    dpi = op.fake.live("DesiredProductInstance", "mine", SHOP)
    planned = condition(dpi, "Planned")
    assert (planned["status"], planned["reason"]) == ("False", "ChartUnavailable")
    assert url in planned["message"]
    assert condition(dpi, "Stalled") == {}
    assert condition(dpi, "Reconciling")["reason"] == "ChartUnavailable"
    assert reconcile_instance(op.manager.ctx, SHOP, "mine") == 30.0, "looked at again soon"
    assert applied(op) == []


def test_a_chart_that_renders_a_cluster_scoped_kind_is_refused_by_tenancy(
    repository: ChartRepository, tmp_path: Path
) -> None:
    op = Operator()
    digest = publish(repository, tmp_path, **{"templates/clusterrole.yaml": CLUSTER_ROLE})
    op.apply(namespace(TEAM), namespace(SHOP), chart_release(repository.url, digest))
    op.apply(chart_instance())
    op.settle()

    planned = condition(op.fake.live("DesiredProductInstance", "mine", SHOP), "Planned")
    assert planned["reason"] == "TenancyViolation"
    assert "ClusterRole/mine-everything" in planned["message"]
    assert "cluster-scoped" in planned["message"]
    assert applied(op) == [], "not even the ConfigMap and Deployment of the same chart"


def test_an_instance_moves_from_inline_manifests_to_a_chart_and_prunes_the_rest(
    repository: ChartRepository, tmp_path: Path
) -> None:
    op = Operator()
    op.apply(namespace(TEAM), namespace(SHOP), release("1.0.0"), chart_instance())
    op.settle()
    roll_out(op.fake)
    op.settle()
    assert op.fake.live("Deployment", "mine", SHOP) is not None, "the inline release runs"

    digest = publish(repository, tmp_path)
    op.apply(chart_release(repository.url, digest, name="web-2.0.0"))
    op.fake.edit("DesiredProductInstance", "mine", SHOP, spec={"release": {"name": "web-2.0.0"}})
    op.settle()
    roll_out(op.fake)
    op.settle()

    dpi = op.fake.live("DesiredProductInstance", "mine", SHOP)
    assert condition(dpi, "Ready")["status"] == "True", dpi["status"]
    names = sorted(o["metadata"]["name"] for o in applied(op))
    assert names == ["mine-config", "mine-web"], "the inline objects were pruned"
