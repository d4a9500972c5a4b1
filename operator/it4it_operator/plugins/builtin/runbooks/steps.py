"""What every built-in runbook action reads from an incident and an instance, and the step shape.

Steps must be deterministic: the Operate controller may crash after applying a step and plan the
same attempt again, so a plan depends only on the incident's name, its attempt number and the
instance, never on the clock. A request annotation carries "<incident>/<attempt>": the same
attempt patches the same value (nothing changes on a re-run), the next attempt a new one (a new
request to the controller that carries it out).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from it4it_operator import API_VERSION


def incident_name(incident: Mapping[str, Any]) -> str:
    """The incident's metadata.name; ValueError when it has none (a step must name its cause)."""
    name = (incident.get("metadata") or {}).get("name")
    if not name:
        raise ValueError("the incident has no metadata.name, so no step can name its cause")
    return str(name)


def attempt(incident: Mapping[str, Any]) -> int:
    """The attempt the controller is making: incident status.attempts (0 before the first).

    A list (one entry per attempt) counts as its length, so either shape of the field works.
    """
    attempts = (incident.get("status") or {}).get("attempts")
    if isinstance(attempts, list):
        return len(attempts)
    try:
        return int(attempts or 0)
    except (TypeError, ValueError):
        return 0


def request(incident: Mapping[str, Any]) -> str:
    """The value of a request annotation: "<incident>/<attempt>"."""
    return f"{incident_name(incident)}/{attempt(incident)}"


def instance_ref(instance: Mapping[str, Any]) -> dict[str, Any]:
    """The step target naming the ActualProductInstance itself."""
    meta = instance.get("metadata") or {}
    return {
        "apiVersion": instance.get("apiVersion") or API_VERSION,
        "kind": instance.get("kind") or "ActualProductInstance",
        "namespace": meta.get("namespace"),
        "name": meta.get("name"),
    }


def desired_ref(instance: Mapping[str, Any]) -> dict[str, Any]:
    """The step target naming the instance's DesiredProductInstance: spec.desiredInstance when
    set, else the instance's own name, in the instance's namespace."""
    meta = instance.get("metadata") or {}
    name = (instance.get("spec") or {}).get("desiredInstance") or meta.get("name")
    return {
        "apiVersion": API_VERSION,
        "kind": "DesiredProductInstance",
        "namespace": meta.get("namespace"),
        "name": name,
    }


def annotate(target: dict[str, Any], key: str, value: str, description: str) -> dict[str, Any]:
    """A step that sets one annotation on `target` with a JSON merge patch."""
    return {
        "target": target,
        "patch": {"metadata": {"annotations": {key: value}}},
        "description": description,
    }


def resources(instance: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The applied objects of the instance (status.resources), in their recorded order."""
    return list((instance.get("status") or {}).get("resources") or [])
