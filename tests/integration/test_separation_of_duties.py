"""Who requests a change cannot approve it (DESIGN: tenancy; IT4IT 5.4 Plan & Approve).

The MutatingAdmissionPolicy in manifests/admission stamps the requester of every spec change
onto the DesiredProductInstance; the operator refuses an Approval by that user. Users here are
real: client certificates from the control plane's CA, with RBAC in their namespace.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from releases import instance, release

from conftest import OperatorProcess, condition, eventually, get
from it4it_operator.devcluster import LocalCluster

pytestmark = pytest.mark.cluster
POLICY = Path(__file__).parents[2] / "manifests" / "admission" / "requester-policy.yaml"
REQUESTED_BY = "it4it.dev/requested-by"


@pytest.fixture
def requester_policy(cluster: Any) -> Iterator[None]:
    if not isinstance(cluster, LocalCluster):
        pytest.skip("needs users with client certificates of the local control plane")
    cluster.kubectl("apply", "-f", str(POLICY))
    yield
    cluster.kubectl("delete", "-f", str(POLICY), "--ignore-not-found")


def as_user(cluster: LocalCluster, user: str, namespace: str, *docs: dict[str, Any]) -> None:
    out = cluster.kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=yaml.safe_dump_all(docs),
        kubeconfig=cluster.user_kubeconfig(user),
        check=False,
    )
    assert out.returncode == 0, out.stderr


def grant(cluster: LocalCluster, namespace: str, *users: str) -> None:
    cluster.kubectl(
        "create",
        "role",
        "it4it-user",
        "-n",
        namespace,
        "--verb=*",
        "--resource=desiredproductinstances.it4it.dev,approvals.it4it.dev,"
        "productreleases.it4it.dev",
    )
    for user in users:
        cluster.kubectl(
            "create",
            "rolebinding",
            f"it4it-{user}",
            "-n",
            namespace,
            "--role=it4it-user",
            f"--user={user}",
        )


def approval(name: str, plan_hash: str, approver: str) -> dict[str, Any]:
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "Approval",
        "metadata": {"name": name},
        "spec": {
            "desiredInstance": "shopfront",
            "planHash": plan_hash,
            "approver": approver,
            "comment": "CAB",
        },
    }


def test_the_requester_of_a_change_cannot_approve_it(
    cluster: Any, operator: OperatorProcess, namespace: str, requester_policy: None
) -> None:
    grant(cluster, namespace, "ann", "bob")
    wanted = instance("shopfront", "guestbook-1-0-0", namespace, approval="Manual")

    def stamped() -> bool:
        """The policy is in force once a server-side dry run comes back annotated."""
        out = cluster.kubectl(
            "apply",
            "-n",
            namespace,
            "--dry-run=server",
            "-o",
            "json",
            "-f",
            "-",
            input=yaml.safe_dump(wanted),
            check=False,
            kubeconfig=cluster.user_kubeconfig("ann"),
        )
        found = json.loads(out.stdout)["metadata"] if out.returncode == 0 else {}
        return bool(found.get("annotations", {}).get(REQUESTED_BY) == "ann")

    eventually(stamped, what="the requester policy in force")

    as_user(cluster, "ann", namespace, release("guestbook-1-0-0", "1.0.0"), wanted)
    dpi = get(cluster, "dpi", "shopfront", namespace)
    assert dpi["metadata"]["annotations"][REQUESTED_BY] == "ann"
    cluster.kubectl(
        "annotate",
        "dpi",
        "shopfront",
        "-n",
        namespace,
        "--overwrite",
        f"{REQUESTED_BY}=somebody-else",
        kubeconfig=cluster.user_kubeconfig("ann"),
    )
    assert (
        get(cluster, "dpi", "shopfront", namespace)["metadata"]["annotations"][REQUESTED_BY]
        == "ann"
    ), "the requester cannot be forged"

    plan_hash = eventually(
        lambda: get(cluster, "dpi", "shopfront", namespace).get("status", {}).get("planHash"),
        what="a plan",
        operator=operator,
    )
    as_user(cluster, "ann", namespace, approval("by-ann", plan_hash, "ann"))
    refused = eventually(
        lambda: (
            (c := condition(get(cluster, "dpi", "shopfront", namespace), "Approved")).get("reason")
            == "SelfApprovalRefused"
            and c
        ),
        what="SelfApprovalRefused",
        operator=operator,
    )
    assert "ann" in refused["message"] and refused["status"] == "False"
    assert get(cluster, "deployment", "shopfront-web", namespace) == {}
    eventually(
        lambda: (
            condition(get(cluster, "approval", "by-ann", namespace), "Ready").get("reason")
            == "SelfApprovalRefused"
        ),
        what="ann's Approval says it does not count",
    )

    as_user(cluster, "bob", namespace, approval("by-bob", plan_hash, "bob"))
    eventually(
        lambda: (
            condition(get(cluster, "dpi", "shopfront", namespace), "Ready").get("status") == "True"
        ),
        what="Ready once bob approved",
        operator=operator,
    )
    assert "bob" in condition(get(cluster, "dpi", "shopfront", namespace), "Approved")["message"]
