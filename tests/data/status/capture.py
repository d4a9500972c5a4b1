"""Capture the objects of every it4it.dev kind in known states from a real run, for the GitOps
health tests (tests/unit/gitops/): the Argo CD Lua checks and kstatus read exactly what the
operator writes, not hand-made status.

Against a fresh local control plane (or --kubeconfig with the operator already running) it
applies the walkthrough samples and a few more scenarios, waits for each object to reach the
state it was applied for, and saves it as YAML beside this file, with `index.yaml` naming the
state each file was captured in:

    Ready       the object did what it was asked (kstatus Current, Argo CD Healthy)
    InProgress  work under way or waiting for someone (kstatus InProgress, Argo CD Progressing)
    Stalled     the operator gave up until a person changes something (Failed / Degraded)
    Degraded    an ActualProductInstance whose workloads are unhealthy
    Suspended   scaled to zero on purpose

Run (a few minutes): .venv/bin/python tests/data/status/capture.py
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from it4it_operator.devcluster import LocalCluster, tools
from it4it_operator.devcluster.operator import OperatorProcess, install_crds

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
SAMPLES = ROOT / "manifests" / "samples"
API = "it4it.dev/v1alpha1"
FAIL_AFTER = "kwok.it4it.dev/fail-after-seconds"
SHORT = {"ProductRelease": "prel", "ServiceOffer": "offer", "Subscription": "sub"}
SHORT |= {"DesiredProductInstance": "dpi", "ActualProductInstance": "apinst"}
SHORT |= {"Approval": "approval", "Incident": "inc"}
SHOP, TEAM = "shop", "team-guestbook"


class Capture:
    """kubectl against one cluster, waits, and the files written so far."""

    def __init__(self, kubeconfig: Path, out: Path, operator: OperatorProcess | None) -> None:
        self.kubeconfig, self.out, self.operator = kubeconfig, out, operator
        self.index: list[dict[str, str]] = []

    def kubectl(self, *args: str, input: str | None = None) -> str:
        done = tools.kubectl(self.kubeconfig, *args, input=input, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def apply(self, *docs: dict[str, Any]) -> None:
        self.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(docs))

    def apply_file(self, name: str) -> None:
        self.kubectl("apply", "-f", str(SAMPLES / name))

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        args = ["get", SHORT.get(kind, kind), name, "-o", "json"]
        done = tools.kubectl(
            self.kubeconfig, *args, *(["-n", namespace] if namespace else []), check=False
        )
        return dict(json.loads(done.stdout)) if done.returncode == 0 else {}

    def list(self, kind: str, namespace: str) -> list[dict[str, Any]]:
        found = json.loads(self.kubectl("get", SHORT[kind], "-n", namespace, "-o", "json"))
        return list(found["items"])

    def wait(
        self, what: str, check: Callable[[], dict[str, Any] | None], timeout: float = 180
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            found = check()
            if found:
                return found
            if time.monotonic() > deadline:
                tail = self.operator.tail() if self.operator else ""
                raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}\n{tail}")
            time.sleep(1)

    def until(
        self,
        kind: str,
        name: str,
        namespace: str | None,
        test: Callable[[dict[str, Any]], bool],
        what: str,
        timeout: float = 180,
    ) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            obj = self.get(kind, name, namespace)
            return obj if obj and test(obj) else None

        return self.wait(f"{kind} {name}: {what}", check, timeout)

    def keep(self, obj: dict[str, Any], state: str, why: str, moment: str = "") -> None:
        """Write `obj` (as read, without managedFields) and note the state it is in."""
        body = copy.deepcopy(obj)
        body["metadata"].pop("managedFields", None)
        kind, name = body["kind"], body["metadata"]["name"]
        file = f"{SHORT[kind]}.{name}{'.' + moment if moment else ''}.yaml"
        (self.out / file).write_text(yaml.safe_dump(body, sort_keys=False))
        self.index.append({"file": file, "kind": kind, "state": state, "why": why})
        print(f"captured {file}: {state}", flush=True)


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    found = [c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == type_]
    return found[0] if found else {}


def is_(type_: str, status: str = "True", reason: str | None = None) -> Callable[..., bool]:
    def test(obj: dict[str, Any]) -> bool:
        c = condition(obj, type_)
        current = (obj.get("status") or {}).get("observedGeneration") == obj["metadata"].get(
            "generation"
        )
        return current and c.get("status") == status and reason in (None, c.get("reason"))

    return test


def sample(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((SAMPLES / name).read_text()))


def offer_like(name: str, **changes: Any) -> dict[str, Any]:
    """The sample offer under another name, with parts of its spec replaced."""
    body = sample("20-serviceoffer.yaml")
    body["metadata"] = {"name": name}
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = body["spec"]
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return body


def subscription(name: str, offer: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "Subscription",
        "metadata": {"name": name, "namespace": SHOP},
        "spec": {"offer": offer, "acceptedTerms": "2026-01", "state": "Active", **spec},
    }


def release_like(name: str, product: str, version: str, **spec: Any) -> dict[str, Any]:
    body = sample("10-productrelease-1.0.0.yaml")
    body["metadata"] = {"name": name, "namespace": TEAM}
    body["spec"].update(product=product, version=version, **spec)
    return body


def the_walkthrough(c: Capture) -> None:
    """Samples 00-30: everything Ready; a release not accepted yet is still on its way."""
    for name in ("00-namespaces.yaml", "10-productrelease-1.0.0.yaml"):
        c.apply_file(name)
    c.apply_file("11-productrelease-1.1.0.yaml")
    c.apply_file("20-serviceoffer.yaml")
    c.apply_file("30-subscription.yaml")
    ready = "Ready: the walkthrough's objects after sub/my-guestbook turned Ready"
    sub = c.until("Subscription", "my-guestbook", SHOP, is_("Ready"), "Ready")
    apinst = c.until(
        "ActualProductInstance",
        "my-guestbook",
        SHOP,
        lambda o: is_("Ready")(o) and o["status"].get("health") == "Healthy",
        "Healthy",
    )
    for kind, name, ns in (
        ("ProductRelease", "guestbook-1.0.0", TEAM),
        ("ProductRelease", "guestbook-1.1.0", TEAM),
        ("ServiceOffer", "guestbook-standard", None),
        ("DesiredProductInstance", "my-guestbook", SHOP),
    ):
        c.keep(c.until(kind, name, ns, is_("Ready"), "Ready"), "Ready", ready)
    c.keep(sub, "Ready", ready)
    c.keep(apinst, "Ready", ready)

    draft = sample("11-productrelease-1.1.0.yaml")
    draft["metadata"]["name"] = "guestbook-2.0.0"
    draft["spec"].update(version="2.0.0", acceptance={"accepted": False})
    c.apply(draft)
    c.keep(
        c.until("ProductRelease", "guestbook-2.0.0", TEAM, is_("Ready", "False"), "NotAccepted"),
        "InProgress",
        "a release its team has not accepted yet (Pending)",
    )


def stale_and_refused_orders(c: Capture) -> None:
    """Sample 40's placeholder plan hash; an offer over a product that has no release; terms
    the consumer did not accept."""
    c.apply_file("40-approval.yaml")
    c.keep(
        c.until(
            "Approval",
            "my-guestbook-approval",
            SHOP,
            is_("Ready", "False", "StalePlan"),
            "StalePlan",
        ),
        "InProgress",
        "sample 40: an Approval of a plan hash that is not the instance's (it does not count)",
    )
    c.apply(offer_like("retired-standard", release__product="retired"))
    c.keep(
        c.until("ServiceOffer", "retired-standard", None, is_("Stalled"), "Stalled"),
        "Stalled",
        "an offer over a product with no release: a catalog manager must fix it",
    )
    c.apply(subscription("wrong-terms", "guestbook-standard", acceptedTerms="2025-01"))
    c.keep(
        c.until("Subscription", "wrong-terms", SHOP, is_("Stalled"), "Stalled"),
        "Stalled",
        "a subscription that accepted old terms: the consumer must accept the current ones",
    )


def manual_approval(c: Capture) -> str:
    """An offer with Manual approval and Manual remediation: one plan waiting for its Approval
    (in progress), one approved; returns the name of the approved subscription."""
    c.apply(
        offer_like(
            "guestbook-manual",
            fulfillment__approval="Manual",
            fulfillment__observeSeconds=2,
            operate__remediation="Manual",
            operate__detect={"failures": 2, "windowSeconds": 300, "verifySeconds": 5},
        )
    )
    c.until("ServiceOffer", "guestbook-manual", None, is_("Ready"), "Ready")
    c.apply(subscription("awaiting-approval", "guestbook-manual"))
    waiting = c.until(
        "DesiredProductInstance",
        "awaiting-approval",
        SHOP,
        is_("Approved", "False", "AwaitingApproval"),
        "AwaitingApproval",
    )
    c.keep(waiting, "InProgress", "a Manual plan waiting for its Approval")
    c.keep(
        c.until("Subscription", "awaiting-approval", SHOP, is_("Reconciling"), "Reconciling"),
        "InProgress",
        "its subscription, fulfilling",
    )

    c.apply(subscription("approved-guestbook", "guestbook-manual"))
    dpi = c.until(
        "DesiredProductInstance",
        "approved-guestbook",
        SHOP,
        is_("Approved", "False", "AwaitingApproval"),
        "AwaitingApproval",
    )
    c.apply(
        {
            "apiVersion": API,
            "kind": "Approval",
            "metadata": {"name": "approved-guestbook", "namespace": SHOP},
            "spec": {
                "desiredInstance": "approved-guestbook",
                "planHash": dpi["status"]["planHash"],
                "approver": "jane",
                "comment": "CAB 42",
            },
        }
    )
    c.keep(
        c.until("Approval", "approved-guestbook", SHOP, is_("Ready"), "Ready"),
        "Ready",
        "an Approval of the instance's current plan (it counts)",
    )
    c.until("DesiredProductInstance", "approved-guestbook", SHOP, is_("Ready"), "Ready")
    return "approved-guestbook"


def a_remedy_waiting_for_approval(c: Capture, instance: str) -> None:
    """A person scales the approved instance's Deployment to zero: a Drifted incident whose
    Reapply waits for an Approval (Manual remediation), then is approved and resolved."""
    c.kubectl("scale", "deployment", f"{instance}-web", "--replicas=0", "-n", SHOP)

    def awaiting() -> dict[str, Any] | None:
        found = [
            i
            for i in c.list("Incident", SHOP)
            if i["spec"].get("instance") == instance
            and (i.get("status") or {}).get("phase") == "AwaitingApproval"
        ]
        return found[0] if found else None

    incident = c.wait("a Drifted incident awaiting approval", awaiting)
    name = incident["metadata"]["name"]
    c.keep(incident, "InProgress", "Manual remediation: Reapply waits for an Approval", "waiting")
    c.apply(
        {
            "apiVersion": API,
            "kind": "Approval",
            "metadata": {"name": f"{name}-remedy", "namespace": SHOP},
            "spec": {"incident": name, "approver": "jane", "comment": "Reapply approved"},
        }
    )
    c.keep(
        c.until("Approval", f"{name}-remedy", SHOP, is_("Ready"), "Ready"),
        "Ready",
        "an Approval of an incident's course of action",
    )
    c.keep(
        c.until(
            "Incident",
            name,
            SHOP,
            lambda o: o["status"].get("phase") in ("Resolved", "Closed") and is_("Ready")(o),
            "Resolved",
        ),
        "Ready",
        "the approved Reapply ran and the symptom stayed gone",
        "resolved",
    )


def a_reported_incident(c: Capture) -> None:
    """Sample 50: a consumer reports a symptom no known defect explains, on an instance that
    is healthy: the symptom counts as gone once verified, and the incident is Resolved."""
    c.apply_file("50-incident.yaml")
    c.keep(
        c.until(
            "Incident",
            "my-guestbook-slow",
            SHOP,
            lambda o: (o.get("status") or {}).get("phase") == "Resolved" and is_("Ready")(o),
            "Resolved",
        ),
        "Ready",
        "sample 50: a reported incident on a healthy instance, resolved after verification",
    )


def a_release_the_api_server_refuses(c: Capture) -> None:
    """A release whose Service port is out of range: the plan is refused, nothing applied."""
    body = release_like("refused-1.0.0", "refused", "1.0.0")
    service = body["spec"]["manifests"][2]
    service["spec"]["ports"] = [{"name": "http", "port": 70000, "targetPort": "http"}]
    c.apply(body)
    c.apply(offer_like("refused-standard", release__product="refused"))
    c.until("ServiceOffer", "refused-standard", None, is_("Ready"), "Ready")
    c.apply(subscription("refused", "refused-standard"))
    c.keep(
        c.until(
            "DesiredProductInstance", "refused", SHOP, is_("Stalled", reason="ObjectRefused"), ""
        ),
        "Stalled",
        "the API server refuses an object of the plan (Service port 70000)",
    )


def pods_that_keep_failing(c: Capture) -> None:
    """A release whose pods fail 20 s after they run, with no good release to roll back to:
    the instance turns Degraded and the PodFailed incident ends Escalated."""
    body = release_like("flaky-1.0.0", "flaky", "1.0.0")
    template = body["spec"]["manifests"][1]["spec"]["template"]
    template["metadata"]["annotations"] = {FAIL_AFTER: "20"}
    c.apply(body)
    c.apply(
        offer_like(
            "flaky-standard",
            release__product="flaky",
            fulfillment__observeSeconds=2,
            operate__maxAttempts=1,
            operate__detect={"failures": 2, "windowSeconds": 300, "verifySeconds": 5},
        )
    )
    c.apply(subscription("flaky", "flaky-standard"))
    c.keep(
        c.until(
            "ActualProductInstance",
            "flaky",
            SHOP,
            lambda o: o["status"].get("health") == "Degraded",
            "Degraded",
        ),
        "Degraded",
        "its pods fail after they ran",
    )

    def escalated() -> dict[str, Any] | None:
        found = [
            i
            for i in c.list("Incident", SHOP)
            if i["spec"].get("instance") == "flaky"
            and (i.get("status") or {}).get("phase") == "Escalated"
        ]
        return found[0] if found else None

    c.keep(
        c.wait("the flaky instance's incident escalated", escalated, timeout=300),
        "Stalled",
        "pods keep failing, the one attempt allowed did not help: escalated",
    )


def a_suspended_subscription(c: Capture) -> None:
    c.apply(subscription("paused-guestbook", "guestbook-standard", parameters={"replicas": 1}))
    c.until("Subscription", "paused-guestbook", SHOP, is_("Ready"), "Ready")
    c.apply(subscription("paused-guestbook", "guestbook-standard", state="Suspended"))
    c.keep(
        c.until(
            "ActualProductInstance",
            "paused-guestbook",
            SHOP,
            lambda o: o["status"].get("health") == "Suspended" and is_("Ready")(o),
            "Suspended",
        ),
        "Suspended",
        "the consumer suspended the subscription: scaled to zero",
    )
    c.keep(
        c.until(
            "Subscription",
            "paused-guestbook",
            SHOP,
            is_("Ready", reason="Suspended"),
            "Suspended",
        ),
        "Suspended",
        "the suspended subscription",
    )
    c.keep(
        c.until(
            "DesiredProductInstance",
            "paused-guestbook",
            SHOP,
            lambda o: o["status"].get("phase") == "Disabled" and is_("Ready")(o),
            "Disabled",
        ),
        "Suspended",
        "its instance, disabled (scaled to zero, kept)",
    )


SCENARIOS = (
    the_walkthrough,
    stale_and_refused_orders,
    a_reported_incident,
    a_release_the_api_server_refuses,
    a_suspended_subscription,
    pods_that_keep_failing,
)


def capture(c: Capture) -> None:
    for scenario in SCENARIOS:
        print(f"-- {scenario.__name__}", flush=True)
        scenario(c)
    print("-- manual_approval", flush=True)
    a_remedy_waiting_for_approval(c, manual_approval(c))
    c.index.sort(key=lambda e: e["file"])
    (c.out / "index.yaml").write_text(
        "# Written by capture.py: the state each file was captured in (see README.md).\n"
        + yaml.safe_dump(c.index, sort_keys=False, width=100)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        help="a cluster where the CRDs are installed and the operator runs (default: a fresh "
        "local control plane with the operator, stopped afterwards)",
    )
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    for old in args.out.glob("*.yaml"):
        old.unlink()
    if args.kubeconfig:
        capture(Capture(args.kubeconfig, args.out, None))
        return 0
    with tempfile.TemporaryDirectory(prefix="it4it-capture-") as tmp:
        cluster = LocalCluster(Path(tmp) / "cluster", nodes=2, pods_per_node=200)
        cluster.up()
        operator = OperatorProcess(
            cluster.operator_kubeconfig, Path(tmp) / "operator.log", {"IT4IT_RESYNC_SECONDS": "60"}
        )
        try:
            install_crds(cluster.kubeconfig)
            operator.start()
            capture(Capture(cluster.kubeconfig, args.out, operator))
        except (RuntimeError, TimeoutError, subprocess.CalledProcessError) as exc:
            print(exc, file=sys.stderr)
            return 1
        finally:
            operator.stop()
            cluster.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
