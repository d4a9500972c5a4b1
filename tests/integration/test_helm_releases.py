"""Helm chart releases on the real control plane, with the operator running as a process.

A chart made with helm's own files (a Deployment and a ConfigMap using `.Values.replicas` and
`.Values.image`) is packaged with `helm package`, indexed with `helm repo index` and served by
an HTTP chart repository on 127.0.0.1. A release over it is offered and subscribed like any
other; a release naming the wrong archive digest is refused with a condition that says so, and
nothing of it is applied.
"""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from offers import offer, subscription
from releases import release

from conftest import OperatorProcess, apply, condition, eventually, get, items
from it4it_operator.plugins.builtin.helm import helm_command
from support.charts import ChartRepository, write_chart

pytestmark = pytest.mark.cluster
INSTANCE_LABEL = "it4it.dev/instance"


@dataclass(frozen=True)
class PublishedChart:
    repository: str
    digest: str


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublishedChart]:
    """guestbook 1.2.3, packaged and indexed by helm, served on 127.0.0.1 for the module."""
    helm = helm_command()
    root = tmp_path_factory.mktemp("helm")
    source = write_chart(root / "src")
    with ChartRepository(root / "repo") as repo:
        subprocess.run([*helm, "package", str(source), "-d", str(repo.charts)], check=True)
        subprocess.run([*helm, "repo", "index", str(repo.charts), "--url", repo.url], check=True)
        archive = repo.charts / "guestbook-1.2.3.tgz"
        digest = "sha256:" + hashlib.sha256(archive.read_bytes()).hexdigest()
        yield PublishedChart(repo.url, digest)


@pytest.fixture
def offer_name(cluster: Any) -> Iterator[str]:
    name = f"guestbook-chart-{uuid.uuid4().hex[:6]}"
    yield name
    cluster.kubectl("delete", "serviceoffer", name, "--ignore-not-found", "--wait=false")


def chart_release(name: str, chart: PublishedChart, *, digest: str | None = None) -> dict[str, Any]:
    doc = release(name, "1.0.0")
    del doc["spec"]["manifests"]
    # No greeting parameter: a parameter would win over the fixed value below.
    del doc["spec"]["parameters"]["properties"]["greeting"]
    doc["spec"]["chart"] = {
        "repository": chart.repository,
        "name": "guestbook",
        "version": "1.2.3",
        "digest": digest or chart.digest,
        "values": {"image": "$(images.web)", "greeting": "hello from $(instance.name)"},
    }
    return doc


def dpi_condition(cluster: Any, namespace: str, name: str, type_: str) -> dict[str, Any]:
    return condition(get(cluster, "dpi", name, namespace), type_)


def test_a_chart_release_is_subscribed_and_runs_at_the_subscribed_replicas(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str, chart: PublishedChart
) -> None:
    apply(cluster, chart_release("guestbook-chart", chart), namespace=namespace)
    apply(cluster, offer(offer_name, namespace))
    apply(
        cluster, subscription("mine", offer_name, parameters={"replicas": 3}), namespace=namespace
    )

    waited = cluster.kubectl(
        "wait", "--for=condition=Ready", "sub/mine", "-n", namespace, "--timeout=180s", check=False
    )
    assert waited.returncode == 0, waited.stderr + operator.tail()

    deployment = get(cluster, "deployment", "mine-web", namespace)
    assert deployment["spec"]["replicas"] == 3
    assert deployment["status"].get("readyReplicas") == 3
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.startswith("registry.example.com/guestbook/web@sha256:")
    assert deployment["metadata"]["labels"][INSTANCE_LABEL] == "mine"
    config = get(cluster, "configmap", "mine-config", namespace)
    assert config["data"] == {"greeting": "hello from mine", "namespace": namespace}
    planned = dpi_condition(cluster, namespace, "mine", "Planned")
    assert planned["status"] == "True" and "2 objects" in planned["message"]
    assert get(cluster, "pod", "mine-test", namespace) == {}, "chart tests are not deployed"


def test_a_wrong_digest_is_refused_with_both_digests_and_nothing_is_applied(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str, chart: PublishedChart
) -> None:
    wrong = "sha256:" + "0" * 64
    apply(cluster, chart_release("guestbook-tampered", chart, digest=wrong), namespace=namespace)
    apply(cluster, offer(offer_name, namespace))
    apply(cluster, subscription("mine", offer_name), namespace=namespace)

    eventually(
        lambda: (
            dpi_condition(cluster, namespace, "mine", "Planned").get("reason")
            == "ChartDigestMismatch"
        ),
        what="Planned=False ChartDigestMismatch",
        operator=operator,
        show=lambda: get(cluster, "dpi", "mine", namespace).get("status"),
    )
    planned = dpi_condition(cluster, namespace, "mine", "Planned")
    assert planned["status"] == "False"
    assert wrong in planned["message"] and chart.digest in planned["message"]
    assert dpi_condition(cluster, namespace, "mine", "Stalled")["status"] == "True"
    events = cluster.kubectl(
        "get", "events", "-n", namespace, "--field-selector", "reason=ChartDigestMismatch"
    ).stdout
    assert "ChartDigestMismatch" in events, events

    for kind in ("deployments", "configmaps", "pods"):
        assert items(cluster, kind, namespace, f"{INSTANCE_LABEL}=mine") == [], kind
    assert get(cluster, "deployment", "mine-web", namespace) == {}
    assert get(cluster, "configmap", "mine-config", namespace) == {}
    ready = condition(get(cluster, "sub", "mine", namespace), "Ready")
    assert ready.get("status") != "True"


def test_the_repository_down_after_the_first_fetch_changes_nothing_for_a_running_instance(
    cluster: Any, operator: OperatorProcess, namespace: str, tmp_path: Path, offer_name: str
) -> None:
    """The archive is cached by digest: once verified, planning needs no repository."""
    helm = helm_command()
    source = write_chart(tmp_path / "src", version="1.2.4")
    repo = ChartRepository(tmp_path / "repo")
    try:
        subprocess.run([*helm, "package", str(source), "-d", str(repo.charts)], check=True)
        subprocess.run([*helm, "repo", "index", str(repo.charts), "--url", repo.url], check=True)
        archive = repo.charts / "guestbook-1.2.4.tgz"
        published = PublishedChart(
            repo.url, "sha256:" + hashlib.sha256(archive.read_bytes()).hexdigest()
        )
        doc = chart_release("guestbook-cached", published)
        doc["spec"]["chart"]["version"] = "1.2.4"
        apply(cluster, doc, namespace=namespace)
        apply(cluster, offer(offer_name, namespace))
        apply(cluster, subscription("mine", offer_name), namespace=namespace)
        eventually(
            lambda: (
                condition(get(cluster, "sub", "mine", namespace), "Ready").get("status") == "True"
            ),
            timeout=180,
            what="Ready",
            operator=operator,
        )
    finally:
        repo.stop()
    fetched = len(repo.requests)

    # A new parameter value means a new plan, rendered again from the cached archive.
    cluster.kubectl(
        "patch", "sub", "mine", "-n", namespace, "--type=merge",
        "-p", '{"spec": {"parameters": {"replicas": 4}}}',
    )  # fmt: skip
    eventually(
        lambda: get(cluster, "deployment", "mine-web", namespace)["spec"]["replicas"] == 4,
        what="the Deployment at 4 replicas",
        operator=operator,
        show=lambda: get(cluster, "dpi", "mine", namespace).get("status"),
    )
    assert dpi_condition(cluster, namespace, "mine", "Planned")["status"] == "True"
    assert len(repo.requests) == fetched == 2, repo.requests
