"""The Argo CD health checks (manifests/argocd/health/*.lua) run in a real Lua 5.1 interpreter
against objects captured from a real run (tests/data/status/), and the argocd-cm patch that
ships them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from it4it_operator.api.kinds import KINDS
from support import gitops

STATUS_DATA = Path(__file__).resolve().parents[2] / "data" / "status"
INDEX: list[dict[str, str]] = yaml.safe_load((STATUS_DATA / "index.yaml").read_text())

ARGOCD_STATUS = {
    "Ready": "Healthy",
    "InProgress": "Progressing",
    "Stalled": "Degraded",
    "Degraded": "Degraded",
    "Suspended": "Suspended",
}
"""What Argo CD must show for an object captured in each state (see tests/data/status/)."""


def captured(entry: dict[str, str]) -> dict[str, Any]:
    return dict(yaml.safe_load((STATUS_DATA / entry["file"]).read_text()))


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    return next((c for c in obj["status"].get("conditions", []) if c["type"] == type_), {})


@pytest.mark.parametrize(
    "entry", INDEX, ids=[f"{e['file']} captured {e['state']}: {e['why']}" for e in INDEX]
)
def test_argo_cd_shows_each_captured_object_as_its_state(entry: dict[str, str]) -> None:
    obj = captured(entry)
    status, message = gitops.health(entry["kind"], obj)
    assert status == ARGOCD_STATUS[entry["state"]], message
    assert message, "every verdict says why"
    if entry["state"] == "Stalled":
        assert condition(obj, "Stalled")["message"] in message, "the operator's own words"


def test_the_captures_cover_every_kind_healthy_and_not() -> None:
    kinds = {k.kind for k in KINDS}
    assert {e["kind"] for e in INDEX if e["state"] == "Ready"} == kinds
    assert {e["kind"] for e in INDEX if e["state"] != "Ready"} == kinds
    for state in ("InProgress", "Stalled"):
        assert any(e["state"] == state for e in INDEX), state


def test_a_degraded_and_a_suspended_instance_and_an_escalated_incident_are_captured() -> None:
    states = {(e["kind"], e["state"]) for e in INDEX}
    assert ("ActualProductInstance", "Degraded") in states
    assert ("ActualProductInstance", "Suspended") in states
    assert ("Incident", "Stalled") in states


def ready_object(kind: str, generation: int = 1, **status: Any) -> dict[str, Any]:
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": "x", "namespace": "shop", "generation": generation},
        "spec": {},
        "status": {
            "observedGeneration": 1,
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "Done", "message": "All good."}
            ],
            **status,
        },
    }


@pytest.mark.parametrize("kind", [k.kind for k in KINDS])
@pytest.mark.parametrize(
    "obj, words",
    [
        pytest.param(
            {"metadata": {"name": "x", "generation": 1}, "spec": {}},
            "observe",
            id="an object the operator has not seen yet is Progressing",
        ),
        pytest.param(
            ready_object("", generation=2),
            "generation 2",
            id="a spec change not observed yet is Progressing though Ready is still True",
        ),
    ],
)
def test_what_the_operator_has_not_observed_is_progressing(
    kind: str, obj: dict[str, Any], words: str
) -> None:
    status, message = gitops.health(kind, {**obj, "kind": kind})
    assert status == "Progressing"
    assert message and words in message


def test_an_open_p1_incident_says_p1_first() -> None:
    incident = ready_object("Incident", priority="P1", phase="Resolving")
    incident["status"]["conditions"] = [
        {"type": "Ready", "status": "False", "reason": "Resolving", "message": "Restarting."},
        {"type": "Reconciling", "status": "True", "reason": "Resolving", "message": "Restarting."},
    ]
    assert gitops.health("Incident", incident) == ("Progressing", "P1 Resolving: Restarting.")


@pytest.mark.parametrize("health", ["Degraded", "Missing"])
def test_an_instance_whose_workloads_are_unhealthy_is_degraded(health: str) -> None:
    apinst = ready_object("ActualProductInstance", health=health, release="guestbook-1.0.0")
    apinst["status"]["conditions"] = [
        {"type": "Ready", "status": "False", "reason": health, "message": f"It is {health}."}
    ]
    assert gitops.health("ActualProductInstance", apinst) == ("Degraded", f"It is {health}.")


def test_the_argocd_cm_patch_holds_exactly_the_lua_files_one_key_per_kind() -> None:
    assert gitops.PATCH.read_text() == gitops.render_patch(), "run `make argocd`"
    data = yaml.safe_load(gitops.PATCH.read_text())["data"]
    assert set(data) == {f"resource.customizations.health.it4it.dev_{k.kind}" for k in KINDS}
    assert {p.stem for p in gitops.HEALTH.glob("[A-Z]*.lua")} == {k.kind for k in KINDS}


def test_the_chart_ships_the_same_files() -> None:
    shipped = gitops.ROOT / "charts" / "it4it-operator" / "files" / "argocd"
    assert shipped.resolve() == gitops.ARGOCD.resolve(), "a symlink, never a copy"
