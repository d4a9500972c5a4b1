"""A restart finds the Deploy stages in any state and converges without duplicates.

All progress lives in the API server. Each case leaves the instance where a crash could leave
it, starts a new operator (fresh caches, nothing in memory) and checks it reaches Ready with
exactly the planned objects, the ones already there kept (same uid).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from support.controllers import Operator
from support.fake_kube import FakeKube, condition
from support.world import SHOP, TEAM, instance, namespace, release, roll_out

DPI = "DesiredProductInstance"


def planned_only(fake: FakeKube) -> None:
    """Crashed after planning, before any object was applied."""
    for kind in ("ConfigMap", "Deployment", "ActualProductInstance"):
        for obj in list(fake.of_kind(kind)):
            fake.objects.pop(fake._key(obj))
    fake.objects[(DPI, SHOP, "direct")]["status"].pop("appliedPlanHash")


def half_applied(fake: FakeKube) -> None:
    """Crashed between two applies: the ConfigMap is there, the Deployment not, and the
    applied plan hash was never recorded."""
    for obj in list(fake.of_kind("Deployment")):
        fake.objects.pop(fake._key(obj))
    fake.objects[(DPI, SHOP, "direct")]["status"].pop("appliedPlanHash")


def validating(fake: FakeKube) -> None:
    """Crashed while validating: everything applied, the Deployment not available yet."""
    for deployment in fake.of_kind("Deployment"):
        deployment["status"] = {}
    status = fake.objects[(DPI, SHOP, "direct")]["status"]
    for field in ("stablePlanHash", "observeStartedAt", "lastKnownGood"):
        status.pop(field, None)


def observing(fake: FakeKube) -> None:
    """Crashed while observing."""
    status = fake.objects[(DPI, SHOP, "direct")]["status"]
    status.pop("stablePlanHash", None)


def handed_over(fake: FakeKube) -> None:
    """Crashed after hand-over: nothing to do."""


def actual_lost(fake: FakeKube) -> None:
    """Someone deleted the ActualProductInstance while the operator was down."""
    for obj in list(fake.of_kind("ActualProductInstance")):
        fake.objects.pop(fake._key(obj))


CASES: dict[str, Callable[[FakeKube], None]] = {
    "a restart after planning applies everything once": planned_only,
    "a restart between two applies applies only what is missing": half_applied,
    "a restart while validating validates": validating,
    "a restart while observing hands over": observing,
    "a restart after hand-over changes nothing": handed_over,
    "a restart without the actual instance recreates it": actual_lost,
}


@pytest.mark.parametrize("crash", CASES.values(), ids=CASES.keys())
def test_a_restart_converges_with_no_duplicates(crash: Callable[[FakeKube], None]) -> None:
    op = Operator()
    op.apply(namespace(TEAM), namespace(SHOP), release(), instance())
    op.settle()
    roll_out(op.fake)
    op.settle()
    kept = {o["metadata"]["uid"] for o in op.fake.of_kind("ConfigMap")}
    crash(op.fake)
    again = op.restart()
    again.manager.enqueue_all()
    again.settle()
    roll_out(again.fake)
    again.settle()
    dpi = again.fake.live(DPI, "direct", SHOP)
    assert condition(dpi, "Ready")["status"] == "True", dpi["status"]
    assert len(again.fake.of_kind("ConfigMap")) == 1
    assert len(again.fake.of_kind("Deployment")) == 1
    assert len(again.fake.of_kind("ActualProductInstance")) == 1
    if crash is not planned_only:
        assert {o["metadata"]["uid"] for o in again.fake.of_kind("ConfigMap")} == kept
    assert again.resync() == []


def test_a_restart_of_a_converged_operator_writes_nothing() -> None:
    op = Operator()
    op.apply(namespace(TEAM), namespace(SHOP), release(), instance())
    op.settle()
    roll_out(op.fake)
    op.settle()
    again = op.restart()
    assert again.resync() == []
