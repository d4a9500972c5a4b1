"""The built-in runbook actions: pure, deterministic plans for each course of action."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from it4it_operator.plugins.builtin.runbooks import (
    PLAYBOOK,
    REAPPLY,
    REAPPLY_ANNOTATION,
    RESTART,
    RESTARTED_AT_ANNOTATION,
    ROLLBACK,
    ROLLBACK_ANNOTATION,
    SCALE,
    SCALE_ANNOTATION,
)
from it4it_operator.plugins.builtin.runbooks.playbook import DEFAULT_TIMEOUT_SECONDS
from it4it_operator.plugins.interfaces import RunbookAction
from it4it_operator.plugins.registry import load_plugins

PLAYBOOK_YAML = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.debug: {var: objects}
"""
RELEASE_SPEC = {
    "product": "guestbook",
    "version": "1.1.0",
    "knownDefects": [
        {"id": "GB-17", "summary": "cache wedges", "courseOfAction": "Playbook",
         "runbook": "restart-cache"},
        {"id": "GB-18", "summary": "no runbook", "courseOfAction": "Playbook"},
        {"id": "GB-19", "summary": "lost runbook", "runbook": "flush-queue"},
    ],
    "runbooks": [
        {"name": "restart-cache", "playbook": PLAYBOOK_YAML, "timeoutSeconds": 120},
        {"name": "no-timeout", "playbook": PLAYBOOK_YAML},
    ],
}  # fmt: skip
ALL = [RESTART, ROLLBACK, SCALE, REAPPLY, PLAYBOOK]


def instance(**status: Any) -> dict[str, Any]:
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "ActualProductInstance",
        "metadata": {"name": "my-guestbook", "namespace": "shop"},
        "spec": {"desiredInstance": "my-guestbook"},
        "status": {
            "release": "guestbook-1.1.0",
            "resources": [
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "web-config", "uid": "u1"},
                {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "u2",
                 "health": "Degraded"},
                {"apiVersion": "v1", "kind": "Service", "name": "web", "uid": "u3"},
                {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "cache", "uid": "u4"},
                {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": "u5"},
            ],
        } | status,
    }  # fmt: skip


def incident(attempts: Any = 1, known_error: Any = "GB-17", **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "Incident",
        "metadata": {"name": "inc-1", "namespace": "shop"},
        "spec": {"instance": "my-guestbook", "summary": "pods fail"},
        "status": {"attempts": attempts, "knownError": known_error, "courseOfAction": "Restart"},
        "release": copy.deepcopy(RELEASE_SPEC),
    } | extra


APINST = {
    "apiVersion": "it4it.dev/v1alpha1",
    "kind": "ActualProductInstance",
    "namespace": "shop",
    "name": "my-guestbook",
}
DPI = {
    "apiVersion": "it4it.dev/v1alpha1",
    "kind": "DesiredProductInstance",
    "namespace": "shop",
    "name": "my-guestbook",
}


def test_each_course_of_action_is_its_own_entry_point() -> None:
    registry = load_plugins()
    for entry, name in [
        ("restart", "Restart"),
        ("rollback", "Rollback"),
        ("scale", "Scale"),
        ("reapply", "Reapply"),
        ("playbook", "Playbook"),
    ]:
        assert isinstance(registry.runbook(name), RunbookAction)
        assert registry.sources["runbook", name].startswith(f"{entry} = ")


@pytest.mark.parametrize("action", ALL, ids=lambda a: a.name)
def test_the_same_attempt_plans_the_same_steps_without_touching_its_inputs(
    action: RunbookAction,
) -> None:
    inc, inst = incident(), instance()
    before = (copy.deepcopy(inc), copy.deepcopy(inst))
    steps = action.plan(inc, inst)
    assert steps == action.plan(copy.deepcopy(inc), copy.deepcopy(inst))
    assert (inc, inst) == before
    for step in steps:
        assert set(step["target"]) == {"apiVersion", "kind", "namespace", "name"}
        assert step["description"]
        assert ("patch" in step) != ("playbook" in step)


@pytest.mark.parametrize("action", [RESTART, SCALE, REAPPLY], ids=lambda a: a.name)
def test_the_next_attempt_is_a_new_request(action: RunbookAction) -> None:
    assert action.plan(incident(attempts=1), instance()) != action.plan(
        incident(attempts=2), instance()
    )


def test_restart_rolls_the_pods_of_every_workload() -> None:
    steps = RESTART.plan(incident(attempts=2), instance())
    assert [(s["target"]["kind"], s["target"]["name"]) for s in steps] == [
        ("Deployment", "web"),
        ("StatefulSet", "cache"),
        ("DaemonSet", "agent"),
    ]
    assert steps[0]["target"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "namespace": "shop",
        "name": "web",
    }
    assert steps[0]["patch"] == {
        "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT_ANNOTATION: "inc-1/2"}}}}
    }


def test_restart_without_workloads_names_the_instance() -> None:
    only_config = instance(resources=[{"apiVersion": "v1", "kind": "ConfigMap", "name": "c"}])
    with pytest.raises(ValueError, match="instance my-guestbook has no Deployment"):
        RESTART.plan(incident(), only_config)


def test_rollback_asks_the_deploy_controller() -> None:
    (step,) = ROLLBACK.plan(incident(attempts=3), instance())
    assert step["target"] == DPI
    assert step["patch"] == {"metadata": {"annotations": {ROLLBACK_ANNOTATION: "inc-1"}}}


def test_rollback_follows_the_desired_instance_the_actual_one_names() -> None:
    inst = instance()
    inst["spec"] = {"desiredInstance": "other"}
    (step,) = ROLLBACK.plan(incident(), inst)
    assert step["target"] == DPI | {"name": "other"}


def test_scale_asks_the_deploy_controller_for_one_more_replica() -> None:
    (step,) = SCALE.plan(incident(attempts=2), instance())
    assert step["target"] == DPI
    assert step["patch"] == {"metadata": {"annotations": {SCALE_ANNOTATION: "inc-1/2"}}}


@pytest.mark.parametrize(
    ("attempts", "value"),
    [
        pytest.param(2, "inc-1/2", id="attempts as a count"),
        pytest.param([{"action": "Reapply"}], "inc-1/1", id="attempts as a list counts entries"),
        pytest.param(None, "inc-1/0", id="no attempt recorded yet is attempt zero"),
    ],
)
def test_reapply_annotates_the_instance_per_attempt(attempts: Any, value: str) -> None:
    (step,) = REAPPLY.plan(incident(attempts=attempts), instance())
    assert step["target"] == APINST
    assert step["patch"] == {"metadata": {"annotations": {REAPPLY_ANNOTATION: value}}}


def test_a_step_needs_the_incident_name() -> None:
    with pytest.raises(ValueError, match=r"no metadata\.name"):
        REAPPLY.plan({"status": {"attempts": 1}}, instance())


@pytest.mark.parametrize(
    "known_error",
    [
        pytest.param("GB-17", id="the known error as an id"),
        pytest.param({"id": "GB-17", "workaround": "restart"}, id="the known error as an object"),
    ],
)
def test_playbook_runs_the_runbook_of_the_known_defect(known_error: Any) -> None:
    (step,) = PLAYBOOK.plan(incident(known_error=known_error), instance())
    assert step["target"] == APINST
    assert "patch" not in step
    assert step["playbook"] == {
        "runbook": "restart-cache",
        "playbook": PLAYBOOK_YAML,
        "timeoutSeconds": 120,
        "extravars": {
            "namespace": "shop",
            "instance": "my-guestbook",
            "release": "guestbook-1.1.0",
            "objects": [
                {"kind": "ConfigMap", "name": "web-config"},
                {"kind": "Deployment", "name": "web"},
                {"kind": "Service", "name": "web"},
                {"kind": "StatefulSet", "name": "cache"},
                {"kind": "DaemonSet", "name": "agent"},
            ],
        },
    }


def test_a_runbook_without_timeout_gets_the_default() -> None:
    inc = incident()
    inc["release"]["knownDefects"][0]["runbook"] = "no-timeout"
    (step,) = PLAYBOOK.plan(inc, instance())
    assert step["playbook"]["timeoutSeconds"] == DEFAULT_TIMEOUT_SECONDS


def _runbook(**changes: Any) -> dict[str, Any]:
    inc = incident()
    inc["release"]["runbooks"][0].update(changes)
    return inc


@pytest.mark.parametrize(
    ("inc", "fragment"),
    [
        pytest.param(
            incident(known_error="GB-19"),
            "runbook flush-queue, named by known defect GB-19, is not among the release's runbooks",
            id="a missing runbook is named",
        ),
        pytest.param(
            incident(known_error=None),
            "incident inc-1 names no known error",
            id="an incident without a known error has no runbook",
        ),
        pytest.param(
            incident(known_error="GB-99"),
            "the release has no known defect GB-99",
            id="a known error the release does not list",
        ),
        pytest.param(
            incident(known_error="GB-18"),
            "known defect GB-18 names no runbook",
            id="a known defect without a runbook",
        ),
        pytest.param(
            incident(release={}),
            "the release has no known defect GB-17",
            id="the controller passed no release",
        ),
        pytest.param(
            _runbook(playbook="hosts: all"),
            "runbook restart-cache has a playbook that is not a list of plays",
            id="a playbook that is not a list of plays",
        ),
        pytest.param(
            _runbook(playbook="- [unclosed"),
            "runbook restart-cache has a playbook that is not YAML",
            id="a playbook that is not YAML",
        ),
        pytest.param(
            _runbook(playbook=""),
            "runbook restart-cache has no playbook",
            id="an empty playbook",
        ),
        pytest.param(
            _runbook(timeoutSeconds=0),
            "runbook restart-cache has a timeoutSeconds that is not positive",
            id="a timeout that is not positive",
        ),
    ],
)
def test_playbook_refuses_what_it_cannot_run(inc: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError) as caught:
        PLAYBOOK.plan(inc, instance())
    assert fragment in str(caught.value)
