"""The plugin registry: built-ins load through entry points, like any third-party plugin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from typing import Any, cast

import pytest

from it4it_operator.plugins.builtin.health import DEPLOYMENT, KindAssessor, pod_health
from it4it_operator.plugins.builtin.inline import InlineRenderer
from it4it_operator.plugins.interfaces import HealthAssessor, Notifier, Renderer, RunbookAction
from it4it_operator.plugins.registry import (
    PluginError,
    PluginNotFoundError,
    load_plugins,
)

BUILTIN_HEALTH = {
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("batch", "Job"),
    ("", "Service"),
    ("", "PersistentVolumeClaim"),
    ("", "Pod"),
}


class RendererWithoutRender:
    plugin_type = "renderer"
    name = "x"


@dataclass
class FakeEntryPoint:
    """Stands in for importlib.metadata.EntryPoint in tests of broken plugins."""

    name: str
    loader: Callable[[], Any]
    value: str = "tests:fake"

    def load(self) -> Any:
        return self.loader()


def load(*points: FakeEntryPoint, disabled: tuple[str, ...] = ()) -> Any:
    return load_plugins(cast(list[EntryPoint], list(points)), disabled=disabled)


def test_the_builtins_load_through_entry_points() -> None:
    registry = load_plugins()
    assert isinstance(registry.renderer("inline"), Renderer)
    assert isinstance(registry.renderer("helm"), Renderer)
    assert isinstance(registry.runbook("Reapply"), RunbookAction)
    assert all(isinstance(n, Notifier) for n in registry.notifiers.values())
    assert "kubernetes-events" in registry.notifiers
    for group, kind in BUILTIN_HEALTH:
        assessor = registry.assessor_for(group, kind)
        assert isinstance(assessor, HealthAssessor)
        assert (group, kind) in assessor.kinds


def test_describe_lists_every_plugin_with_its_entry_point() -> None:
    rows = load_plugins().describe()
    assert [r.type for r in rows] == sorted(
        (r.type for r in rows), key=["renderer", "health", "runbook", "notifier"].index
    )
    deployment = next(r for r in rows if r.name == "deployment")
    assert deployment.handles == "apps/Deployment"
    assert deployment.source == "deployment = it4it_operator.plugins.builtin.health:DEPLOYMENT"
    assert {r.type for r in rows} == {"renderer", "health", "runbook", "notifier"}


@pytest.mark.parametrize(
    ("group", "kind", "obj", "health"),
    [
        pytest.param(
            "example.com",
            "Widget",
            {"metadata": {"name": "w"}},
            "Healthy",
            id="an unknown kind is healthy once it exists",
        ),
        pytest.param("apps", "Deployment", None, "Missing", id="an object that does not exist"),
        pytest.param(
            "apps",
            "Deployment",
            {"metadata": {"generation": 1}, "spec": {"replicas": 1}, "status": {}},
            "Progressing",
            id="a known kind goes to its assessor",
        ),
    ],
)
def test_assess(group: str, kind: str, obj: dict[str, Any] | None, health: str) -> None:
    assert load_plugins().assess(group, kind, obj).health == health


def test_an_unknown_renderer_lists_the_installed_ones() -> None:
    with pytest.raises(PluginNotFoundError, match=r"'kustomize' \(installed: helm, inline\)"):
        load_plugins().renderer("kustomize")


@pytest.mark.parametrize(
    ("points", "fragment"),
    [
        pytest.param(
            [FakeEntryPoint("odd", object)],
            "plugin_type None",
            id="an object without plugin_type is refused",
        ),
        pytest.param(
            [FakeEntryPoint("odd", RendererWithoutRender)],
            "lacks the methods of a renderer plugin",
            id="a renderer without render is refused",
        ),
        pytest.param(
            [FakeEntryPoint("a", InlineRenderer), FakeEntryPoint("b", InlineRenderer)],
            "renderer plugin 'inline' from b = tests:fake clashes with a = tests:fake",
            id="two plugins of one name clash",
        ),
        pytest.param(
            [
                FakeEntryPoint("a", lambda: DEPLOYMENT),
                FakeEntryPoint(
                    "b",
                    lambda: KindAssessor(
                        "rollouts", frozenset({("apps", "Deployment")}), pod_health
                    ),
                ),
            ],
            "claims apps/Deployment, which health plugin 'deployment' already handles",
            id="two assessors of one kind clash",
        ),
        pytest.param(
            [FakeEntryPoint("broken", lambda: 1 / 0)],
            "plugin broken = tests:fake failed to load: division by zero",
            id="a plugin that fails to import stops the operator",
        ),
    ],
)
def test_broken_plugins_are_named(points: list[FakeEntryPoint], fragment: str) -> None:
    with pytest.raises(PluginError) as caught:
        load(*points)
    assert fragment in str(caught.value)


def test_a_disabled_plugin_makes_room_for_a_replacement() -> None:
    rollouts = KindAssessor("rollouts", frozenset({("apps", "Deployment")}), pod_health)
    registry = load(
        FakeEntryPoint("deployment", lambda: DEPLOYMENT),
        FakeEntryPoint("rollouts", lambda: rollouts),
        disabled=("deployment",),
    )
    assert registry.assessor_for("apps", "Deployment") is rollouts
