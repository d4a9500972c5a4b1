"""The local control plane's size, its operator identity and its stages, without starting it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID

from it4it_operator.cli import build_parser
from it4it_operator.devcluster import LocalCluster, audit, pki
from it4it_operator.devcluster.cluster import KWOK_STAGES, client_rate_flags


def test_capacity_defaults_to_four_nodes_of_a_thousand_pods(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IT4IT_DEV_NODES", raising=False)
    monkeypatch.delenv("IT4IT_DEV_PODS_PER_NODE", raising=False)
    cluster = LocalCluster(tmp_path)
    assert (cluster.nodes, cluster.pods_per_node) == (4, 1000)


def test_capacity_comes_from_the_environment_unless_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IT4IT_DEV_NODES", "6")
    monkeypatch.setenv("IT4IT_DEV_PODS_PER_NODE", "250")
    assert (LocalCluster(tmp_path).nodes, LocalCluster(tmp_path).pods_per_node) == (6, 250)
    given = LocalCluster(tmp_path, nodes=1, pods_per_node=10)
    assert (given.nodes, given.pods_per_node) == (1, 10)


def test_no_capacity_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must be >= 1"):
        LocalCluster(tmp_path, nodes=0)


def test_cluster_up_takes_the_size_as_flags() -> None:
    args = build_parser().parse_args(["cluster", "up", "--nodes", "3", "--pods-per-node", "50"])
    assert (args.nodes, args.pods_per_node) == (3, 50)
    args = build_parser().parse_args(["cluster", "up"])
    assert (args.nodes, args.pods_per_node) == (None, None)


def test_controllers_are_not_throttled_by_their_own_clients() -> None:
    flags = dict(f.removeprefix("--").split("=") for f in client_rate_flags())
    assert int(flags["kube-api-qps"]) >= 500 and int(flags["kube-api-burst"]) >= 1000


def test_paths_of_the_operator_kubeconfig_and_the_audit_log(tmp_path: Path) -> None:
    cluster = LocalCluster(tmp_path)
    assert cluster.operator_kubeconfig == tmp_path / "operator.kubeconfig"
    assert cluster.audit_log == tmp_path / "logs" / "audit.log"


def test_the_pki_issues_the_operator_a_masters_certificate(tmp_path: Path) -> None:
    made = pki.create(tmp_path)
    cert_path, key_path = made.client(audit.OPERATOR_USER)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "it4it-operator"
    orgs = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    assert orgs == ["system:masters"] and key_path.exists()

    cert_path.unlink()
    assert pki.ensure_operator(made) == (cert_path, key_path) and cert_path.exists()


def test_the_fail_after_stage_is_among_the_stages_kwok_loads() -> None:
    stages = {
        doc["metadata"]["name"]: doc
        for path in KWOK_STAGES.glob("*.yaml")
        for doc in yaml.safe_load_all(path.read_text())
    }
    stage = stages["pod-fail-after-seconds"]["spec"]
    keys = [e["key"] for e in stage["selector"]["matchExpressions"]]
    assert '.metadata.annotations["kwok.it4it.dev/fail-after-seconds"]' in keys
    assert "kwok.it4it.dev/fail-after-seconds" in stage["delay"]["durationFrom"]["jq"]["expression"]
    running = {"pod-complete", "pod-container-running-failed"}
    assert all(stage["weight"] > stages[n]["spec"].get("weight", 0) for n in running)
