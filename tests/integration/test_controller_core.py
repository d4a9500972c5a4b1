"""The controller core on the real control plane: cost follows change, not object count.

The session's operator runs with the safety resync set to an hour, so everything these tests
see happen is driven by watches. Its requests are counted by the API server's audit log of the
operator's own user (the local control plane records only that user).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from offers import offer, subscription
from releases import instance, release

from conftest import OperatorProcess, apply, condition, eventually, get, items
from it4it_operator.devcluster.audit import read_audit, summarize

pytestmark = pytest.mark.cluster
SOON = 20.0
"""Seconds within which a change must reach its dependents (the resync is an hour away)."""


@pytest.fixture
def offer_name(cluster: Any) -> Iterator[str]:
    name = f"core-{uuid.uuid4().hex[:6]}"
    yield name
    cluster.kubectl("delete", "serviceoffer", name, "--ignore-not-found", "--wait=false")


def audited(cluster: Any) -> Any:
    if not hasattr(cluster, "audit_log"):
        pytest.skip("needs the local control plane's audit log of the operator's user")
    return cluster.audit_log


def ready(obj: dict[str, Any]) -> bool:
    return condition(obj, "Ready").get("status") == "True"


def quiet(cluster: Any) -> None:
    """Wait until no namespace of an earlier test is still being decommissioned."""

    def settled() -> bool:
        spaces = json.loads(cluster.kubectl("get", "namespaces", "-o", "json").stdout)["items"]
        return not [n for n in spaces if n["status"].get("phase") == "Terminating"]

    eventually(settled, timeout=180, what="earlier namespaces gone")


def test_fifty_converged_subscriptions_cost_no_writes_while_nothing_changes(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str
) -> None:
    log = audited(cluster)
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(cluster, offer(offer_name, namespace, audience={"namespaces": [namespace]}))
    subs = [subscription(f"s{i:02d}", offer_name, parameters={"replicas": 1}) for i in range(50)]
    apply(cluster, *subs, namespace=namespace)

    def all_ready() -> bool:
        found = items(cluster, "subscriptions", namespace)
        return len(found) == 50 and all(ready(s) for s in found)

    eventually(all_ready, timeout=300, what="50 subscriptions Ready", operator=operator)
    quiet(cluster)
    time.sleep(3)  # the last status writes of convergence land
    start = dt.datetime.now(dt.UTC)
    time.sleep(30)
    idle = summarize(read_audit(log, user=operator.user, since=start))
    assert idle["writes"] == 0, f"the operator wrote while nothing changed: {idle}"
    assert idle["reads"] <= 30, f"more than a read a second while idle: {idle}"


def test_a_narrower_offer_range_reaches_the_subscription_at_once(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str
) -> None:
    apply(
        cluster,
        release("guestbook-1-0-0", "1.0.0"),
        release("guestbook-1-1-0", "1.1.0"),
        namespace=namespace,
    )
    apply(cluster, offer(offer_name, namespace, audience={"namespaces": [namespace]}))
    apply(cluster, subscription("mine", offer_name), namespace=namespace)

    def release_of() -> str:
        dpi = get(cluster, "dpi", "mine", namespace)
        return str(((dpi.get("spec") or {}).get("release") or {}).get("name"))

    eventually(lambda: release_of() == "guestbook-1-1-0", what="newest release", operator=operator)
    cluster.kubectl(
        "patch",
        "serviceoffer",
        offer_name,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"release": {"version": ">=1.0.0 <1.1.0"}}}),
    )
    eventually(
        lambda: release_of() == "guestbook-1-0-0",
        timeout=SOON,
        what="the instance follows the offer's new range",
        operator=operator,
    )


def test_an_approval_unblocks_its_instance_at_once(
    cluster: Any, operator: OperatorProcess, namespace: str
) -> None:
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(
        cluster,
        instance("held", "guestbook-1-0-0", namespace, approval="Manual"),
        namespace=namespace,
    )

    def plan_hash() -> str | None:
        return (get(cluster, "dpi", "held", namespace).get("status") or {}).get("planHash")

    planned = eventually(plan_hash, what="a plan hash", operator=operator)
    approval = {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "Approval",
        "metadata": {"name": "cab-1"},
        "spec": {"desiredInstance": "held", "planHash": planned, "approver": "jane"},
    }
    apply(cluster, approval, namespace=namespace)
    eventually(
        lambda: (
            condition(get(cluster, "dpi", "held", namespace), "Approved").get("status") == "True"
        ),
        timeout=SOON,
        what="Approved right after the Approval",
        operator=operator,
    )


def test_a_namespace_label_reaches_the_subscription_at_once(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str
) -> None:
    tier = f"t{uuid.uuid4().hex[:6]}"
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    audience = {"namespaceSelector": {"matchLabels": {"tier": tier}}}
    apply(cluster, offer(offer_name, namespace, audience=audience))
    apply(cluster, subscription("mine", offer_name), namespace=namespace)

    def selected() -> dict[str, Any]:
        return condition(get(cluster, "sub", "mine", namespace), "OfferSelected")

    eventually(
        lambda: selected().get("reason") == "NotInAudience", what="refused", operator=operator
    )
    cluster.kubectl("label", "namespace", namespace, f"tier={tier}")
    eventually(
        lambda: selected().get("status") == "True",
        timeout=SOON,
        what="selected once the namespace is labelled",
        operator=operator,
    )
