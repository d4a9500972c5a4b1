"""Release (IT4IT 5.5) and Consume (5.6) on the real control plane, with the operator running:
a catalog of offers that consumers subscribe to, with a contract they can read."""

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
from it4it_operator.stages.release.audience import canary_bucket

pytestmark = pytest.mark.cluster
SAMPLES = Path(__file__).parents[2] / "manifests" / "samples"


@pytest.fixture
def offer_name(cluster: Any) -> Iterator[str]:
    """A unique cluster-scoped offer name, deleted afterwards."""
    name = f"guestbook-{uuid.uuid4().hex[:6]}"
    yield name
    cluster.kubectl("delete", "serviceoffer", name, "--ignore-not-found", "--wait=false")


def sub_status(cluster: Any, ns: str, name: str) -> dict[str, Any]:
    return dict(get(cluster, "sub", name, ns).get("status") or {})


def reason(cluster: Any, ns: str, name: str, type_: str) -> str | None:
    return condition(get(cluster, "sub", name, ns), type_).get("reason")


def running_pods(cluster: Any, ns: str) -> list[dict[str, Any]]:
    return [p for p in items(cluster, "pods", ns) if p["status"].get("phase") == "Running"]


def ready(cluster: Any, ns: str, name: str) -> bool:
    return condition(get(cluster, "sub", name, ns), "Ready").get("status") == "True"


def subscribed(cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str) -> None:
    """Release 1.0.0, an offer over it, and subscription "mine" to it, Ready."""
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(cluster, offer(offer_name, namespace))
    apply(cluster, subscription("mine", offer_name), namespace=namespace)
    eventually(lambda: ready(cluster, namespace, "mine"), what="Ready", operator=operator)


def catalog(cluster: Any, namespace: str, *extra: str) -> list[dict[str, Any]]:
    env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig)}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "it4it_operator.cli",
            "catalog",
            "--namespace",
            namespace,
            "-o",
            "json",
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return list(json.loads(out.stdout))


def test_the_walkthrough_samples_end_with_a_running_subscription(
    cluster: Any, operator: OperatorProcess
) -> None:
    samples = sorted(p for p in SAMPLES.glob("*.yaml") if "approval" not in p.name)
    for ns in ("shop", "team-guestbook"):  # another test may have just deleted them
        if get(cluster, "namespace", ns).get("status", {}).get("phase") == "Terminating":
            cluster.kubectl("wait", "--for=delete", f"namespace/{ns}", "--timeout=120s")
    try:
        for sample in samples:
            cluster.kubectl("apply", "-f", str(sample))
        waited = cluster.kubectl(
            "wait",
            "--for=condition=Ready",
            "sub/my-guestbook",
            "-n",
            "shop",
            "--timeout=180s",
            check=False,
        )
        assert waited.returncode == 0, waited.stderr + operator.tail()

        pods = running_pods(cluster, "shop")
        assert len(pods) == 3 and all(p["spec"]["nodeName"].startswith("kwok-") for p in pods)
        status = sub_status(cluster, "shop", "my-guestbook")
        contract = status["contract"]
        assert contract["offer"] == "guestbook-standard"
        assert (contract["termsVersion"], contract["price"], contract["currency"]) == (
            "2026-01",
            "12.50",
            "EUR",
        )
        assert contract["releaseVersion"] == "1.1.0", "the newest accepted release in range"
        assert status["instance"] == {"desired": "my-guestbook", "actual": "my-guestbook"}
        glance = cluster.kubectl("get", "sub", "-n", "shop").stdout
        for word in ("my-guestbook", "guestbook-standard", "1.1.0", "12.50", "99.5", "True"):
            assert word in glance, glance
        eventually(  # an offer counts its subscribers a few seconds after they change
            lambda: get(cluster, "offer", "guestbook-standard")["status"].get("subscribers") == 1,
            what="one subscriber",
        )
        offered = get(cluster, "offer", "guestbook-standard")
        assert offered["status"]["margin"] == "5.50"

        # As a GitOps tool sees it: once converged, applying the samples again changes nothing
        # and `kubectl diff` (a server-side dry run against the live objects) shows nothing.
        for sample in samples:
            again = cluster.kubectl("apply", "-f", str(sample)).stdout.strip().splitlines()
            assert all(line.endswith(" unchanged") for line in again), again
        drift = cluster.kubectl(
            "diff", *(a for sample in samples for a in ("-f", str(sample))), check=False
        )
        assert drift.returncode == 0, drift.stdout + drift.stderr
    finally:
        cluster.kubectl(
            "delete", "-f", str(SAMPLES), "--ignore-not-found", "--wait=false", check=False
        )


def test_a_namespace_outside_the_audience_cannot_subscribe(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str
) -> None:
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(cluster, offer(offer_name, namespace, audience={"namespaces": ["somewhere-else"]}))
    apply(cluster, subscription("mine", offer_name), namespace=namespace)

    eventually(
        lambda: reason(cluster, namespace, "mine", "OfferSelected") == "NotInAudience",
        what="NotInAudience",
        operator=operator,
    )
    message = condition(get(cluster, "sub", "mine", namespace), "OfferSelected")["message"]
    assert namespace in message
    assert items(cluster, "dpi", namespace) == []
    assert catalog(cluster, namespace) == []


def test_canary_percent_splits_namespaces_by_a_stable_hash(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str
) -> None:
    label = f"canary-{uuid.uuid4().hex[:6]}"
    candidates = [f"{label}-{i}" for i in range(40)]
    inside = next(n for n in candidates if canary_bucket(n) < 30)
    outside = next(n for n in candidates if canary_bucket(n) >= 30)
    for ns in (inside, outside):
        cluster.kubectl("create", "namespace", ns)
        cluster.kubectl("label", "namespace", ns, f"canary={label}")
    try:
        apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
        apply(
            cluster,
            offer(
                offer_name,
                namespace,
                audience={
                    "namespaceSelector": {"matchLabels": {"canary": label}},
                    "canaryPercent": 30,
                },
            ),
        )
        eventually(
            lambda: condition(get(cluster, "offer", offer_name), "Ready").get("status") == "True",
            what="offer Ready",
            operator=operator,
        )
        assert [r["name"] for r in catalog(cluster, inside)] == [offer_name]
        assert catalog(cluster, outside) == []
        apply(cluster, subscription("mine", offer_name), namespace=outside)
        eventually(
            lambda: reason(cluster, outside, "mine", "OfferSelected") == "OutsideCanaryShare",
            what="OutsideCanaryShare",
            operator=operator,
        )
    finally:
        for ns in (inside, outside):
            cluster.kubectl("delete", "namespace", ns, "--wait=false")


@pytest.mark.parametrize(
    "sub, field, why",
    [
        pytest.param(
            subscription("mine", "OFFER", terms="2025-07"),
            "spec.acceptedTerms",
            "TermsMismatch",
            id="a wrong terms version is refused",
        ),
        pytest.param(
            subscription("mine", "OFFER", parameters={"replicas": 9}),
            "spec.parameters.replicas",
            "InvalidParameters",
            id="a parameter outside the offer's schema is refused",
        ),
    ],
)
def test_bad_orders_are_refused_naming_the_field_and_nothing_is_deployed(
    cluster: Any,
    operator: OperatorProcess,
    namespace: str,
    offer_name: str,
    sub: dict[str, Any],
    field: str,
    why: str,
) -> None:
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    apply(cluster, offer(offer_name, namespace))
    sub["spec"]["offer"] = offer_name

    apply(cluster, sub, namespace=namespace)

    def refused() -> dict[str, Any] | None:
        ready_condition = condition(get(cluster, "sub", "mine", namespace), "Ready")
        return ready_condition if ready_condition.get("reason") == why else None

    refusal = eventually(refused, what=why, operator=operator)
    assert refusal["status"] == "False" and field in refusal["message"]
    assert items(cluster, "dpi", namespace) == []
    assert items(cluster, "deployments", namespace) == []


def test_terms_change_and_termination_keep_running_services_informed(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str
) -> None:
    subscribed(cluster, operator, namespace, offer_name)

    changed = offer(offer_name, namespace)
    changed["spec"]["pricing"]["price"] = "15.00"
    same_terms = cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump(changed), check=False)
    assert same_terms.returncode != 0 and "spec.pricing" in same_terms.stderr, same_terms.stderr
    assert get(cluster, "offer", offer_name)["spec"]["pricing"]["price"] == "12.50"

    changed["spec"]["terms"]["version"] = "2026-07"
    changed["spec"]["pricing"]["price"] = "15.00"
    apply(cluster, changed)
    eventually(
        lambda: reason(cluster, namespace, "mine", "Agreed") == "TermsChanged",
        what="TermsChanged",
        operator=operator,
    )
    status = sub_status(cluster, namespace, "mine")
    assert status["contract"]["price"] == "12.50", "the old price holds until agreed again"
    assert "TermsChanged" in {n["type"] for n in status["serviceStatus"]["notifications"]}
    assert ready(cluster, namespace, "mine"), "a terms change does not stop the service"

    apply(cluster, subscription("mine", offer_name, terms="2026-07"), namespace=namespace)
    eventually(
        lambda: sub_status(cluster, namespace, "mine")["contract"]["price"] == "15.00",
        what="re-agreed at the new price",
        operator=operator,
    )
    assert reason(cluster, namespace, "mine", "Agreed") == "Agreed"

    changed["spec"]["state"] = "Terminated"
    changed["spec"]["replacedBy"] = "guestbook-premium"
    apply(cluster, changed)
    eventually(
        lambda: (
            "OfferTerminated"
            in {
                n["type"]
                for n in sub_status(cluster, namespace, "mine")["serviceStatus"]["notifications"]
            }
        ),
        what="OfferTerminated notice",
        operator=operator,
    )
    notice = next(
        n
        for n in sub_status(cluster, namespace, "mine")["serviceStatus"]["notifications"]
        if n["type"] == "OfferTerminated"
    )
    assert "guestbook-premium" in notice["message"]
    assert ready(cluster, namespace, "mine") and len(running_pods(cluster, namespace)) == 2

    apply(cluster, subscription("latecomer", offer_name, terms="2026-07"), namespace=namespace)
    eventually(
        lambda: reason(cluster, namespace, "latecomer", "OfferSelected") == "OfferTerminated",
        what="new subscription refused",
        operator=operator,
    )
    assert get(cluster, "dpi", "latecomer", namespace) == {}


def test_a_new_release_in_range_upgrades_subscriptions_and_a_failing_one_rolls_back(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str
) -> None:
    subscribed(cluster, operator, namespace, offer_name)

    apply(cluster, release("guestbook-1-1-0", "1.1.0"), namespace=namespace)
    eventually(
        lambda: (
            sub_status(cluster, namespace, "mine")["contract"]["releaseVersion"] == "1.1.0"
            and get(cluster, "dpi", "mine", namespace)["status"]
            .get("lastKnownGood", {})
            .get("release")
            == "guestbook-1-1-0"
        ),
        what="upgraded to 1.1.0",
        operator=operator,
    )
    eventually(lambda: ready(cluster, namespace, "mine"), what="Ready on 1.1.0")

    apply(cluster, release("guestbook-1-2-0", "1.2.0", failing=True), namespace=namespace)
    dpi = eventually(
        lambda: (
            (d := get(cluster, "dpi", "mine", namespace))
            and condition(d, "Ready").get("reason") == "RolledBack"
            and d
        ),
        timeout=120,
        what="1.2.0 rolled back",
        operator=operator,
    )
    assert "guestbook-1-2-0 failed" in condition(dpi, "Ready")["message"]
    eventually(
        lambda: reason(cluster, namespace, "mine", "Fulfilled") == "RolledBack",
        what="the subscription tells the rollback",
        operator=operator,
    )
    labels = get(cluster, "deployment", "mine-web", namespace)["metadata"]["labels"]
    assert labels["it4it.dev/release"] == "guestbook-1-1-0"


def test_a_bundle_brings_its_members_up_in_order(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str
) -> None:
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    first, second = f"{offer_name}-db", f"{offer_name}-web"
    bundle = offer(offer_name, namespace)
    del bundle["spec"]["release"], bundle["spec"]["parameters"]
    bundle["spec"]["bundle"] = [{"offer": first}, {"offer": second}]
    try:
        apply(cluster, offer(first, namespace), offer(second, namespace), bundle)
        apply(
            cluster,
            subscription("stack", offer_name, parameters={first: {"replicas": 1}}),
            namespace=namespace,
        )

        def created() -> list[tuple[str, str]]:
            return sorted(
                (d["metadata"]["creationTimestamp"], d["metadata"]["name"])
                for d in items(cluster, "dpi", namespace)
            )

        eventually(
            lambda: ready(cluster, namespace, "stack"),
            timeout=150,
            what="bundle Ready",
            operator=operator,
        )
        order = [name for _, name in created()]
        assert order == [f"stack-{first}", f"stack-{second}"]
        first_ready = condition(get(cluster, "dpi", f"stack-{first}", namespace), "Stable")
        second_dpi = get(cluster, "dpi", f"stack-{second}", namespace)
        assert first_ready["lastTransitionTime"] <= second_dpi["metadata"]["creationTimestamp"]
        assert sub_status(cluster, namespace, "stack")["members"] == [
            f"stack-{first}",
            f"stack-{second}",
        ]
        replicas = get(cluster, "deployment", f"stack-{first}-web", namespace)["spec"]
        assert replicas["replicas"] == 1
    finally:
        for name in (first, second):
            cluster.kubectl("delete", "serviceoffer", name, "--ignore-not-found", "--wait=false")


def test_deleting_a_subscription_removes_its_instance_and_workloads(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str
) -> None:
    subscribed(cluster, operator, namespace, offer_name)
    eventually(
        lambda: get(cluster, "offer", offer_name)["status"].get("subscribers") == 1,
        what="one subscriber",
    )

    cluster.kubectl("delete", "sub", "mine", "-n", namespace, "--timeout=120s")
    # The garbage collector removes the instance the subscription owned (no finalizer on it).
    eventually(lambda: items(cluster, "dpi", namespace) == [], what="instance removed")
    eventually(
        lambda: (
            not items(
                cluster, "deployments,services,configmaps", namespace, "it4it.dev/instance=mine"
            )
        ),
        what="workloads removed",
    )
    eventually(lambda: not running_pods(cluster, namespace), what="pods gone")
    eventually(
        lambda: get(cluster, "offer", offer_name)["status"].get("subscribers") == 0,
        what="subscriber count drops",
        operator=operator,
    )


def test_the_catalog_lists_exactly_what_a_namespace_may_order(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str
) -> None:
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    mine, theirs, draft = offer_name, f"{offer_name}-other", f"{offer_name}-draft"
    try:
        apply(
            cluster,
            offer(mine, namespace, audience={"namespaces": [namespace]}, category="catalog-test"),
            offer(
                theirs, namespace, audience={"namespaces": ["nobody-here"]}, category="catalog-test"
            ),
            offer(draft, namespace, state="Draft", category="catalog-test"),
        )
        rows = eventually(
            lambda: catalog(cluster, namespace, "--category", "catalog-test"),
            what="the offer listed once the operator found it Defined",
            operator=operator,
        )
        assert [r["name"] for r in rows] == [mine]
        assert rows[0]["price"].startswith("12.50 EUR")
        assert "99.5" in rows[0]["sla"]
        assert (
            catalog(cluster, namespace, "--category", "catalog-test", "--search", "no such words")
            == []
        )
    finally:
        for name in (theirs, draft):
            cluster.kubectl("delete", "serviceoffer", name, "--ignore-not-found", "--wait=false")


def test_an_offer_without_support_is_not_ordered_until_it_has_one(
    cluster: Any, operator: OperatorProcess, namespace: str, offer_name: str
) -> None:
    apply(cluster, release("guestbook-1-0-0", "1.0.0"), namespace=namespace)
    unsupported = offer(offer_name, namespace, category=f"support-{namespace}")
    del unsupported["spec"]["support"]
    apply(cluster, unsupported)
    eventually(
        lambda: condition(get(cluster, "offer", offer_name), "Defined").get("status") == "False",
        what="the offer found not Defined",
        operator=operator,
    )
    assert offer_name not in [r["name"] for r in catalog(cluster, namespace)]
    assert catalog(cluster, namespace, "--category", f"support-{namespace}") == []

    apply(cluster, subscription("mine", offer_name), namespace=namespace)
    refused = eventually(
        lambda: (
            (c := condition(get(cluster, "sub", "mine", namespace), "OfferSelected")).get("reason")
            == "OfferNotDefined"
            and c
        ),
        what="the subscription refused with the offer's reason",
        operator=operator,
    )
    assert refused["status"] == "False"
    assert refused["message"].startswith(f"ServiceOffer {offer_name} is not Defined: ")
    assert "spec.support is missing" in refused["message"]
    sub = get(cluster, "sub", "mine", namespace)
    assert condition(sub, "Ready")["reason"] == "OfferNotDefined"
    assert sub["status"]["phase"] == "Refused"
    assert items(cluster, "dpi", namespace) == []

    apply(cluster, offer(offer_name, namespace, category=f"support-{namespace}"))
    eventually(
        lambda: ready(cluster, namespace, "mine"),
        what="Ready by itself once the offer has support",
        operator=operator,
    )
    rows = catalog(cluster, namespace, "--category", f"support-{namespace}")
    assert [r["name"] for r in rows] == [offer_name]
    assert reason(cluster, namespace, "mine", "OfferSelected") == "Selected"
