"""The Playbook course of action: a release's own Ansible runbook for one of its known defects.

Product teams ship runbooks with the release (ProductRelease spec.runbooks) and point a known
defect at one (knownDefects[].runbook, with courseOfAction Playbook). This plugin finds the
runbook for the incident's known error and plans one "playbook" step; the Operate controller runs
it with `controllers.operate.playbook.run_playbook` and records the result. Planning stays pure:
the playbook text is only parsed here, never run.

What plan() reads:
- incident metadata.name and status.attempts (for the description only);
- incident status.knownError: the defect id, as a string ("GB-17") or an object ({id: GB-17});
- incident["release"]: the ProductRelease spec, added by the controller before it calls plan():
  its knownDefects ({id, runbook}) and runbooks ({name, playbook, timeoutSeconds});
- the instance's metadata (namespace, name), status.release and status.resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from it4it_operator.plugins.builtin.runbooks.steps import (
    attempt,
    incident_name,
    instance_ref,
    resources,
)

DEFAULT_TIMEOUT_SECONDS = 300
"""How long a runbook may run when it does not say (runbooks[].timeoutSeconds)."""


def known_error_id(incident: Mapping[str, Any]) -> str | None:
    """The id in incident status.knownError, a string or an object with an `id`."""
    known = (incident.get("status") or {}).get("knownError")
    if isinstance(known, Mapping):
        known = known.get("id")
    return str(known) if known else None


def find_runbook(incident: Mapping[str, Any]) -> dict[str, Any]:
    """The runbook ({name, playbook, timeoutSeconds}) for the incident's known error.

    ValueError, with a sentence naming what is missing, when the incident has no known error,
    the release lacks the defect, the defect names no runbook, or the runbook is not there.
    """
    name = incident_name(incident)
    defect_id = known_error_id(incident)
    if defect_id is None:
        raise ValueError(f"incident {name} names no known error, so it has no runbook to run")
    release = incident.get("release") or {}
    defect = next(
        (d for d in release.get("knownDefects") or [] if str(d.get("id")) == defect_id), None
    )
    if defect is None:
        raise ValueError(
            f"the release has no known defect {defect_id}, the known error of incident {name}"
        )
    runbook_name = defect.get("runbook")
    if not runbook_name:
        raise ValueError(f"known defect {defect_id} names no runbook for its Playbook")
    runbook = next(
        (r for r in release.get("runbooks") or [] if r.get("name") == runbook_name), None
    )
    if runbook is None:
        raise ValueError(
            f"runbook {runbook_name}, named by known defect {defect_id}, is not among the "
            "release's runbooks"
        )
    return dict(runbook)


def _checked_playbook(runbook: Mapping[str, Any]) -> str:
    """The runbook's playbook text, refused early unless it is a YAML list of plays."""
    text = runbook.get("playbook")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"runbook {runbook['name']} has no playbook")
    try:
        plays = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(
            f"runbook {runbook['name']} has a playbook that is not YAML: {exc}"
        ) from exc
    if not isinstance(plays, list) or not all(isinstance(p, dict) for p in plays):
        raise ValueError(f"runbook {runbook['name']} has a playbook that is not a list of plays")
    return text


def _timeout(runbook: Mapping[str, Any]) -> int:
    value = runbook.get("timeoutSeconds")
    if value is None:
        return DEFAULT_TIMEOUT_SECONDS
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"runbook {runbook['name']} has a timeoutSeconds that is not positive")
    return value


@dataclass(frozen=True)
class Playbook:
    """Run the release's Ansible runbook for the incident's known error."""

    plugin_type: Literal["runbook"] = "runbook"
    name: str = "Playbook"

    def plan(
        self, incident: Mapping[str, Any], instance: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        runbook = find_runbook(incident)
        target = instance_ref(instance)
        extravars = {
            "namespace": target["namespace"],
            "instance": target["name"],
            "release": (instance.get("status") or {}).get("release"),
            "objects": [
                {"kind": o.get("kind"), "name": o.get("name")} for o in resources(instance)
            ],
        }
        return [
            {
                "target": target,
                "playbook": {
                    "runbook": runbook["name"],
                    "playbook": _checked_playbook(runbook),
                    "timeoutSeconds": _timeout(runbook),
                    "extravars": extravars,
                },
                "description": f"run runbook {runbook['name']} on {target['name']} to resolve "
                f"incident {incident_name(incident)} (attempt {attempt(incident)})",
            }
        ]
