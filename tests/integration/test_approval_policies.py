"""Change approval policies and separation of duties through Subscriptions (issue 10, 2 and 3).

Users are real: client certificates from the control plane's CA (their groups in the
certificate's O=), bound to the it4it-consumer and it4it-approver ClusterRoles of
manifests/rbac. The admission policies of manifests/admission stamp who requested a
Subscription's change (carried by the operator onto its instance) and the groups of whoever
signs an Approval; the operator counts Approvals by the plan's approval policy.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from offers import offer, subscription
from releases import release

from conftest import OperatorProcess, apply, condition, eventually, get
from it4it_operator.devcluster import LocalCluster, tools

pytestmark = pytest.mark.cluster
ROOT = Path(__file__).parents[2]
ADMISSION = ROOT / "manifests" / "admission"
POLICIES = [
    ADMISSION / name
    for name in ("approval-policy.yaml", "requester-policy.yaml", "approver-groups-policy.yaml")
]
USER_ROLES = ROOT / "manifests" / "rbac" / "20-user-roles.yaml"
REQUESTED_BY = "it4it.dev/requested-by"
APPROVER_GROUPS = "it4it.dev/approver-groups"


# -- fixtures and helpers --------------------------------------------------------------------
@pytest.fixture(scope="module")
def policies(cluster: Any) -> Iterator[LocalCluster]:
    """The admission policies and the people's ClusterRoles, for this module's tests."""
    if not isinstance(cluster, LocalCluster):
        pytest.skip("needs users with client certificates of the local control plane")
    cluster.kubectl("apply", "-f", str(USER_ROLES))
    for policy in POLICIES:
        cluster.kubectl("apply", "-f", str(policy))
    yield cluster
    for policy in POLICIES:
        cluster.kubectl("delete", "-f", str(policy), "--ignore-not-found")


def _dry_run(cluster: LocalCluster, namespace: str, doc: dict[str, Any]) -> dict[str, Any]:
    out = cluster.kubectl(
        *("create", "-n", namespace, "--dry-run=server", "-o", "json", "-f", "-"),
        input=yaml.safe_dump(doc),
        check=False,
    )
    return dict(json.loads(out.stdout)) if out.returncode == 0 else {}


@pytest.fixture
def in_force(policies: LocalCluster, namespace: str) -> str:
    """The policies are in force in `namespace` (a new policy takes a moment): a dry run as the
    admin comes back stamped."""
    admin = policies.kubectl(
        "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"
    ).stdout.strip()
    sub = subscription("probe", "nothing")
    probe = approval("probe", "sha256:" + "0" * 64, admin, instance="probe")

    def stamped() -> bool:
        found = _dry_run(policies, namespace, sub)
        signed = _dry_run(policies, namespace, probe)
        return annotations(found).get(REQUESTED_BY) == admin and APPROVER_GROUPS in annotations(
            signed
        )

    eventually(stamped, timeout=60, what="the admission policies in force")
    return namespace


@pytest.fixture
def offer_name(cluster: Any) -> Iterator[str]:
    name = f"approvals-{uuid.uuid4().hex[:6]}"
    yield name
    cluster.kubectl("delete", "serviceoffer", name, "--ignore-not-found", "--wait=false")


def annotations(obj: dict[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("annotations") or {})


def bind(cluster: LocalCluster, namespace: str, user: str, *roles: str) -> None:
    for role in roles:
        cluster.kubectl(
            *("create", "rolebinding", f"{user}-{role}", "-n", namespace),
            f"--clusterrole={role}",
            f"--user={user}",
        )


def as_user(
    cluster: LocalCluster,
    user: str,
    namespace: str,
    *docs: dict[str, Any],
    groups: tuple[str, ...] = (),
    check: bool = True,
) -> Any:
    out = cluster.kubectl(
        *("apply", "-n", namespace, "-f", "-"),
        input=yaml.safe_dump_all(docs),
        kubeconfig=cluster.user_kubeconfig(user, groups),
        check=False,
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out


def approval(
    name: str,
    plan_hash: str,
    approver: str,
    *,
    instance: str = "shopfront",
    decision: str = "Approved",
    reason: str | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "desiredInstance": instance,
        "planHash": plan_hash,
        "approver": approver,
        "decision": decision,
    }
    if reason:
        spec["reason"] = reason
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "Approval",
        "metadata": {"name": name},
        "spec": spec,
    }


def manual(**approvers: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {"approval": "Manual", "observeSeconds": 2, "rollback": "Automatic"}
    if approvers:
        plan["approvers"] = approvers
    return plan


def ordered(
    cluster: LocalCluster, operator: OperatorProcess, namespace: str, offer_name: str, **rule: Any
) -> str:
    """Release 1.0.0 and a Manual offer over it; ann (a consumer who also holds the approver
    role) subscribes; returns the plan hash of the instance the operator wrote."""
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(
        cluster,
        offer(
            offer_name,
            namespace,
            audience={"namespaces": [namespace]},
            fulfillment=manual(**rule),
        ),
    )
    bind(cluster, namespace, "ann", "it4it-consumer", "it4it-approver")
    as_user(cluster, "ann", namespace, subscription("shopfront", offer_name))
    return plan_of(cluster, operator, namespace)


def plan_of(
    cluster: LocalCluster, operator: OperatorProcess, namespace: str, other_than: str = ""
) -> str:
    def planned() -> str:
        dpi = get(cluster, "dpi", "shopfront", namespace)
        found = str((dpi.get("status") or {}).get("planHash") or "")
        return found if found != other_than else ""

    return str(eventually(planned, what="a (new) plan", operator=operator))


def approved(cluster: LocalCluster, namespace: str) -> dict[str, Any]:
    return condition(get(cluster, "dpi", "shopfront", namespace), "Approved")


def wait_approved(
    cluster: LocalCluster, operator: OperatorProcess, namespace: str, reason: str, text: str = ""
) -> dict[str, Any]:
    def seen() -> dict[str, Any] | None:
        c = approved(cluster, namespace)
        return c if c.get("reason") == reason and text in c.get("message", "") else None

    found: dict[str, Any] = eventually(
        seen,
        what=f"Approved reason {reason} saying {text!r}",
        operator=operator,
        show=lambda: approved(cluster, namespace),
    )
    return found


def sub_ready(cluster: LocalCluster, namespace: str) -> bool:
    return condition(get(cluster, "sub", "shopfront", namespace), "Ready").get("status") == "True"


# -- item 2: separation of duties through Subscriptions ---------------------------------------
def test_a_consumer_who_also_approves_cannot_approve_their_own_subscription(
    policies: LocalCluster, operator: OperatorProcess, in_force: str, offer_name: str
) -> None:
    cluster, namespace = policies, in_force
    plan_hash = ordered(cluster, operator, namespace, offer_name)
    assert annotations(get(cluster, "sub", "shopfront", namespace))[REQUESTED_BY] == "ann"
    dpi = get(cluster, "dpi", "shopfront", namespace)
    assert annotations(dpi)[REQUESTED_BY] == "ann", "the operator carries the requester"

    as_user(cluster, "ann", namespace, approval("by-ann", plan_hash, "ann"))
    refused = wait_approved(cluster, operator, namespace, "SelfApprovalRefused", "by-ann")
    assert refused["status"] == "False"
    assert (
        "ann requested this change; an approver other than the requester must approve"
        in refused["message"]
    )
    eventually(
        lambda: (
            condition(get(cluster, "approval", "by-ann", namespace), "Ready").get("reason")
            == "SelfApprovalRefused"
        ),
        what="ann's Approval says it does not count",
        operator=operator,
    )
    assert get(cluster, "deployment", "shopfront-web", namespace) == {}

    bind(cluster, namespace, "bob", "it4it-approver")
    as_user(cluster, "bob", namespace, approval("by-bob", plan_hash, "bob"))
    eventually(
        lambda: sub_ready(cluster, namespace), what="Ready once bob approved", operator=operator
    )
    message = approved(cluster, namespace)["message"]
    assert "approved by bob (Approval by-bob)" in message
    assert "Approval by-ann by ann: ann requested this change" in message


def test_a_forged_requester_is_overwritten_on_subscriptions_and_instances(
    policies: LocalCluster, operator: OperatorProcess, in_force: str, offer_name: str
) -> None:
    cluster, namespace = policies, in_force
    bind(cluster, namespace, "ann", "it4it-consumer")
    bind(cluster, namespace, "mallory", "it4it-consumer")
    cluster.kubectl(
        *("create", "role", "instance-writer", "-n", namespace),
        "--verb=get,list,create,update,patch",
        "--resource=desiredproductinstances.it4it.dev",
    )
    for user in ("ann", "mallory"):
        cluster.kubectl(
            *("create", "rolebinding", f"{user}-instances", "-n", namespace),
            "--role=instance-writer",
            f"--user={user}",
        )
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(
        cluster,
        offer(offer_name, namespace, audience={"namespaces": [namespace]}, fulfillment=manual()),
    )

    # A Subscription created with someone else's name gets its creator's.
    forged = subscription("shopfront", offer_name)
    forged["metadata"]["annotations"] = {REQUESTED_BY: "bob"}
    as_user(cluster, "ann", namespace, forged)
    assert annotations(get(cluster, "sub", "shopfront", namespace))[REQUESTED_BY] == "ann"
    # ... and keeps it when somebody annotates it afterwards.
    cluster.kubectl(
        *("annotate", "sub", "shopfront", "-n", namespace, "--overwrite"),
        f"{REQUESTED_BY}=bob",
        kubeconfig=cluster.user_kubeconfig("mallory"),
    )
    assert annotations(get(cluster, "sub", "shopfront", namespace))[REQUESTED_BY] == "ann"
    # A spec change by mallory makes mallory the requester, of the instance too.
    patched = cluster.kubectl(
        *("patch", "sub", "shopfront", "-n", namespace, "--type=merge"),
        "-p",
        json.dumps({"spec": {"parameters": {"replicas": 1}}}),
        kubeconfig=cluster.user_kubeconfig("mallory"),
        check=False,
    )
    assert patched.returncode == 0, patched.stderr
    assert annotations(get(cluster, "sub", "shopfront", namespace))[REQUESTED_BY] == "mallory"
    eventually(
        lambda: (
            annotations(get(cluster, "dpi", "shopfront", namespace)).get(REQUESTED_BY) == "mallory"
        ),
        what="the instance's requester to follow the subscription's",
        operator=operator,
    )

    # Only the operator carries a requester onto an instance: anyone else's name is theirs.
    cluster.kubectl(
        *("annotate", "dpi", "shopfront", "-n", namespace, "--overwrite"),
        f"{REQUESTED_BY}=ann",
        kubeconfig=cluster.user_kubeconfig("mallory"),
    )
    assert annotations(get(cluster, "dpi", "shopfront", namespace))[REQUESTED_BY] == "mallory"
    direct = {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "DesiredProductInstance",
        "metadata": {"name": "direct", "annotations": {REQUESTED_BY: "it4it-operator"}},
        "spec": {
            "release": {"namespace": namespace, "name": "guestbook-1-0-0"},
            "plan": {"approval": "Manual"},
        },
    }
    as_user(cluster, "ann", namespace, direct)
    assert annotations(get(cluster, "dpi", "direct", namespace))[REQUESTED_BY] == "ann"


# -- item 3: change approval policies ---------------------------------------------------------
def test_two_approvals_from_ops_and_security_and_a_rejection_stops_the_plan(
    policies: LocalCluster, operator: OperatorProcess, in_force: str, offer_name: str
) -> None:
    cluster, namespace = policies, in_force
    plan_hash = ordered(
        cluster, operator, namespace, offer_name, count=2, groups=["ops", "security"]
    )
    dpi = get(cluster, "dpi", "shopfront", namespace)
    assert dpi["spec"]["plan"]["approvers"] == {"count": 2, "groups": ["ops", "security"]}
    for user in ("olga", "bob", "sam"):
        bind(cluster, namespace, user, "it4it-approver")

    as_user(cluster, "olga", namespace, approval("by-olga", plan_hash, "olga"), groups=("ops",))
    stamped = annotations(get(cluster, "approval", "by-olga", namespace))[APPROVER_GROUPS]
    assert "ops" in json.loads(stamped), stamped
    waiting = wait_approved(cluster, operator, namespace, "AwaitingApproval", "olga")
    assert "approved by olga (Approval by-olga, in ops)" in waiting["message"]
    assert "an approver in group security" in waiting["message"]
    assert "1 more approval (2 needed, 1 counted)" in waiting["message"]

    # Groups come from the certificate, not from anything the approver writes.
    forged = approval("by-bob", plan_hash, "bob")
    forged["metadata"]["annotations"] = {APPROVER_GROUPS: '["security"]'}
    as_user(cluster, "bob", namespace, forged, groups=("dev",))
    wait_approved(
        cluster,
        operator,
        namespace,
        "AwaitingApproval",
        "bob is in none of the groups ops, security",
    )
    assert get(cluster, "deployment", "shopfront-web", namespace) == {}

    as_user(cluster, "sam", namespace, approval("by-sam", plan_hash, "sam"), groups=("security",))
    eventually(
        lambda: sub_ready(cluster, namespace), what="Ready with ops and security", operator=operator
    )
    message = approved(cluster, namespace)["message"]
    assert "olga (Approval by-olga, in ops) and sam (Approval by-sam, in security)" in message

    # A change (new plan): security rejects it, and the plan stops until the spec changes.
    as_user(
        cluster, "ann", namespace, subscription("shopfront", offer_name, parameters={"replicas": 3})
    )
    second = plan_of(cluster, operator, namespace, other_than=plan_hash)
    as_user(cluster, "olga", namespace, approval("olga-2", second, "olga"), groups=("ops",))
    as_user(
        cluster,
        "sam",
        namespace,
        approval("sam-2", second, "sam", decision="Rejected", reason="no penetration test"),
        groups=("security",),
    )
    rejected = wait_approved(cluster, operator, namespace, "Rejected")
    assert (
        "rejected by sam (Approval sam-2, in security): no penetration test" in rejected["message"]
    )
    dpi = get(cluster, "dpi", "shopfront", namespace)
    stalled = condition(dpi, "Stalled")
    assert (stalled.get("status"), stalled.get("reason")) == ("True", "Rejected")
    assert "sam" in stalled["message"] and "no penetration test" in stalled["message"]
    deployment = get(cluster, "deployment", "shopfront-web", namespace)
    assert deployment["spec"]["replicas"] == 2, "the rejected change is not applied"

    # A rejection without a reason is refused by the API server, naming the field.
    bare = approval("sam-3", second, "sam", decision="Rejected")
    out = as_user(cluster, "sam", namespace, bare, groups=("security",), check=False)
    assert out.returncode != 0 and "spec.reason" in out.stderr, out.stderr

    as_user(
        cluster, "ann", namespace, subscription("shopfront", offer_name, parameters={"replicas": 4})
    )
    plan_of(cluster, operator, namespace, other_than=second)
    wait_approved(cluster, operator, namespace, "AwaitingApproval")
    assert condition(get(cluster, "dpi", "shopfront", namespace), "Stalled") == {}


def test_an_expired_approval_stops_counting_at_its_expiry(
    policies: LocalCluster, operator: OperatorProcess, in_force: str, offer_name: str
) -> None:
    cluster, namespace = policies, in_force
    plan_hash = ordered(
        cluster,
        operator,
        namespace,
        offer_name,
        count=2,
        groups=["ops", "security"],
        expireSeconds=20,
    )
    for user in ("olga", "sam"):
        bind(cluster, namespace, user, "it4it-approver")
    as_user(cluster, "olga", namespace, approval("by-olga", plan_hash, "olga"), groups=("ops",))
    wait_approved(cluster, operator, namespace, "AwaitingApproval", "approved by olga")
    # Nothing changes after this: the operator's pass at the expiry turns it.
    expired = wait_approved(
        cluster, operator, namespace, "ApprovalExpired", "by-olga by olga: it expired at"
    )
    assert expired["status"] == "False"
    eventually(
        lambda: (
            condition(get(cluster, "approval", "by-olga", namespace), "Ready").get("reason")
            == "Expired"
        ),
        what="olga's Approval to say it expired",
        operator=operator,
    )

    as_user(cluster, "sam", namespace, approval("by-sam", plan_hash, "sam"), groups=("security",))
    waiting = wait_approved(cluster, operator, namespace, "AwaitingApproval", "approved by sam")
    assert "an approver in group ops" in waiting["message"]
    as_user(cluster, "olga", namespace, approval("olga-again", plan_hash, "olga"), groups=("ops",))
    eventually(
        lambda: sub_ready(cluster, namespace), what="Ready once both count", operator=operator
    )
    # Applied: the approvals expiring afterwards change nothing.
    assert approved(cluster, namespace)["status"] == "True"


# -- the Approval signature policy -------------------------------------------------------------
def test_an_incident_approval_can_be_updated_but_not_re_pointed(
    policies: LocalCluster, in_force: str
) -> None:
    cluster, namespace = policies, in_force
    bind(cluster, namespace, "jane", "it4it-approver")
    cluster.kubectl(
        *("create", "role", "approval-editor", "-n", namespace),
        "--verb=update,patch",
        "--resource=approvals.it4it.dev",
    )
    cluster.kubectl(
        *("create", "rolebinding", "jane-edits", "-n", namespace),
        "--role=approval-editor",
        "--user=jane",
    )
    jane = cluster.user_kubeconfig("jane")
    body = {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "Approval",
        "metadata": {"name": "fix-it"},
        "spec": {"incident": "shopfront-slow", "approver": "jane", "comment": "go"},
    }
    as_user(cluster, "jane", namespace, body)

    def patch(spec: dict[str, Any]) -> Any:
        return cluster.kubectl(
            *("patch", "approval", "fix-it", "-n", namespace, "--type=merge"),
            "-p",
            json.dumps({"spec": spec}),
            kubeconfig=jane,
            check=False,
        )

    changed = patch({"comment": "CAB 7"})
    assert changed.returncode == 0, changed.stderr
    assert cluster.kubectl("label", "approval", "fix-it", "-n", namespace, "x=y").returncode == 0
    refused = patch({"incident": "another"})
    assert refused.returncode != 0
    assert "spec.incident cannot change" in refused.stderr, refused.stderr
    assert get(cluster, "approval", "fix-it", namespace)["spec"]["comment"] == "CAB 7"


# -- the chart's operator identity ------------------------------------------------------------
def test_the_chart_lets_its_own_service_account_carry_the_requester() -> None:
    rendered = subprocess.run(
        [
            str(tools.binary("helm")),
            *(
                "template",
                "it4it-operator",
                str(ROOT / "charts" / "it4it-operator"),
                "-n",
                "platform",
            ),
            "--kube-version=1.36.0",
            '--set-json=admissionPolicy.operatorUsers=["it4it-operator"]',
        ],
        text=True,
        capture_output=True,
        check=True,
    )
    docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    (policy,) = [
        d
        for d in docs
        if d["kind"] == "MutatingAdmissionPolicy" and d["metadata"]["name"] == "it4it-requested-by"
    ]
    (operators,) = [v for v in policy["spec"]["variables"] if v["name"] == "operators"]
    assert json.loads(operators["expression"]) == [
        "system:serviceaccount:platform:it4it-operator",
        "it4it-operator",
    ]
    kinds = {d["metadata"]["name"] for d in docs if d["kind"] == "MutatingAdmissionPolicy"}
    assert kinds == {"it4it-requested-by", "it4it-approver-groups"}
