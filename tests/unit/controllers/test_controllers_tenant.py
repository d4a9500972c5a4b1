"""Apply as the tenant: a release's objects are written as the namespace's deployer.

The operator's own kinds are written with its own identity; everything a release renders is
applied, pruned and deleted impersonating `it4it-deployer` of the instance's namespace, so the
API server judges it with the tenant's rights (issue "Tenancy and governance", item 1).
"""

from __future__ import annotations

from typing import Any

from it4it_operator.stages.deploy.deployer import deployer_objects
from support.controllers import Operator
from support.fake_kube import condition
from support.world import SHOP, TEAM, instance, namespace, offer, release, roll_out, subscription

DEPLOYER = f"system:serviceaccount:{SHOP}:it4it-deployer"


def _who(op: Operator, kind: str) -> set[str | None]:
    return {user for _, k, user in op.fake.identities if k == kind}


def test_a_release_s_objects_are_written_as_the_namespace_s_deployer() -> None:
    op = Operator()
    op.apply(namespace(TEAM), namespace(SHOP), release(), offer(), subscription())
    op.settle()
    roll_out(op.fake)
    op.settle()
    assert condition(op.fake.live("Subscription", "mine", SHOP), "Ready")["status"] == "True"
    assert _who(op, "ConfigMap") == {DEPLOYER}
    assert _who(op, "Deployment") == {DEPLOYER}
    for ours in ("DesiredProductInstance", "ActualProductInstance", "Subscription"):
        assert _who(op, ours) == {None}, f"{ours} is written by the operator itself"


def test_a_namespace_without_its_deployer_is_stalled_naming_the_command_until_enabled() -> None:
    op = Operator(tenants=False)
    op.apply(namespace(TEAM), namespace(SHOP), release(), instance())
    op.settle()
    dpi = op.fake.live("DesiredProductInstance", "direct", SHOP)
    stalled, ready = condition(dpi, "Stalled"), condition(dpi, "Ready")
    assert stalled["status"] == "True" and ready["reason"] == "DeployerMissing"
    assert f"it4it tenant enable {SHOP}" in ready["message"]
    assert op.fake.of_kind("ConfigMap") == [] and op.fake.of_kind("Deployment") == []
    assert "DeployerMissing" in {e["reason"] for e in op.fake.events if e["type"] == "Warning"}

    op.apply(*deployer_objects(SHOP))  # `it4it tenant enable shop`: its arrival wakes the plan
    op.settle()
    roll_out(op.fake)
    op.settle()
    dpi = op.fake.live("DesiredProductInstance", "direct", SHOP)
    assert condition(dpi, "Ready")["status"] == "True", dpi["status"]["conditions"]
    assert condition(dpi, "Stalled").get("status") != "True"


def test_a_pod_security_warning_on_a_workload_refuses_the_plan_before_anything_is_written() -> None:
    op = Operator()

    def warn(method: str, obj: dict[str, Any]) -> list[str]:
        if obj["kind"] == "Deployment":
            return ['would violate PodSecurity "restricted:latest": privileged (container "web")']
        return []

    op.fake.warn = warn
    restricted = namespace(SHOP, **{"pod-security.kubernetes.io/enforce": "restricted"})
    op.apply(namespace(TEAM), restricted, release(), instance())
    op.settle()
    dpi = op.fake.live("DesiredProductInstance", "direct", SHOP)
    fulfilled = condition(dpi, "Fulfilled")
    assert fulfilled["reason"] == "ObjectForbidden"
    assert "would violate PodSecurity" in fulfilled["message"]
    assert "Deployment shop/direct" in fulfilled["message"]
    assert op.fake.of_kind("ConfigMap") == [] and op.fake.of_kind("Deployment") == []


def test_without_pod_security_enforced_a_first_install_needs_no_dry_run() -> None:
    op = Operator()
    op.apply(namespace(TEAM), namespace(SHOP), release(), instance())
    op.settle()
    dry_runs = [w for w in op.fake.identities if w[1] == "Deployment"]
    assert len(dry_runs) == 1, "one apply, no dry run: the namespace enforces no Pod Security"


def test_an_instance_is_removed_even_when_its_deployer_is_gone() -> None:
    op = Operator()
    op.apply(namespace(TEAM), namespace(SHOP), release(), instance())
    op.settle()
    roll_out(op.fake)
    op.settle()
    op.fake.remove("ServiceAccount", "it4it-deployer", SHOP)  # the namespace is going away
    op.fake.remove("DesiredProductInstance", "direct", SHOP)
    for _ in range(3):
        op.settle()
        op.fake.collect_garbage()
    assert op.fake.live("DesiredProductInstance", "direct", SHOP) is None, "no finalizer stuck"
    assert op.fake.live("ActualProductInstance", "direct", SHOP) is None
    assert op.fake.of_kind("Deployment") == [], "the garbage collector removed what it owned"
