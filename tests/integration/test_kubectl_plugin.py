"""`kubectl it4it` as a user runs it: the real kubectl binary finds the plugin on PATH.

An approver (a real user with a client certificate, bound to the it4it-approver and
it4it-viewer roles of manifests/rbac) unblocks a Manual plan of a subscription with `kubectl
it4it approve`, signed in their own name as the approval admission policy demands; `kubectl
it4it status sub/NAME` then shows the chain from subscription to Deployment as Ready, and exits
4 while it is not. The subscription is ordered by the cluster admin, so requester and approver
differ.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from offers import offer, subscription
from releases import release

from conftest import OperatorProcess, apply, condition, eventually, get, items
from it4it_operator.devcluster import LocalCluster, tools

pytestmark = pytest.mark.cluster
MANIFESTS = Path(__file__).parents[2] / "manifests"
APPROVAL_POLICY = MANIFESTS / "admission" / "approval-policy.yaml"
USER_ROLES = MANIFESTS / "rbac" / "20-user-roles.yaml"
MANUAL = {"approval": "Manual", "observeSeconds": 2, "rollback": "Automatic"}


def capture(cluster: Any, namespace: str, state: str) -> None:
    """With IT4IT_CAPTURE_DIR set, keep the chain's objects as tests/data/cli/ holds them (the
    unit tests of the tree read those; tests/data/cli/README.md says how to refresh them)."""
    if not (folder := os.environ.get("IT4IT_CAPTURE_DIR")):
        return
    for kind in ("sub", "dpi", "apinst"):
        found = get(cluster, kind, "mine", namespace)
        if found:
            for noisy in ("managedFields", "uid", "resourceVersion", "creationTimestamp"):
                found["metadata"].pop(noisy, None)
            target = Path(folder) / f"{state}-{kind}.json"
            target.write_text(json.dumps(found, indent=2).replace(namespace, "shop") + "\n")


def kubectl_it4it(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`kubectl it4it ARGS` with the venv's bin dir (where kubectl-it4it is) on PATH."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return subprocess.run(
        [str(tools.binary("kubectl")), "it4it", *args],
        env={**os.environ, "PATH": path, "KUBECONFIG": str(kubeconfig)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.fixture
def approval_policy(cluster: Any) -> Iterator[None]:
    """The user roles and the approval admission policy in force (probed), removed after."""
    if not isinstance(cluster, LocalCluster):
        pytest.skip("needs users with client certificates of the local control plane")
    cluster.kubectl("apply", "-f", str(USER_ROLES))
    cluster.kubectl("apply", "-f", str(APPROVAL_POLICY))
    probe = {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "Approval",
        "metadata": {"name": "probe", "namespace": "default"},
        "spec": {"desiredInstance": "x", "planHash": "sha256:" + "0" * 64, "approver": "nobody"},
    }
    eventually(
        lambda: (
            "approval-signature"
            in cluster.kubectl(
                "create", "--dry-run=server", "-f", "-", input=json.dumps(probe), check=False
            ).stderr
        ),
        timeout=30,
        what="the approval policy in force",
    )
    yield
    cluster.kubectl("delete", "-f", str(APPROVAL_POLICY), "--ignore-not-found", "--wait=false")


@pytest.fixture
def offer_name(cluster: Any) -> Iterator[str]:
    name = f"guestbook-{uuid.uuid4().hex[:6]}"
    yield name
    cluster.kubectl("delete", "serviceoffer", name, "--ignore-not-found", "--wait=false")


def test_an_approver_unblocks_a_manual_plan_and_status_traces_it_to_the_deployment(
    cluster: Any,
    operator: OperatorProcess,
    namespace: str,
    offer_name: str,
    approval_policy: None,
) -> None:
    for user in ("carol", "erin"):
        for role in ("it4it-approver", "it4it-viewer"):
            cluster.kubectl(
                "create",
                "rolebinding",
                f"{user}-{role}",
                f"--clusterrole={role}",
                f"--user={user}",
                "-n",
                namespace,
            )
    carol, erin = cluster.user_kubeconfig("carol"), cluster.user_kubeconfig("erin")
    nobody = cluster.user_kubeconfig("dave")
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(cluster, offer(offer_name, namespace, fulfillment=MANUAL))
    apply(
        cluster, subscription("mine", offer_name, parameters={"replicas": 1}), namespace=namespace
    )

    dpi = eventually(
        lambda: (
            (found := get(cluster, "dpi", "mine", namespace))
            and condition(found, "Approved").get("reason") == "AwaitingApproval"
            and found
        ),
        what="the plan awaiting approval",
        operator=operator,
    )
    plan_hash = dpi["status"]["planHash"]
    capture(cluster, namespace, "awaiting")

    waiting = kubectl_it4it(carol, "status", "sub/mine", "-n", namespace)
    assert waiting.returncode == 4, waiting.stdout + waiting.stderr
    assert "AwaitingApproval" in waiting.stdout, waiting.stdout

    refused = kubectl_it4it(nobody, "approve", "mine", "-n", namespace)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "forbidden" in refused.stderr.lower(), refused.stderr

    approved = kubectl_it4it(carol, "approve", "mine", "-n", namespace, "--comment", "CAB 42")
    assert approved.returncode == 0, approved.stdout + approved.stderr
    made = [a for a in items(cluster, "approval", namespace) if a["spec"]["approver"] == "carol"]
    assert [a["spec"] for a in made] == [
        {
            "desiredInstance": "mine",
            "planHash": plan_hash,
            "approver": "carol",
            "decision": "Approved",
            "comment": "CAB 42",
        }
    ]
    again = kubectl_it4it(carol, "approve", "mine", "-n", namespace)
    assert again.returncode == 0 and "already approves" in again.stdout, again.stdout

    eventually(
        lambda: condition(get(cluster, "sub", "mine", namespace), "Ready").get("status") == "True",
        what="the subscription Ready once carol approved",
        operator=operator,
    )
    assert "carol" in condition(get(cluster, "dpi", "mine", namespace), "Approved")["message"]

    capture(cluster, namespace, "ready")
    traced = kubectl_it4it(carol, "status", "sub/mine", "-n", namespace)
    print(waiting.stdout, traced.stdout, sep="\n")
    assert traced.returncode == 0, traced.stdout + traced.stderr
    lines = traced.stdout.splitlines()
    for needle in (
        "Subscription/mine",
        "DesiredProductInstance/mine",
        "ActualProductInstance/mine",
        "Deployment/mine-web",
    ):
        line = next((x for x in lines if needle in x), f"{needle} missing")
        ready = line.split(needle, 1)[1].split()[:1]
        assert ready == ["True"], f"{needle} not Ready:\n{traced.stdout}"

    as_json = kubectl_it4it(carol, "status", "sub/mine", "-n", namespace, "-o", "json")
    tree = json.loads(as_json.stdout)
    assert (tree["kind"], tree["name"], tree["ready"]) == ("Subscription", "mine", "True")
    actual = tree["children"][0]["children"][0]
    assert actual["kind"] == "ActualProductInstance"
    assert {(c["kind"], c["name"], c["ready"]) for c in actual["children"]} >= {
        ("Deployment", "mine-web", "True")
    }
    assert (
        yaml.safe_load(
            kubectl_it4it(carol, "status", "dpi/mine", "-n", namespace, "-o", "yaml").stdout
        )["kind"]
        == "DesiredProductInstance"
    )

    nothing = kubectl_it4it(erin, "approve", "mine", "-n", namespace)
    assert nothing.returncode == 3, nothing.stdout + nothing.stderr
    assert "already approved" in nothing.stderr, nothing.stderr
    missing = kubectl_it4it(carol, "status", "sub/nothing-here", "-n", namespace)
    assert missing.returncode == 1 and "not found" in missing.stderr, missing.stderr

    history = kubectl_it4it(carol, "history", "dpi/mine", "-n", namespace, "-o", "json")
    assert history.returncode == 0, history.stderr
    assert [e["release"] for e in json.loads(history.stdout)][-1:] == ["guestbook-1-0-0"]
    table = kubectl_it4it(carol, "history", "dpi/mine", "-n", namespace)
    assert plan_hash.removeprefix("sha256:")[:10] in table.stdout, table.stdout

    listed = kubectl_it4it(carol, "incidents", "-n", namespace, "-o", "json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == [], listed.stderr
