"""The real API server refuses bad input at the door, naming the field, and accepts every sample.

Applies crds/, then every manifest of tests/data/invalid/ with `kubectl apply --dry-run=server`
(see its README for the header and the two-document convention), every sample of
manifests/samples/, and checks what users see: `kubectl explain`, short names, the `it4it`
category, printer columns, the status subresource keeping kopf's progress.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
import yaml
from offers import offer

from it4it_operator.api.kinds import KINDS
from it4it_operator.api.subscription import SubscriptionSpec

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "crds"
INVALID = ROOT / "tests" / "data" / "invalid"
SAMPLES = ROOT / "manifests" / "samples"


class Cluster(Protocol):
    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> Any: ...


@dataclass(frozen=True)
class Mistake:
    path: Path
    field: str
    message: str | None
    documents: list[dict[str, Any]]


def load_mistake(path: Path) -> Mistake:
    text = path.read_text(encoding="utf-8")
    header = dict(re.findall(r"^# ([a-z-]+): (.*)$", text, flags=re.MULTILINE))
    documents = [d for d in yaml.safe_load_all(text) if d]
    return Mistake(path, header["field"], header.get("message"), documents)


MISTAKES = [load_mistake(p) for p in sorted(INVALID.glob("*.yaml"))]


def dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False)


def eventually(check: Callable[[], bool], timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def api(cluster: Cluster) -> Cluster:
    """The cluster with the generated CRDs installed and Established."""
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(CRDS))
    names = [f"crd/{k.crd_name}" for k in KINDS]
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", *names)
    return cluster


@pytest.fixture(scope="module")
def namespace(api: Cluster) -> Iterator[str]:
    """A throw-away namespace for the namespaced invalid manifests."""
    name = f"it4it-api-{secrets.token_hex(3)}"
    api.kubectl("create", "namespace", name)
    yield name
    api.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found")


def names_field(stderr: str, field: str) -> bool:
    """The error is located at the field: `spec.x: Invalid value`, `unknown field "spec.x"`."""
    return re.search(rf'(^|[\s*"]){re.escape(field)}(:|")', stderr, flags=re.MULTILINE) is not None


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.path.stem)
def test_invalid_manifest_is_refused_naming_the_field(
    api: Cluster, namespace: str, mistake: Mistake
) -> None:
    *before, invalid = mistake.documents
    stdin = ("-n", namespace, "-f", "-")
    for document in before:
        api.kubectl("apply", *stdin, input=dump(document))
    try:
        result = api.kubectl("apply", "--dry-run=server", *stdin, input=dump(invalid), check=False)
    finally:
        for document in before:
            api.kubectl("delete", "--ignore-not-found", *stdin, input=dump(document))
    assert result.returncode != 0, f"accepted: {result.stdout}"
    assert names_field(result.stderr, mistake.field), result.stderr
    if mistake.message:
        assert mistake.message in result.stderr


@pytest.fixture(scope="module")
def sample_namespaces(api: Cluster) -> Iterator[None]:
    """00-namespaces.yaml applied for real; namespaces this test created are removed after."""
    documents = list(yaml.safe_load_all((SAMPLES / "00-namespaces.yaml").read_text()))
    names = [d["metadata"]["name"] for d in documents]
    existing = api.kubectl("get", "namespace", *names, "--ignore-not-found", "-o", "name").stdout
    api.kubectl("apply", "-f", str(SAMPLES / "00-namespaces.yaml"))
    yield
    for name in names:
        if f"namespace/{name}" not in existing.split():
            api.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found")


SAMPLE_FILES = sorted(p for p in SAMPLES.glob("*.yaml") if p.name != "00-namespaces.yaml")


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_every_sample_is_accepted(api: Cluster, sample_namespaces: None, path: Path) -> None:
    result = api.kubectl("apply", "--dry-run=server", "-f", str(path), check=False)
    assert result.returncode == 0, result.stderr


def release(name: str, *, accepted: bool, digest: str = "a" * 64) -> str:
    return dump(
        {
            "apiVersion": "it4it.dev/v1alpha1",
            "kind": "ProductRelease",
            "metadata": {"name": name},
            "spec": {
                "product": "guestbook",
                "version": "1.0.0",
                "buildPackage": {
                    "images": [{"name": "web", "image": f"example.com/web@sha256:{digest}"}]
                },
                "manifests": [
                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}}
                ],
                "acceptance": {"accepted": accepted},
            },
        }
    )


def test_reapplying_an_accepted_release_unchanged_is_accepted(api: Cluster, namespace: str) -> None:
    api.kubectl("apply", "-n", namespace, "-f", "-", input=release("same", accepted=True))
    again = api.kubectl("apply", "-n", namespace, "-f", "-", input=release("same", accepted=True))
    assert "unchanged" in again.stdout


def test_a_release_may_change_until_it_is_accepted(api: Cluster, namespace: str) -> None:
    api.kubectl("apply", "-n", namespace, "-f", "-", input=release("draft", accepted=False))
    changed = release("draft", accepted=False, digest="b" * 64)
    api.kubectl("apply", "-n", namespace, "-f", "-", input=changed)
    accepted = release("draft", accepted=True, digest="c" * 64)
    api.kubectl("apply", "-n", namespace, "-f", "-", input=accepted)
    refused = api.kubectl(
        "apply", "-n", namespace, "-f", "-", input=release("draft", accepted=True), check=False
    )
    assert refused.returncode != 0 and "immutable" in refused.stderr


def test_a_contract_change_needs_a_new_terms_version(api: Cluster) -> None:
    """Price, SLA and terms wording change only with a new terms.version, which every
    subscriber agrees to again; the provider's cost is not part of the contract."""
    name = f"terms-{secrets.token_hex(3)}"
    stored = offer(name, "team-guestbook")

    def update(change: Callable[[dict[str, Any]], Any]) -> Any:
        wanted = copy.deepcopy(stored)
        change(wanted["spec"])
        return api.kubectl("apply", "-f", "-", input=dump(wanted), check=False)

    def new_terms(spec: dict[str, Any]) -> None:
        spec["terms"]["version"] = "2026-07"
        spec["pricing"]["price"] = "15.00"
        spec["terms"]["sla"]["availability"] = "99.9"

    api.kubectl("apply", "-f", "-", input=dump(stored))
    try:
        price = update(lambda spec: spec["pricing"].update(price="15.00"))
        assert price.returncode != 0 and names_field(price.stderr, "spec.pricing"), price.stderr
        assert "spec.pricing (price, currency or period) cannot change" in price.stderr
        assert "set a new terms.version" in price.stderr

        sla = update(lambda spec: spec["terms"].pop("sla"))
        assert sla.returncode != 0 and names_field(sla.stderr, "spec.terms.sla"), sla.stderr

        cost = update(lambda spec: spec["pricing"].update(cost="8.00"))
        assert cost.returncode == 0, cost.stderr

        accepted = update(new_terms)
        assert accepted.returncode == 0, accepted.stderr
        now = json.loads(api.kubectl("get", "offer", name, "-o", "json").stdout)["spec"]
        assert (now["terms"]["version"], now["pricing"]["price"]) == ("2026-07", "15.00")
        assert now["terms"]["sla"]["availability"] == "99.9"
    finally:
        api.kubectl("delete", "offer", name, "--ignore-not-found", "--wait=false")


def test_printer_columns_show_what_an_sre_needs(api: Cluster, namespace: str) -> None:
    api.kubectl("apply", "-n", namespace, "-f", "-", input=release("shown", accepted=True))
    table = api.kubectl("get", "prel", "shown", "-n", namespace).stdout
    header, row = table.splitlines()[:2]
    assert header.split() == ["NAME", "PRODUCT", "VERSION", "ACCEPTED", "PHASE", "READY", "AGE"]
    assert row.split()[:4] == ["shown", "guestbook", "1.0.0", "true"]


def test_status_keeps_conditions_and_kopf_progress(api: Cluster, namespace: str) -> None:
    """A status patch (dry run, so a running operator cannot interfere) keeps what was written."""
    api.kubectl("apply", "-n", namespace, "-f", "-", input=release("status", accepted=True))
    status = {
        "observedGeneration": 1,
        "phase": "Accepted",
        "digest": "sha256:" + "d" * 64,
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "observedGeneration": 1,
                "lastTransitionTime": "2026-01-01T00:00:00Z",
                "reason": "Accepted",
                "message": "The release is accepted.",
            }
        ],
        "kopf": {"progress": {"release/accept": {"started": "2026-01-01T00:00:00Z"}}},
    }
    patch = ("--subresource=status", "--type=merge", "-p", json.dumps({"status": status}))
    out = api.kubectl(
        "patch", "prel", "status", "-n", namespace, *patch, "--dry-run=server", "-o", "json"
    ).stdout
    assert json.loads(out)["status"] == status


def test_a_condition_status_beyond_true_false_unknown_is_refused(
    api: Cluster, namespace: str
) -> None:
    api.kubectl("apply", "-n", namespace, "-f", "-", input=release("health", accepted=True))
    bad = json.dumps({"status": {"conditions": [{"type": "Ready", "status": "Yes"}]}})
    patch = ("--subresource=status", "--type=merge", "-p", bad, "--dry-run=server")
    result = api.kubectl("patch", "prel", "health", "-n", namespace, *patch, check=False)
    assert result.returncode != 0
    assert names_field(result.stderr, "status.conditions[0].status"), result.stderr


def test_kubectl_explain_teaches_the_api(api: Cluster) -> None:
    description = SubscriptionSpec.model_fields["accepted_terms"].description or ""
    words = " ".join(description.split()[:6])

    def explained() -> bool:
        out = api.kubectl("explain", "subscription.spec.acceptedTerms", check=False).stdout
        return words in " ".join(out.split())

    eventually(explained, what="kubectl explain to print the field's description")


def test_short_names_list_every_kind(api: Cluster) -> None:
    result = api.kubectl("get", "prel,offer,sub,dpi,approval,apinst,inc", "-A", check=False)
    assert result.returncode == 0, result.stderr


def test_the_it4it_category_lists_every_kind(api: Cluster) -> None:
    listed = api.kubectl("api-resources", "--categories=it4it", "-o", "name").stdout.split()
    assert sorted(listed) == sorted(k.crd_name for k in KINDS)
    assert api.kubectl("get", "it4it", "-A", check=False).returncode == 0
