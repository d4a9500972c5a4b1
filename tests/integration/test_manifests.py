"""What ships to clusters: the kustomize base (manifests/), the Helm chart (charts/it4it-operator/)
and the Approval admission policy, checked against the real API server.

- The ValidatingAdmissionPolicy of admission/approval-policy.yaml refuses Approvals signed in
  someone else's name and changes of the signed plan, for real users with client certificates
  (local control plane only).
- `kubectl apply --dry-run=server -k manifests/` and the rendered chart are accepted.
- The chart lints, renders with its options and agrees with the kustomize base.
- The operator's ServiceAccount may do what reconciling needs and nothing cluster-wide; the
  allow-list of kinds and the RBAC granted for them are the same list.

Cluster-scoped objects a test creates are deleted afterwards, unless they existed before (an
installation on a shared cluster is left alone). CRDs stay installed, as with the `crds` fixture.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import eventually
from it4it_operator.devcluster import tools
from it4it_operator.stages.deploy.tenancy import DEFAULT_ALLOWED_KINDS, parse_allowed_kinds

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"
CHART = ROOT / "charts" / "it4it-operator"
SYSTEM_NAMESPACE = "it4it-system"
OPERATOR = f"system:serviceaccount:{SYSTEM_NAMESPACE}:it4it-operator"
POLICY = "approval-signature.it4it.dev"
PLAN_A = "sha256:" + "a" * 64
PLAN_B = "sha256:" + "b" * 64
IT4IT_KINDS = (
    "productreleases",
    "serviceoffers",
    "subscriptions",
    "desiredproductinstances",
    "approvals",
    "actualproductinstances",
    "incidents",
)
MANAGE = {"get", "list", "watch", "create", "patch", "update", "delete"}

Doc = dict[str, Any]


# -- helpers ---------------------------------------------------------------------------------
def load(*paths: Path) -> list[Doc]:
    docs: list[Doc] = []
    for path in paths:
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            docs += [d for d in yaml.safe_load_all(file.read_text(encoding="utf-8")) if d]
    return docs


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tools.binary("helm")), *args], text=True, capture_output=True, check=check
    )


def render(*args: str, release: str = "it4it-operator", namespace: str = SYSTEM_NAMESPACE) -> str:
    return helm("template", release, str(CHART), "--namespace", namespace, *args).stdout


def docs_of(text: str) -> list[Doc]:
    return [d for d in yaml.safe_load_all(text) if d]


def kustomized(cluster: Any) -> list[Doc]:
    return docs_of(cluster.kubectl("kustomize", str(MANIFESTS)).stdout)


def find(docs: list[Doc], kind: str, name: str) -> Doc:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def identity(doc: Doc) -> tuple[str, str, str]:
    return (doc["kind"], doc["metadata"]["name"], doc["metadata"].get("namespace", ""))


def grants(role: Doc) -> set[tuple[str, str, str]]:
    """A role's rules as (apiGroup, resource, verb) triples, to compare rules written apart."""
    return {
        (group, resource, verb)
        for rule in role.get("rules", [])
        for group in rule.get("apiGroups", [])
        for resource in rule.get("resources", [])
        for verb in rule.get("verbs", [])
    }


def env_of(deployment: Doc) -> dict[str, Any]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def dump(docs: list[Doc]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False)


@contextmanager
def installed(cluster: Any, docs: list[Doc]) -> Iterator[list[Doc]]:
    """Apply `docs` for real; afterwards delete those that did not exist before (yielded)."""
    new = [
        doc
        for doc in docs
        if not cluster.kubectl(
            "get", "-f", "-", "-o", "name", "--ignore-not-found", input=dump([doc])
        ).stdout.strip()
    ]
    try:
        cluster.kubectl("apply", "-f", "-", input=dump(docs))
        yield new
    finally:
        if new:
            cluster.kubectl(
                "delete", "-f", "-", "--ignore-not-found", "--wait=false", input=dump(new)
            )


def approval(name: str, approver: str, plan: str = PLAN_A) -> str:
    return dump(
        [
            {
                "apiVersion": "it4it.dev/v1alpha1",
                "kind": "Approval",
                "metadata": {"name": name},
                "spec": {"desiredInstance": "my-guestbook", "planHash": plan, "approver": approver},
            }
        ]
    )


def can_i(cluster: Any, who: str, *request: str) -> bool:
    found = cluster.kubectl("auth", "can-i", *request, f"--as={who}", check=False)
    return found.stdout.strip() == "yes"


# -- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def system_namespace(cluster: Any) -> Iterator[str]:
    """it4it-system from manifests/operator/00-namespace.yaml, deleted afterwards if new."""
    existed = cluster.kubectl("get", "namespace", SYSTEM_NAMESPACE, check=False).returncode == 0
    cluster.kubectl("apply", "-f", str(MANIFESTS / "operator" / "00-namespace.yaml"))
    yield SYSTEM_NAMESPACE
    if not existed:
        cluster.kubectl("delete", "namespace", SYSTEM_NAMESPACE, "--timeout=90s", check=False)


# -- the admission policy --------------------------------------------------------------------
def test_approvals_are_signed_in_the_requesters_own_name(
    cluster: Any, crds: None, namespace: str
) -> None:
    if not hasattr(cluster, "user_kubeconfig"):
        pytest.skip("needs client certificates for other users (local control plane only)")
    jane, joe = cluster.user_kubeconfig("jane"), cluster.user_kubeconfig("joe")
    admin = cluster.kubectl(
        "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"
    ).stdout.strip()
    # RBAC lets both create AND change approvals, so every refusal below is the policy's.
    policy = load(MANIFESTS / "admission" / "approval-policy.yaml")
    cluster.kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input=dump(
            [
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "Role",
                    "metadata": {"name": "approval-writers"},
                    "rules": [
                        {
                            "apiGroups": ["it4it.dev"],
                            "resources": ["approvals"],
                            "verbs": ["create", "get", "list", "update", "patch"],
                        }
                    ],
                },
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "RoleBinding",
                    "metadata": {"name": "approval-writers"},
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "Role",
                        "name": "approval-writers",
                    },
                    "subjects": [
                        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}
                        for user in ("jane", "joe")
                    ],
                },
            ]
        ),
    )

    def create(name: str, approver: str, kubeconfig: Path | None, *extra: str) -> Any:
        return cluster.kubectl(
            "create",
            "-n",
            namespace,
            "-f",
            "-",
            *extra,
            input=approval(name, approver),
            kubeconfig=kubeconfig,
            check=False,
        )

    def patch(name: str, spec: dict[str, str], kubeconfig: Path | None) -> Any:
        return cluster.kubectl(
            "patch",
            "approval",
            name,
            "-n",
            namespace,
            "--type=merge",
            "-p",
            json.dumps({"spec": spec}),
            kubeconfig=kubeconfig,
            check=False,
        )

    with installed(cluster, policy) as new:
        # A new policy (and RoleBinding) takes a moment to be in effect: probe with a dry run.
        eventually(
            lambda: POLICY in create("probe", "joe", jane, "--dry-run=server").stderr,
            timeout=30,
            what="the admission policy to refuse jane signing as joe",
        )

        accepted = create("by-jane", "jane", jane)
        assert accepted.returncode == 0, accepted.stderr

        refused = create("jane-as-joe", "joe", jane)
        assert refused.returncode != 0
        assert POLICY in refused.stderr
        assert "spec.approver" in refused.stderr
        assert 'request comes from "jane"' in refused.stderr, refused.stderr

        # Nobody is exempt, not even a cluster admin.
        refused = create("admin-as-jane", "jane", None)
        assert refused.returncode != 0
        assert f'request comes from "{admin}"' in refused.stderr, refused.stderr

        # joe may update approvals (RBAC) but not jane's signature, nor what it signs.
        refused = patch("by-jane", {"planHash": PLAN_B}, joe)
        assert refused.returncode != 0
        assert POLICY in refused.stderr
        assert 'request comes from "joe"' in refused.stderr, refused.stderr
        refused = patch("by-jane", {"approver": "joe"}, joe)
        assert refused.returncode != 0
        assert "spec.approver cannot change" in refused.stderr, refused.stderr

        # An approval is immutable, even for its own approver: a new plan needs a new Approval.
        refused = patch("by-jane", {"planHash": PLAN_B, "desiredInstance": "other"}, jane)
        assert refused.returncode != 0
        assert "spec.planHash, spec.desiredInstance cannot change" in refused.stderr, refused.stderr

        # What does not touch the signature passes: jane's comment, anyone's labels.
        assert patch("by-jane", {"comment": "CAB 42"}, jane).returncode == 0
        labelled = cluster.kubectl("label", "approval", "by-jane", "-n", namespace, "x=y")
        assert labelled.returncode == 0

        live = json.loads(
            cluster.kubectl("get", "approval", "by-jane", "-n", namespace, "-o", "json").stdout
        )
        assert live["spec"] == {
            "desiredInstance": "my-guestbook",
            "planHash": PLAN_A,
            "approver": "jane",
            "decision": "Approved",  # the CRD's default
            "comment": "CAB 42",
        }
    if new:
        # Gone again before the next test, which may create Approvals as the admin.
        eventually(
            lambda: create("probe", "joe", None, "--dry-run=server").returncode == 0,
            timeout=30,
            what="the admission policy to be removed",
        )


# -- the kustomize base ----------------------------------------------------------------------
def test_kustomize_base_is_accepted_by_the_api_server(
    cluster: Any, crds: None, system_namespace: str
) -> None:
    dry = cluster.kubectl("apply", "--dry-run=server", "-k", str(MANIFESTS), check=False)
    assert dry.returncode == 0, dry.stderr
    # No PodSecurity (restricted) or deprecation warnings.
    assert "Warning" not in dry.stderr, dry.stderr

    # Every file of the folders is in the kustomization, and nothing else.
    built = kustomized(cluster)
    on_disk = load(
        MANIFESTS / "operator", MANIFESTS / "rbac", MANIFESTS / "admission"
    )  # ../crds is installed first (README.md)
    assert sorted(map(identity, built)) == sorted(map(identity, on_disk))
    assert not [d for d in built if d["kind"] == "CustomResourceDefinition"]


def test_operator_pod_is_restricted_and_single(cluster: Any) -> None:
    deployment = find(kustomized(cluster), "Deployment", "it4it-operator")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "ghcr.io/it4it-operator/it4it-operator:0.1.0"
    assert " ".join(container["command"]) == (
        "it4it run --log-format json --liveness http://0.0.0.0:8080/healthz "
        "--metrics-port 8081 --leader-election it4it-operator"
    )
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "healthz"}
    assert {"name": "healthz", "containerPort": 8080, "protocol": "TCP"} in container["ports"]
    assert {"name": "metrics", "containerPort": 8081, "protocol": "TCP"} in container["ports"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert set(container["resources"]) == {"requests", "limits"}
    # One replica by default; leader election on a Lease makes more of them standbys.
    assert deployment["spec"]["replicas"] == 1
    assert env_of(deployment)["POD_ID"] == {"fieldRef": {"fieldPath": "metadata.name"}}


# -- the Helm chart --------------------------------------------------------------------------
def test_the_chart_lints_and_its_crds_are_the_generated_ones(tmp_path: Path) -> None:
    # files/crds and files/admission are symlinks to the generated CRDs and to the admission
    # policies of the kustomize base, never copies that could drift.
    for link, target in (
        (CHART / "files" / "crds", ROOT / "crds"),
        (CHART / "files" / "admission", MANIFESTS / "admission"),
    ):
        assert link.is_symlink(), f"{link} must be a symlink to {target}"
        assert link.resolve() == target.resolve()

    lint = helm("lint", "--strict", str(CHART), check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    # The CRDs are templates (crds.install), the generated ones plus the keep annotation.
    generated = {d["metadata"]["name"]: d for d in load(ROOT / "crds")}
    rendered = {
        d["metadata"]["name"]: d
        for d in docs_of(render())
        if d["kind"] == "CustomResourceDefinition"
    }
    assert rendered.keys() == generated.keys()
    for name, crd in rendered.items():
        assert crd["metadata"].pop("annotations") == {"helm.sh/resource-policy": "keep"}, name
        assert crd == generated[name], name
    assert "CustomResourceDefinition" not in {
        d["kind"] for d in docs_of(render("--set=crds.install=false"))
    }
    assert (
        "annotations"
        not in find(
            docs_of(render("--set=crds.keep=false")),
            "CustomResourceDefinition",
            "approvals.it4it.dev",
        )["metadata"]
    )

    # A packaged chart carries the files themselves (helm follows the symlinks).
    helm("package", str(CHART), "--destination", str(tmp_path))
    with tarfile.open(next(tmp_path.glob("it4it-operator-0.1.0.tgz"))) as archive:
        names = archive.getnames()
    for folder, source in (
        ("/files/crds/", ROOT / "crds"),
        ("/files/admission/", MANIFESTS / "admission"),
    ):
        packaged = {Path(n).name for n in names if folder in n}
        assert packaged == {p.name for p in source.glob("*.yaml")}, folder


def test_the_chart_options_render() -> None:
    default = docs_of(render())
    deployment = find(default, "Deployment", "it4it-operator")
    assert deployment["metadata"]["namespace"] == SYSTEM_NAMESPACE
    assert env_of(deployment)["IT4IT_RESYNC_SECONDS"] == "600"
    assert {d["kind"] for d in default} >= {"ValidatingAdmissionPolicy", "CustomResourceDefinition"}
    assert not [d for d in default if d["apiVersion"].startswith("kopf.dev/")]

    two_kinds = [
        {"group": "apps", "kind": "Deployment", "resource": "deployments"},
        {"group": "", "kind": "ConfigMap", "resource": "configmaps"},
    ]
    options = docs_of(
        render(
            "--set=watchNamespace=shop",
            "--set=resyncSeconds=2.5",
            "--set=admissionPolicy.enabled=false",
            "--set=image.digest=sha256:" + "c" * 64,
            '--set-json=resources={"requests":{"cpu":"50m","memory":"128Mi"}}',
            f"--set-json=allowedKinds={json.dumps(two_kinds)}",
        )
    )
    deployment = find(options, "Deployment", "it4it-operator")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][-2:] == ["--namespace", "shop"]
    assert container["image"].endswith("@sha256:" + "c" * 64)
    assert container["resources"]["requests"] == {"cpu": "50m", "memory": "128Mi"}
    env = env_of(deployment)
    assert env["IT4IT_RESYNC_SECONDS"] == "2.5"
    assert parse_allowed_kinds(env["IT4IT_ALLOWED_KINDS"]) == {
        ("apps", "Deployment"),
        ("", "ConfigMap"),
    }
    assert not [d for d in options if "AdmissionPolicy" in d["kind"]]
    # Workloads are granted in the watched namespace only, and without Roles no bind/escalate.
    binding = find(options, "RoleBinding", "it4it-operator-workloads")
    assert binding["metadata"]["namespace"] == "shop"
    workloads = find(options, "ClusterRole", "it4it-operator-workloads")
    assert {("apps", "deployments"), ("", "configmaps")} <= read_resources(workloads)
    assert not [t for t in grants(workloads) if t[2] not in {*READ, "impersonate"}]
    tenants = docs_of(render('--set-json=tenants=["shop","cafe"]'))
    deployers = [
        (d["kind"], d["metadata"]["namespace"])
        for d in tenants
        if d["metadata"]["name"] == "it4it-deployer"
    ]
    assert sorted(deployers) == sorted(
        (kind, ns) for ns in ("shop", "cafe") for kind in ("RoleBinding", "ServiceAccount")
    )

    # Values that would break the operator or widen its RBAC are refused at render time.
    for bad in (
        ["--set", "replicas=2", "--set", "leaderElection.enabled=false"],
        ["--set", "peering.enabled=true"],  # unknown values are refused, not ignored
        ["--set-json", 'allowedKinds=[{"group":"","kind":"Namespace","resource":"namespaces"}]'],
        ["--set", "allowedKinds[0].kind=Deployment"],
        ["--set", "resyncSeconds=0"],
        ["--set", "resyncSeconds=often"],
    ):
        refused = helm("template", "x", str(CHART), *bad, check=False)
        assert refused.returncode != 0, bad


def test_the_rendered_chart_is_accepted_by_the_api_server(
    cluster: Any, crds: None, namespace: str
) -> None:
    for options in ([], ["--set", f"watchNamespace={namespace}"]):
        rendered = render("--include-crds", *options, namespace=namespace)
        dry = cluster.kubectl("apply", "--dry-run=server", "-f", "-", input=rendered, check=False)
        assert dry.returncode == 0, dry.stderr


def test_the_chart_and_the_kustomize_base_agree(cluster: Any) -> None:
    """Rendered as release it4it-operator in it4it-system, the chart makes the same objects."""
    chart = docs_of(render("--set=crds.install=false"))  # the kustomize base has no CRDs
    base = [d for d in kustomized(cluster) if d["kind"] != "Namespace"]
    assert sorted(map(identity, chart)) == sorted(map(identity, base))
    for ours in base:
        theirs = find(chart, ours["kind"], ours["metadata"]["name"])
        what = f"{ours['kind']} {ours['metadata']['name']}"
        if ours["kind"] == "ClusterRole":
            assert grants(theirs) == grants(ours), what
            assert theirs["metadata"]["labels"].get(
                "rbac.authorization.k8s.io/aggregate-to-view"
            ) == ours["metadata"]["labels"].get("rbac.authorization.k8s.io/aggregate-to-view")
        elif ours["kind"] in ("ClusterRoleBinding", "RoleBinding"):
            assert (theirs["roleRef"], theirs["subjects"]) == (ours["roleRef"], ours["subjects"])
        elif "AdmissionPolicy" in ours["kind"]:
            assert theirs["spec"] == ours["spec"], what
            labels = ours["metadata"].get("labels", {}).items()
            assert labels <= theirs["metadata"]["labels"].items(), what
        elif ours["kind"] == "Deployment":
            a, b = theirs["spec"]["template"]["spec"], ours["spec"]["template"]["spec"]
            assert a["securityContext"] == b["securityContext"]
            assert a["serviceAccountName"] == b["serviceAccountName"]
            assert a["volumes"] == b["volumes"]
            assert theirs["spec"]["replicas"] == ours["spec"]["replicas"]
            assert theirs["spec"]["strategy"] == ours["spec"]["strategy"]
            for field in ("image", "command", "ports", "livenessProbe", "resources"):
                assert a["containers"][0][field] == b["containers"][0][field], field
            for field in ("securityContext", "volumeMounts"):
                assert a["containers"][0][field] == b["containers"][0][field], field
            assert env_of(theirs) == env_of(ours)


# -- RBAC ------------------------------------------------------------------------------------
def allowed_resources(cluster: Any, allowed: str) -> set[tuple[str, str]]:
    """(group, plural) of each kind of an IT4IT_ALLOWED_KINDS value, by API discovery."""
    found = set()
    for group, kind in parse_allowed_kinds(allowed):
        if group:
            preferred = json.loads(cluster.kubectl("get", "--raw", f"/apis/{group}").stdout)
            path = f"/apis/{preferred['preferredVersion']['groupVersion']}"
        else:
            path = "/api/v1"
        resources = json.loads(cluster.kubectl("get", "--raw", path).stdout)["resources"]
        match = [r for r in resources if r["kind"] == kind and "/" not in r["name"]]
        assert len(match) == 1, f"{group}/{kind} not served"
        assert match[0]["namespaced"], f"{group}/{kind} is cluster-scoped"
        found.add((group, match[0]["name"]))
    return found


READ = frozenset({"get", "list", "watch"})


def read_resources(role: Doc) -> set[tuple[str, str]]:
    """(group, resource) that `role` may get, list and watch."""
    triples = grants(role)
    return {(g, r) for g, r, _ in triples if all((g, r, v) in triples for v in READ)}


@pytest.mark.parametrize("source", ["kustomize", "helm"])
def test_the_allow_list_and_the_rbac_are_one_list(cluster: Any, source: str) -> None:
    docs = kustomized(cluster) if source == "kustomize" else docs_of(render())
    allowed = env_of(find(docs, "Deployment", "it4it-operator"))["IT4IT_ALLOWED_KINDS"]
    assert parse_allowed_kinds(allowed) == DEFAULT_ALLOWED_KINDS
    workloads = find(docs, "ClusterRole", "it4it-operator-workloads")
    # The allow-listed kinds are read (inventory, health, drift), never written with the
    # operator's rights: it writes them impersonating the namespace's deployer.
    assert read_resources(workloads) >= allowed_resources(cluster, allowed)
    assert not {v for _, _, v in grants(workloads)} & {*MANAGE, "bind", "escalate"} - READ
    impersonated = [r for r in workloads["rules"] if "impersonate" in r["verbs"]]
    assert impersonated == [
        {
            "apiGroups": [""],
            "resources": ["serviceaccounts"],
            "resourceNames": ["it4it-deployer"],
            "verbs": ["impersonate"],
        }
    ]


OPERATOR_MAY = [
    ("watch", "deployments.apps", "--all-namespaces"),
    ("list", "secrets", "--all-namespaces"),
    ("watch", "serviceaccounts", "--all-namespaces"),
    ("impersonate", "serviceaccounts/it4it-deployer", "-n", "any-team"),
    ("list", "pods", "--all-namespaces"),
    ("watch", "replicasets.apps", "--all-namespaces"),
    ("watch", "subscriptions.it4it.dev", "--all-namespaces"),
    ("create", "actualproductinstances.it4it.dev", "-n", "any-team"),
    ("patch", "desiredproductinstances.it4it.dev", "--subresource=status", "-n", "any-team"),
    ("patch", "serviceoffers.it4it.dev", "--subresource=status"),
    ("update", "actualproductinstances.it4it.dev", "--subresource=finalizers", "-n", "x"),
    ("create", "events", "-n", "default"),
    ("create", "events.events.k8s.io", "-n", "any-team"),
    ("list", "namespaces"),
    ("watch", "customresourcedefinitions.apiextensions.k8s.io"),
    ("update", "leases.coordination.k8s.io/it4it-operator", "-n", "it4it-system"),
]
OPERATOR_MAY_NOT = [
    # A release's objects are written as the namespace's deployer, never with these rights.
    ("patch", "deployments.apps", "-n", "any-team"),
    ("create", "configmaps", "-n", "any-team"),
    ("delete", "secrets", "-n", "any-team"),
    ("create", "secrets", "-n", "any-team"),
    ("create", "roles.rbac.authorization.k8s.io", "-n", "any-team"),
    ("bind", "roles.rbac.authorization.k8s.io", "-n", "any-team"),
    ("escalate", "roles.rbac.authorization.k8s.io", "-n", "any-team"),
    ("create", "horizontalpodautoscalers.autoscaling", "-n", "any-team"),
    ("impersonate", "serviceaccounts/default", "-n", "any-team"),
    ("impersonate", "groups"),
    ("create", "clusterroles.rbac.authorization.k8s.io"),
    ("create", "clusterrolebindings.rbac.authorization.k8s.io"),
    ("bind", "clusterroles.rbac.authorization.k8s.io"),
    ("escalate", "clusterroles.rbac.authorization.k8s.io"),
    ("get", "nodes"),
    ("create", "namespaces"),
    ("delete", "namespaces"),
    ("create", "pods", "-n", "any-team"),
    ("delete", "pods", "-n", "any-team"),
    ("create", "pods", "--subresource=exec", "-n", "any-team"),
    ("create", "serviceaccounts", "--subresource=token", "-n", "any-team"),
    ("create", "persistentvolumes"),
    ("create", "customresourcedefinitions.apiextensions.k8s.io"),
    ("delete", "validatingadmissionpolicybindings.admissionregistration.k8s.io"),
    ("patch", "validatingadmissionpolicies.admissionregistration.k8s.io"),
    ("impersonate", "users"),
    ("create", "approvals.it4it.dev", "-n", "any-team"),
    ("create", "subscriptions.it4it.dev", "-n", "any-team"),
    ("create", "productreleases.it4it.dev", "-n", "any-team"),
    ("create", "serviceoffers.it4it.dev"),
    ("delete", "productreleases.it4it.dev", "-n", "any-team"),
    ("create", "leases.coordination.k8s.io", "-n", "any-team"),
    ("update", "leases.coordination.k8s.io/someone-else", "-n", "it4it-system"),
]


def test_the_operator_is_least_privileged(cluster: Any, crds: None, system_namespace: str) -> None:
    with installed(cluster, load(MANIFESTS / "rbac")):
        eventually(
            lambda: can_i(cluster, OPERATOR, "watch", "deployments.apps", "--all-namespaces"),
            timeout=30,
            what="the operator's ClusterRoleBindings to take effect",
        )
        wrong = [" ".join(r) for r in OPERATOR_MAY if not can_i(cluster, OPERATOR, *r)]
        wrong += [f"NOT {' '.join(r)}" for r in OPERATOR_MAY_NOT if can_i(cluster, OPERATOR, *r)]
        assert not wrong, f"the operator's RBAC differs from the expected: {wrong}"


def test_roles_for_people(cluster: Any, crds: None, namespace: str) -> None:
    with installed(cluster, load(MANIFESTS / "rbac" / "20-user-roles.yaml")) as new_roles:
        people = (("jane", "it4it-approver"), ("carl", "it4it-consumer"), ("vic", "view"))
        for user, role in people:
            cluster.kubectl(
                "create",
                "rolebinding",
                user,
                f"--clusterrole={role}",
                f"--user={user}",
                "-n",
                namespace,
            )
        expected = {
            ("jane", "create", "approvals.it4it.dev"): True,
            ("jane", "update", "approvals.it4it.dev"): False,
            ("jane", "delete", "approvals.it4it.dev"): False,
            ("jane", "watch", "desiredproductinstances.it4it.dev"): True,
            ("jane", "create", "subscriptions.it4it.dev"): False,
            ("carl", "create", "subscriptions.it4it.dev"): True,
            ("carl", "patch", "subscriptions.it4it.dev"): True,
            ("carl", "delete", "subscriptions.it4it.dev"): True,
            ("carl", "list", "serviceoffers.it4it.dev"): True,
            ("carl", "create", "approvals.it4it.dev"): False,
            ("carl", "update", "desiredproductinstances.it4it.dev"): False,
            ("carl", "create", "incidents.it4it.dev"): True,
            ("carl", "delete", "incidents.it4it.dev"): False,
            ("jane", "create", "incidents.it4it.dev"): False,
            # it4it-viewer is aggregated into the built-in view role.
            ("vic", "list", "actualproductinstances.it4it.dev"): True,
            ("vic", "get", "incidents.it4it.dev"): True,
            ("vic", "create", "subscriptions.it4it.dev"): False,
        }

        def actual() -> dict[tuple[str, str, str], bool]:
            return {k: can_i(cluster, k[0], k[1], k[2], "-n", namespace) for k in expected}

        eventually(
            lambda: actual() == expected,
            timeout=30,
            what="the people's roles (and the aggregation into view) to take effect",
            show=lambda: {" ".join(k): v for k, v in actual().items() if expected[k] != v},
        )
    # Deleting it4it-viewer takes its rules out of view again (put back afterwards when other
    # tests of the session had installed the people's roles before this one).
    roles = load(MANIFESTS / "rbac" / "20-user-roles.yaml")
    viewer = [d for d in roles if d["metadata"]["name"] == "it4it-viewer"]
    cluster.kubectl("delete", "clusterrole", "it4it-viewer", "--ignore-not-found")
    try:
        eventually(
            lambda: not can_i(cluster, "vic", "list", "incidents.it4it.dev", "-n", namespace),
            timeout=30,
            what="view to lose the it4it rules",
        )
    finally:
        if viewer[0] not in new_roles:  # it was there before this test: as it was
            cluster.kubectl("apply", "-f", "-", input=dump(viewer))
