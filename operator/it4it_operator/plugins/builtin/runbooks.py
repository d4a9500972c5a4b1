"""Built-in runbook actions for the Operate value stream.

An incident's course of action names a runbook; the action plans the patches that resolve it and
the handler applies them. Only "Reapply" is built in so far: it asks the instance's controller to
apply the planned objects again, which undoes drift such as a deleted Service or an edited
Deployment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

REAPPLY_ANNOTATION = "it4it.dev/reapply"
"""Set on the ActualProductInstance; its controller re-applies the plan when the value changes."""


@dataclass(frozen=True)
class Reapply:
    """Re-apply the instance's planned objects."""

    plugin_type: Literal["runbook"] = "runbook"
    name: str = "Reapply"

    def plan(
        self, incident: Mapping[str, Any], instance: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        meta = instance.get("metadata") or {}
        incident_name = (incident.get("metadata") or {}).get("name", "")
        return [
            {
                "target": {
                    "apiVersion": instance.get("apiVersion"),
                    "kind": instance.get("kind"),
                    "namespace": meta.get("namespace"),
                    "name": meta.get("name"),
                },
                "patch": {"metadata": {"annotations": {REAPPLY_ANNOTATION: incident_name}}},
                "description": f"re-apply the planned objects of {meta.get('name')} "
                f"to resolve incident {incident_name}",
            }
        ]


PLUGIN = Reapply()
