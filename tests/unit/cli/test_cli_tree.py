"""`it4it status`: the tree from a Subscription to its workloads, built from captured objects."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from it4it_operator.cli.trace import TargetError, parse_target
from it4it_operator.cli.tree import (
    format_tree,
    instance_tree,
    ready_node,
    resource_node,
    subscription_tree,
)

DATA = Path(__file__).parents[2] / "data" / "cli"


def captured(name: str) -> dict[str, Any]:
    return dict(json.loads((DATA / f"{name}.json").read_text()))


def incident(name: str, phase: str, *, instance: str = "mine") -> dict[str, Any]:
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "Incident",
        "metadata": {"name": name, "namespace": "shop", "generation": 1},
        "spec": {"instance": instance, "summary": "pods keep failing"},
        "status": {
            "phase": phase,
            "priority": "P2",
            "symptom": "PodFailed",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if phase in ("Resolved", "Closed") else "False",
                    "reason": phase,
                    "message": "...",
                    "observedGeneration": 1,
                }
            ],
        },
    }


def ready_chain(incidents: list[dict[str, Any]] | None = None) -> Any:
    actual = captured("ready-apinst")
    return subscription_tree(
        captured("ready-sub"), [captured("ready-dpi")], {"mine": actual}, incidents or []
    )


def test_a_ready_subscription_is_traced_to_its_deployment() -> None:
    tree = ready_chain()
    assert (tree.kind, tree.name, tree.ready) == ("Subscription", "mine", "True")
    (dpi,) = tree.children
    (actual,) = dpi.children
    assert (dpi.kind, dpi.ready, actual.kind, actual.ready) == (
        "DesiredProductInstance",
        "True",
        "ActualProductInstance",
        "True",
    )
    assert {(c.kind, c.name, c.ready, c.reason) for c in actual.children} == {
        ("ConfigMap", "mine-config", "True", "Healthy"),
        ("Service", "mine-web", "True", "Healthy"),
        ("Deployment", "mine-web", "True", "Healthy"),
    }


def test_the_table_draws_the_tree_with_ready_reason_and_message() -> None:
    lines = format_tree(ready_chain()).splitlines()
    assert lines[0].split() == ["NAME", "READY", "REASON", "MESSAGE"]
    assert lines[1].startswith("Subscription/mine ")
    assert lines[2].startswith("└─ DesiredProductInstance/mine ")
    assert lines[3].startswith("   └─ ActualProductInstance/mine ")
    assert lines[-1].startswith("      └─ Deployment/mine-web ")
    assert "1 of 1 replicas available" in lines[-1]
    assert any(line.startswith("      ├─ ConfigMap/mine-config ") for line in lines)


def test_a_plan_awaiting_approval_says_how_to_approve_it_with_the_plugin() -> None:
    tree = subscription_tree(captured("awaiting-sub"), [captured("awaiting-dpi")], {}, [])
    assert tree.ready == "False"
    (dpi,) = tree.children
    assert (dpi.ready, dpi.reason) == ("False", "AwaitingApproval")
    assert dpi.message.endswith("kubectl it4it approve mine -n shop")
    assert "echo" not in dpi.message
    (actual,) = dpi.children
    assert (actual.kind, actual.name, actual.ready, actual.reason) == (
        "ActualProductInstance",
        "mine",
        "False",
        "NotFound",
    )


def test_open_incidents_of_the_instance_hang_below_it_resolved_ones_do_not() -> None:
    tree = ready_chain(
        [
            incident("mine-podfailed", "Resolving"),
            incident("mine-old", "Resolved"),
            incident("other-podfailed", "Resolving", instance="other"),
        ]
    )
    actual = tree.children[0].children[0]
    found = [c for c in actual.children if c.kind == "Incident"]
    assert [(c.name, c.ready, c.reason, c.message) for c in found] == [
        ("mine-podfailed", "False", "Resolving", "P2 pods keep failing")
    ]
    assert format_tree(tree).splitlines()[-1].startswith("      └─ Incident/mine-podfailed ")


def test_a_ready_condition_of_an_older_generation_is_not_trusted() -> None:
    sub = captured("ready-sub")
    sub["metadata"]["generation"] = 2
    node = ready_node(sub)
    assert (node.ready, node.reason) == ("Unknown", "Reconciling")
    assert "generation 1" in node.message and "generation 2" in node.message


def test_an_object_the_operator_has_not_seen_yet_is_unknown() -> None:
    fresh = {"kind": "Subscription", "metadata": {"name": "new", "namespace": "shop"}}
    node = ready_node(fresh)
    assert (node.ready, node.reason) == ("Unknown", "NotObserved")


def test_a_bundle_subscription_lists_each_instance_by_name() -> None:
    second = copy.deepcopy(captured("ready-dpi"))
    second["metadata"]["name"] = "mine-db"
    second["status"]["actual"] = "mine-db"
    tree = subscription_tree(
        captured("ready-sub"),
        [captured("ready-dpi"), second],
        {"mine": captured("ready-apinst")},
        [],
    )
    assert [c.name for c in tree.children] == ["mine", "mine-db"]
    assert tree.children[1].children[0].reason == "NotFound"


def test_an_instance_tree_starts_at_the_desired_instance() -> None:
    tree = instance_tree(captured("ready-dpi"), {"mine": captured("ready-apinst")}, [])
    assert (tree.kind, tree.ready) == ("DesiredProductInstance", "True")
    assert tree.to_dict()["children"][0]["kind"] == "ActualProductInstance"


@pytest.mark.parametrize(
    "health, ready",
    [
        pytest.param("Healthy", "True", id="healthy is ready"),
        pytest.param("Progressing", "False", id="progressing is not ready yet"),
        pytest.param("Degraded", "False", id="degraded is not ready"),
        pytest.param(None, "Unknown", id="not assessed is unknown"),
    ],
)
def test_a_workload_is_ready_when_the_operator_assessed_it_healthy(
    health: str | None, ready: str
) -> None:
    node = resource_node({"kind": "Deployment", "name": "web", "health": health}, "shop")
    assert node.ready == ready


@pytest.mark.parametrize(
    "words, expected",
    [
        pytest.param(["sub/mine"], ("Subscription", "mine"), id="sub/NAME"),
        pytest.param(["subscription.it4it.dev/mine"], ("Subscription", "mine"), id="full name"),
        pytest.param(["dpi", "mine"], ("DesiredProductInstance", "mine"), id="KIND NAME"),
        pytest.param(["DPI/mine"], ("DesiredProductInstance", "mine"), id="any case"),
    ],
)
def test_the_target_is_named_as_kubectl_names_objects(
    words: list[str], expected: tuple[str, str]
) -> None:
    assert parse_target(words) == expected


@pytest.mark.parametrize(
    "words",
    [
        pytest.param(["mine"], id="a name without a kind"),
        pytest.param(["deployment/web"], id="a kind the chain does not start at"),
        pytest.param(["sub/"], id="a kind without a name"),
    ],
)
def test_a_target_that_names_no_chain_is_a_usage_error(words: list[str]) -> None:
    with pytest.raises(TargetError):
        parse_target(words)
