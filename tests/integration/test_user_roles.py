"""The people's roles of the chart, tried by real users (issue 10: roles tested as people use
them).

The chart's ClusterRoles for people (`helm template`, templates/rbac-users.yaml) are checked to
agree with manifests/rbac/20-user-roles.yaml, applied for real, and bound the way the README
says admins bind them: per namespace, to a user or a group. Each person then asks the API
server with their own client certificate (no `--as`), first `kubectl auth can-i` for every cell
of a matrix of allowed and denied requests, then a few real requests. Cluster-scoped
ServiceOffers are asked for without a namespace, as the real request is: `auth can-i -n NS`
answers yes for a cluster-scoped resource that a RoleBinding in NS names, although the real
request is refused. That is the hole the old consumer role had (its catalog rule only worked
through a ClusterRoleBinding, which granted subscriptions everywhere); the catalog is now
it4it-catalog-viewer, bound cluster-wide.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from releases import release

from conftest import eventually
from it4it_operator.devcluster import LocalCluster, tools

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "it4it-operator"
MANIFEST = ROOT / "manifests" / "rbac" / "20-user-roles.yaml"
ROLES = (
    "it4it-consumer",
    "it4it-approver",
    "it4it-product-team",
    "it4it-viewer",
    "it4it-catalog-viewer",
)
CATALOG_BINDING = "it4it-catalog-viewers"
AGGREGATE = "rbac.authorization.k8s.io/aggregate-to-view"
SHOP, TEAM, CLUSTER = "shop", "team", ""
"""Where a request goes: the consumers' namespace, the product team's, or cluster-scoped."""

Doc = dict[str, Any]


@dataclass(frozen=True)
class Person:
    """A user with a client certificate, and the role an admin bound for them."""

    user: str
    groups: tuple[str, ...]
    role: str | None
    where: str


PEOPLE = {
    "carl": Person("carl", ("shop-team",), "it4it-consumer", SHOP),  # bound through the group
    "jane": Person("jane", (), "it4it-approver", SHOP),
    "vic": Person("vic", (), "it4it-viewer", SHOP),
    "pat": Person("pat", ("guestbook-devs",), "it4it-product-team", TEAM),
    "nina": Person("nina", (), None, SHOP),  # authenticated, bound nowhere
}


@dataclass(frozen=True)
class Cell:
    """One `kubectl auth can-i VERB RESOURCE [-n NS]` a person asks, and the answer."""

    who: str
    verb: str
    resource: str
    where: str
    allowed: bool
    subresource: str = ""


IT4IT = {
    "productreleases",
    "serviceoffers",
    "subscriptions",
    "desiredproductinstances",
    "approvals",
    "actualproductinstances",
    "incidents",
}


def cell(sentence: str, who: str, verb: str, resource: str, where: str, allowed: bool) -> Any:
    """A matrix row: `resource` is an it4it plural (with /status for the subresource), a core
    plural such as secrets, or namespaces/shop (a namespace object, asked for in itself)."""
    kind, _, sub = resource.partition("/")
    if kind == "namespaces":
        resource, sub = f"namespaces/{sub}", ""
    else:
        resource = f"{kind}.it4it.dev" if kind in IT4IT else kind
    return pytest.param(Cell(who, verb, resource, where, allowed, sub), id=sentence)


MATRIX = [
    # consumer
    cell("a consumer may order a subscription", "carl", "create", "subscriptions", SHOP, True),
    cell("a consumer may change a subscription", "carl", "patch", "subscriptions", SHOP, True),
    cell("a consumer may cancel a subscription", "carl", "delete", "subscriptions", SHOP, True),
    cell(
        "a consumer may not write a subscription's status",
        "carl",
        "patch",
        "subscriptions/status",
        SHOP,
        False,
    ),
    cell(
        "a consumer may not order in another namespace",
        "carl",
        "create",
        "subscriptions",
        TEAM,
        False,
    ),
    cell("a consumer may not approve", "carl", "create", "approvals", SHOP, False),
    cell(
        "a consumer may not request an instance directly",
        "carl",
        "create",
        "desiredproductinstances",
        SHOP,
        False,
    ),
    cell(
        "a consumer may not change an instance",
        "carl",
        "patch",
        "desiredproductinstances",
        SHOP,
        False,
    ),
    cell("a consumer may report an incident", "carl", "create", "incidents", SHOP, True),
    cell("a consumer may not delete an incident", "carl", "delete", "incidents", SHOP, False),
    cell("a consumer may not read secrets", "carl", "get", "secrets", SHOP, False),
    cell("a consumer may browse the catalog", "carl", "list", "serviceoffers", CLUSTER, True),
    cell("a consumer may not write offers", "carl", "create", "serviceoffers", CLUSTER, False),
    cell("a consumer may not publish releases", "carl", "create", "productreleases", SHOP, False),
    cell(
        "a consumer may read its namespace's labels", "carl", "get", "namespaces/shop", SHOP, True
    ),
    cell(
        "a consumer may not read another namespace", "carl", "get", "namespaces/team", TEAM, False
    ),
    # approver
    cell("an approver may approve", "jane", "create", "approvals", SHOP, True),
    cell("an approver may follow approvals", "jane", "watch", "approvals", SHOP, True),
    cell("an approver may not rewrite an approval", "jane", "update", "approvals", SHOP, False),
    cell("an approver may not delete an approval", "jane", "delete", "approvals", SHOP, False),
    cell(
        "an approver may read the plan to approve",
        "jane",
        "get",
        "desiredproductinstances",
        SHOP,
        True,
    ),
    cell(
        "an approver may not change the plan",
        "jane",
        "patch",
        "desiredproductinstances",
        SHOP,
        False,
    ),
    cell("an approver may not order", "jane", "create", "subscriptions", SHOP, False),
    cell("an approver may not approve elsewhere", "jane", "create", "approvals", TEAM, False),
    cell("an approver may not report incidents", "jane", "create", "incidents", SHOP, False),
    # viewer
    *(
        cell(f"a viewer may {verb} {kind}", "vic", verb, kind, SHOP, True)
        for kind in ("subscriptions", "desiredproductinstances", "actualproductinstances")
        for verb in ("get", "list")
    ),
    cell("a viewer may list approvals", "vic", "list", "approvals", SHOP, True),
    cell("a viewer may watch incidents", "vic", "watch", "incidents", SHOP, True),
    cell("a viewer may not order", "vic", "create", "subscriptions", SHOP, False),
    cell("a viewer may not approve", "vic", "create", "approvals", SHOP, False),
    cell(
        "a viewer may not delete an instance",
        "vic",
        "delete",
        "desiredproductinstances",
        SHOP,
        False,
    ),
    cell("a viewer may not patch incidents", "vic", "patch", "incidents", SHOP, False),
    cell("a viewer may not read secrets", "vic", "get", "secrets", SHOP, False),
    cell("a viewer sees nothing elsewhere", "vic", "list", "subscriptions", TEAM, False),
    # product team
    cell("a product team may publish a release", "pat", "create", "productreleases", TEAM, True),
    cell("a product team may change a release", "pat", "patch", "productreleases", TEAM, True),
    cell(
        "a product team may not write a release's status",
        "pat",
        "patch",
        "productreleases/status",
        TEAM,
        False,
    ),
    cell(
        "a product team may not publish elsewhere",
        "pat",
        "create",
        "productreleases",
        SHOP,
        False,
    ),
    cell("a product team may not write offers", "pat", "create", "serviceoffers", CLUSTER, False),
    cell("a product team may browse the catalog", "pat", "get", "serviceoffers", CLUSTER, True),
    # nobody
    cell("anyone signed in may browse the catalog", "nina", "list", "serviceoffers", CLUSTER, True),
    cell(
        "someone bound nowhere sees no subscription", "nina", "list", "subscriptions", SHOP, False
    ),
    cell("someone bound nowhere cannot order", "nina", "create", "subscriptions", SHOP, False),
]


# -- what ships --------------------------------------------------------------------------------
def docs_of(text: str) -> list[Doc]:
    return [d for d in yaml.safe_load_all(text) if d]


def chart_roles() -> list[Doc]:
    """The chart's people's RBAC, rendered with its default values."""
    out = subprocess.run(
        [
            str(tools.binary("helm")),
            *("template", "it4it-operator", str(CHART)),
            *("--show-only", "templates/rbac-users.yaml"),
        ],
        text=True,
        capture_output=True,
        check=True,
    )
    return docs_of(out.stdout)


def grants(role: Doc) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in role.get("rules", [])
        for group in rule.get("apiGroups", [])
        for resource in rule.get("resources", [])
        for verb in rule.get("verbs", [])
    }


def by_name(docs: list[Doc]) -> dict[tuple[str, str], Doc]:
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def test_the_chart_and_the_manifests_grant_people_the_same() -> None:
    chart, manifest = by_name(chart_roles()), by_name(docs_of(MANIFEST.read_text()))
    assert sorted(chart) == sorted(manifest)
    assert sorted(chart) == sorted(
        [("ClusterRole", r) for r in ROLES] + [("ClusterRoleBinding", CATALOG_BINDING)]
    )
    for key, ours in manifest.items():
        theirs = chart[key]
        if key[0] == "ClusterRole":
            assert grants(theirs) == grants(ours), key
            labels = (ours["metadata"]["labels"], theirs["metadata"]["labels"])
            assert labels[0].get(AGGREGATE) == labels[1].get(AGGREGATE), key
        else:
            assert (theirs["roleRef"], theirs["subjects"]) == (ours["roleRef"], ours["subjects"])


# -- the cluster, with people ------------------------------------------------------------------
@dataclass(frozen=True)
class Office:
    """The cluster with the chart's roles bound: namespaces by role name, each person's
    kubeconfig."""

    cluster: LocalCluster
    namespaces: dict[str, str]
    kubeconfigs: dict[str, Path]

    def kubectl(self, who: str, *args: str, input: str | None = None) -> Any:
        return self.cluster.kubectl(
            *args, input=input, check=False, kubeconfig=self.kubeconfigs[who]
        )

    def can_i(self, ask: Cell) -> bool:
        where = ["-n", self.namespaces[ask.where]] if ask.where else []
        resource = ask.resource
        if resource.startswith("namespaces/"):
            resource = f"namespaces/{self.namespaces[resource.split('/', 1)[1]]}"
        sub = [f"--subresource={ask.subresource}"] if ask.subresource else []
        out = self.kubectl(ask.who, "auth", "can-i", ask.verb, resource, *where, *sub)
        return bool(out.stdout.strip() == "yes")


def _bind(cluster: LocalCluster, person: Person, namespace: str) -> None:
    subject = f"--group={person.groups[0]}" if person.groups else f"--user={person.user}"
    cluster.kubectl(
        "create",
        "rolebinding",
        f"{person.user}-{person.role}",
        f"--clusterrole={person.role}",
        subject,
        "-n",
        namespace,
    )


def _installed(cluster: LocalCluster, docs: list[Doc]) -> list[Doc]:
    """Apply `docs`; return those that did not exist before (to delete afterwards)."""
    new = [
        d
        for d in docs
        if not cluster.kubectl(
            "get", d["kind"], d["metadata"]["name"], "--ignore-not-found", "-o", "name"
        ).stdout.strip()
    ]
    cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(docs))
    return new


@pytest.fixture(scope="module")
def office(cluster: Any, crds: None) -> Iterator[Office]:
    if not isinstance(cluster, LocalCluster):
        pytest.skip("needs users with client certificates of the local control plane")
    suffix = secrets.token_hex(3)
    namespaces = {SHOP: f"roles-shop-{suffix}", TEAM: f"roles-team-{suffix}", CLUSTER: ""}
    for name in (namespaces[SHOP], namespaces[TEAM]):
        cluster.kubectl("create", "namespace", name)
    new = _installed(cluster, chart_roles())
    try:
        for person in PEOPLE.values():
            if person.role:
                _bind(cluster, person, namespaces[person.where])
        kubeconfigs = {p.user: cluster.user_kubeconfig(p.user, p.groups) for p in PEOPLE.values()}
        yield Office(cluster, namespaces, kubeconfigs)
    finally:
        for name in (namespaces[SHOP], namespaces[TEAM]):
            cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)
        if new:
            cluster.kubectl(
                "delete",
                "-f",
                "-",
                "--ignore-not-found",
                "--wait=false",
                input=yaml.safe_dump_all(new),
                check=False,
            )


@pytest.fixture(scope="module")
def bound(office: Office) -> Office:
    """The office once the RoleBindings are in force (the authorizer's cache follows)."""
    eventually(
        lambda: (
            office.can_i(Cell("carl", "create", "subscriptions.it4it.dev", SHOP, True))
            and office.can_i(Cell("pat", "create", "productreleases.it4it.dev", TEAM, True))
        ),
        timeout=30,
        what="the RoleBindings to take effect",
    )
    return office


@pytest.mark.parametrize("ask", MATRIX)
def test_what_each_person_may_do(bound: Office, ask: Cell) -> None:
    assert bound.can_i(ask) == ask.allowed


# -- real requests -----------------------------------------------------------------------------
def subscription(name: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "it4it.dev/v1alpha1",
            "kind": "Subscription",
            "metadata": {"name": name},
            "spec": {"offer": "guestbook-standard", "acceptedTerms": "2026-01"},
        }
    )


def approval(name: str, approver: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "it4it.dev/v1alpha1",
            "kind": "Approval",
            "metadata": {"name": name},
            "spec": {
                "desiredInstance": "shopfront",
                "planHash": "sha256:" + "a" * 64,
                "approver": approver,
                "comment": "CAB 42",
            },
        }
    )


def a_release(name: str) -> str:
    return yaml.safe_dump(release(name, "1.0.0"))


def forbidden(result: Any) -> bool:
    return bool(result.returncode != 0 and "forbidden" in result.stderr.lower())


def test_a_consumer_orders_changes_and_cancels_but_cannot_approve(bound: Office) -> None:
    shop = bound.namespaces[SHOP]
    created = bound.kubectl("carl", "apply", "-n", shop, "-f", "-", input=subscription("mine"))
    assert created.returncode == 0, created.stderr
    patched = bound.kubectl(
        "carl",
        "patch",
        "sub",
        "mine",
        "-n",
        shop,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"parameters": {"replicas": 3}}}),
    )
    assert patched.returncode == 0, patched.stderr
    status = bound.kubectl(
        "carl",
        "patch",
        "sub",
        "mine",
        "-n",
        shop,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": {"phase": "Active"}}),
    )
    assert forbidden(status), status.stderr
    assert forbidden(
        bound.kubectl("carl", "apply", "-n", shop, "-f", "-", input=approval("a", "carl"))
    )
    assert forbidden(bound.kubectl("carl", "get", "secrets", "-n", shop))
    assert forbidden(bound.kubectl("carl", "get", "subscriptions", "-n", bound.namespaces[TEAM]))
    deleted = bound.kubectl("carl", "delete", "sub", "mine", "-n", shop, "--wait=false")
    assert deleted.returncode == 0, deleted.stderr


def catalog_as(office: Office, who: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(office.kubeconfigs[who])}
    return subprocess.run(
        [sys.executable, "-m", "it4it_operator.cli", "catalog", "-o", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_consumer_reads_the_catalog_of_its_namespace(bound: Office) -> None:
    shop, team = bound.namespaces[SHOP], bound.namespaces[TEAM]
    assert bound.kubectl("carl", "get", "serviceoffers").returncode == 0
    assert bound.kubectl("carl", "get", "namespace", shop).returncode == 0
    assert forbidden(bound.kubectl("carl", "get", "namespace", team))
    listed = catalog_as(bound, "carl", "--namespace", shop)
    assert listed.returncode == 0, listed.stderr
    assert isinstance(json.loads(listed.stdout), list)
    elsewhere = catalog_as(bound, "carl", "--namespace", team)
    assert elsewhere.returncode == 2, "refused by the API server"
    assert "it4it-catalog-viewer" in elsewhere.stderr
    assert "Traceback" not in elsewhere.stderr


def test_an_approver_signs_but_cannot_order_or_rewrite(bound: Office) -> None:
    shop = bound.namespaces[SHOP]
    signed = bound.kubectl(
        "jane", "apply", "-n", shop, "-f", "-", input=approval("by-jane", "jane")
    )
    assert signed.returncode == 0, signed.stderr
    assert bound.kubectl("jane", "get", "approval", "by-jane", "-n", shop).returncode == 0
    assert forbidden(bound.kubectl("jane", "delete", "approval", "by-jane", "-n", shop))
    assert forbidden(
        bound.kubectl("jane", "apply", "-n", shop, "-f", "-", input=subscription("approvers-order"))
    )
    assert bound.kubectl("jane", "get", "dpi", "-n", shop).returncode == 0


def test_a_viewer_reads_everything_and_writes_nothing(bound: Office) -> None:
    shop = bound.namespaces[SHOP]
    listed = bound.kubectl("vic", "get", "sub,dpi,approval,apinst,inc", "-n", shop)
    assert listed.returncode == 0, listed.stderr
    assert forbidden(
        bound.kubectl("vic", "apply", "-n", shop, "-f", "-", input=subscription("viewers-order"))
    )


def test_a_product_team_publishes_releases_in_its_namespace_only(bound: Office) -> None:
    team, shop = bound.namespaces[TEAM], bound.namespaces[SHOP]
    published = bound.kubectl("pat", "apply", "-n", team, "-f", "-", input=a_release("gb-1-0-0"))
    assert published.returncode == 0, published.stderr
    assert forbidden(bound.kubectl("pat", "apply", "-n", shop, "-f", "-", input=a_release("gb")))
    assert forbidden(bound.kubectl("pat", "delete", "serviceoffer", "guestbook-standard"))
    assert bound.kubectl("pat", "get", "serviceoffers").returncode == 0
