"""The Kubernetes-native courses of action: Restart, Rollback, Scale and Reapply.

Resolve Issue (IT4IT 5.7.4): "collaborate on the execution of the course of action (e.g., a
Pipeline or Runbook)". Restart patches the workloads directly, as `kubectl rollout restart` does.
The others hand the change to the controller that owns it, through a request annotation, so a
rollback or a scale-out is planned, recorded and observed like any other deployment, and a
re-applied plan is the plan the instance already has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from it4it_operator.plugins.builtin.runbooks.steps import (
    annotate,
    desired_ref,
    incident_name,
    instance_ref,
    request,
    resources,
)

RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt"
"""Set on a workload's pod template; a new value rolls its pods, as `kubectl rollout restart`."""
ROLLBACK_ANNOTATION = "it4it.dev/rollback"
"""Set on the DesiredProductInstance (value: the incident); the Deploy controller rolls back to
the good release before the one in place (status.previousKnownGood), and plans, records and
observes the rollback like any deployment."""
SCALE_ANNOTATION = "it4it.dev/scale"
"""Set on the DesiredProductInstance (value: "<incident>/<attempt>"); the Deploy controller raises
the `replicas` parameter by one for each new value, within the bounds of the release's parameter
schema (the plugin cannot read the schema: the controller enforces the bound)."""
REAPPLY_ANNOTATION = "it4it.dev/reapply"
"""Set on the ActualProductInstance (value: "<incident>/<attempt>"); its controller re-applies the
plan when the value changes."""

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
"""The kinds with a pod template that Restart rolls (API group apps)."""


def _namespace(instance: Mapping[str, Any]) -> Any:
    return (instance.get("metadata") or {}).get("namespace")


def _instance_name(instance: Mapping[str, Any]) -> Any:
    return (instance.get("metadata") or {}).get("name")


@dataclass(frozen=True)
class Restart:
    """Roll the pods of every Deployment, StatefulSet and DaemonSet of the instance."""

    plugin_type: Literal["runbook"] = "runbook"
    name: str = "Restart"

    def plan(
        self, incident: Mapping[str, Any], instance: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        value = request(incident)
        steps = []
        for obj in resources(instance):
            api_version = str(obj.get("apiVersion") or "")
            if obj.get("kind") not in WORKLOAD_KINDS or not api_version.startswith("apps/"):
                continue
            target = {
                "apiVersion": api_version,
                "kind": obj["kind"],
                "namespace": _namespace(instance),
                "name": obj.get("name"),
            }
            steps.append(
                {
                    "target": target,
                    "patch": {
                        "spec": {
                            "template": {
                                "metadata": {"annotations": {RESTARTED_AT_ANNOTATION: value}}
                            }
                        }
                    },
                    "description": f"restart the pods of {obj['kind']} {obj.get('name')} "
                    f"to resolve incident {incident_name(incident)}",
                }
            )
        if not steps:
            raise ValueError(
                f"instance {_instance_name(instance)} has no Deployment, StatefulSet or "
                "DaemonSet in status.resources, so there is nothing to restart"
            )
        return steps


@dataclass(frozen=True)
class Rollback:
    """Ask the Deploy controller to roll the instance back to its previous known good release."""

    plugin_type: Literal["runbook"] = "runbook"
    name: str = "Rollback"

    def plan(
        self, incident: Mapping[str, Any], instance: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        name = incident_name(incident)
        target = desired_ref(instance)
        return [
            annotate(
                target,
                ROLLBACK_ANNOTATION,
                name,
                f"roll {target['name']} back to its previous known good release "
                f"to resolve incident {name}",
            )
        ]


@dataclass(frozen=True)
class Scale:
    """Ask the Deploy controller for one more replica, within the release's parameter bounds."""

    plugin_type: Literal["runbook"] = "runbook"
    name: str = "Scale"

    def plan(
        self, incident: Mapping[str, Any], instance: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        target = desired_ref(instance)
        return [
            annotate(
                target,
                SCALE_ANNOTATION,
                request(incident),
                f"raise the replicas of {target['name']} by one (within the release's "
                f"parameter schema) to resolve incident {incident_name(incident)}",
            )
        ]


@dataclass(frozen=True)
class Reapply:
    """Re-apply the instance's planned objects, which undoes drift such as a deleted Service."""

    plugin_type: Literal["runbook"] = "runbook"
    name: str = "Reapply"

    def plan(
        self, incident: Mapping[str, Any], instance: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        return [
            annotate(
                instance_ref(instance),
                REAPPLY_ANNOTATION,
                request(incident),
                f"re-apply the planned objects of {_instance_name(instance)} "
                f"to resolve incident {incident_name(incident)}",
            )
        ]
