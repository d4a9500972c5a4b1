"""Plan & Approve Deployment: the plan, its hash and its estimate."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from it4it_operator.plugins.builtin.inline import PLUGIN as INLINE
from it4it_operator.plugins.interfaces import RenderContext, RenderError
from it4it_operator.stages.deploy.plan import (
    PlanError,
    PlanParameterError,
    PlanRenderError,
    PlanTenancyError,
    estimate,
    make_plan,
    plan_hash,
)

SCHEMA = {
    "type": "object",
    "properties": {"replicas": {"type": "integer", "minimum": 1, "default": 2}},
}
RELEASE_SPEC: dict[str, Any] = {
    "buildPackage": {"images": [{"name": "web", "image": "r.example/web@sha256:" + "a" * 64}]},
    "manifests": [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "$(instance.name)-web"},
            "spec": {
                "replicas": "$(params.replicas)",
                "template": {"spec": {"containers": [{"name": "web", "image": "$(images.web)"}]}},
            },
        },
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "$(instance.name)"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}},
    ],
}


def inline_render(spec: Mapping[str, Any] = RELEASE_SPEC) -> Any:
    """The renderer call a handler passes to make_plan."""

    def render(params: dict[str, Any]) -> list[dict[str, Any]]:
        images = RenderContext.images_of(spec)
        return INLINE.render(spec, RenderContext(params, images, "my-guestbook", "shop"))

    return render


def plan_with(**changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "release_ref": "team-guestbook/guestbook-1.1.0",
        "release_digest": "sha256:" + "1" * 64,
        "parameter_schema": SCHEMA,
        "parameters": {"replicas": 3},
        "render": inline_render(),
        "plan": {"approval": "Manual", "observeSeconds": 60},
        "state": "Enabled",
        "namespace": "shop",
    }
    arguments.update(changes)
    return make_plan(**arguments)


def test_a_plan_renders_confines_orders_and_hashes() -> None:
    plan = plan_with()
    assert [o["kind"] for o in plan.objects] == ["ConfigMap", "Service", "Deployment"]
    assert {o["metadata"]["namespace"] for o in plan.objects} == {"shop"}
    assert plan.objects[2]["spec"]["replicas"] == 3
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", plan.plan_hash)
    assert plan.estimate == {"objects": 3, "seconds": 12}
    assert plan.parameters == {"replicas": 3}


def test_defaults_are_filled_before_rendering() -> None:
    plan = plan_with(parameters={})
    assert plan.parameters == {"replicas": 2}
    assert plan.objects[2]["spec"]["replicas"] == 2


def test_the_same_inputs_give_the_same_hash() -> None:
    assert plan_with().plan_hash == plan_with().plan_hash


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"parameters": {"replicas": 4}}, id="a change of parameters"),
        pytest.param({"release_ref": "team-guestbook/guestbook-1.2.0"}, id="another release"),
        pytest.param({"release_digest": "sha256:" + "2" * 64}, id="another release digest"),
        pytest.param({"plan": {"approval": "Manual", "observeSeconds": 30}}, id="a plan change"),
        pytest.param({"state": "Disabled"}, id="disabling the instance"),
        pytest.param({"namespace": "other"}, id="another namespace"),
    ],
)
def test_any_change_gives_a_new_hash(change: dict[str, Any]) -> None:
    assert plan_with(**change).plan_hash != plan_with().plan_hash


def test_plan_hash_does_not_depend_on_key_order() -> None:
    objects = [{"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "a"}}]
    reordered = [{"metadata": {"name": "a"}, "apiVersion": "v1", "kind": "ConfigMap"}]
    plan = {"approval": "Manual", "rollback": "Automatic"}
    assert plan_hash("r", "d", objects, plan, "Enabled") == plan_hash(
        "r", "d", reordered, dict(reversed(plan.items())), "Enabled"
    )


def test_a_disabled_plan_scales_workloads_to_zero() -> None:
    plan = plan_with(state="Disabled")
    assert plan.objects[2]["spec"]["replicas"] == 0


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        pytest.param([], {"objects": 0, "seconds": 0}, id="an empty plan takes no time"),
        pytest.param(
            [("apps/v1", "Deployment"), ("apps/v1", "StatefulSet")],
            {"objects": 2, "seconds": 20},
            id="each workload takes ten seconds",
        ),
        pytest.param(
            [("v1", "ConfigMap"), ("v1", "Service"), ("batch/v1", "Job")],
            {"objects": 3, "seconds": 12},
            id="every other object takes one second",
        ),
    ],
)
def test_estimate(kinds: list[tuple[str, str]], expected: dict[str, int]) -> None:
    objects = [{"apiVersion": v, "kind": k, "metadata": {"name": "x"}} for v, k in kinds]
    assert estimate(objects) == expected


def refusing_render(_: dict[str, Any]) -> Sequence[Mapping[str, Any]]:
    raise RenderError(["manifest 0 (Deployment/web) at spec.replicas: parameter 'x' is not set"])


@pytest.mark.parametrize(
    ("change", "error", "reason", "fragment"),
    [
        pytest.param(
            {"parameters": {"replicas": 0}},
            PlanParameterError,
            "InvalidParameters",
            "spec.parameters.replicas",
            id="a parameter outside its schema names the field",
        ),
        pytest.param(
            {"render": refusing_render},
            PlanRenderError,
            "RenderFailed",
            "spec.replicas",
            id="a render error names the manifest and field",
        ),
        pytest.param(
            {
                "render": lambda _: [
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "evil"}}
                ]
            },
            PlanTenancyError,
            "TenancyViolation",
            "cluster-scoped",
            id="a cluster-scoped object is refused",
        ),
    ],
)
def test_plan_errors(
    change: dict[str, Any], error: type[PlanError], reason: str, fragment: str
) -> None:
    with pytest.raises(error) as caught:
        plan_with(**change)
    assert caught.value.reason == reason
    assert fragment in str(caught.value)
    assert caught.value.problems
