"""Carry out one attempt of an incident's course of action through its runbook plugin.

The plugin (looked up by the course of action's name in the plugin registry: the core names no
concrete plugin) plans the steps; this module applies them: a JSON merge patch on the target
object, or an Ansible playbook run with ansible-runner whose events go into the incident's
timeline. What happened is recorded in status.actions and the timeline. A step the API server
refuses, or a plan the plugin cannot make, is a Failed action: the resolve stage then waits for
its backoff and tries again or escalates.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from it4it_operator import GROUP
from it4it_operator.controllers.operate.playbook import run_playbook
from it4it_operator.k8s.errors import ApiError
from it4it_operator.plugins.registry import PluginError
from it4it_operator.stages.deploy.deployer import deployer_user
from it4it_operator.stages.release.wire import format_time

if TYPE_CHECKING:
    from it4it_operator.controllers.operate.incidents import Pass

log = logging.getLogger(__name__)
ACTIONS_LIMIT = 20


def execute(p: Pass, action: str) -> None:
    """Run attempt `status.attempts` of `action` for the incident of pass `p`."""
    started = p.ctx.clock()
    incident = {**p.incident, "status": p.status, "release": (p.release() or {}).get("spec") or {}}
    try:
        plugin = p.ctx.plugins.runbook(action)
        steps = plugin.plan(incident, p.actual or {})
        results = [_step(p, step) for step in steps]
        failed = [r for r in results if r[0] != "Succeeded"]
        result, message = failed[0] if failed else ("Succeeded", "; ".join(r[1] for r in results))
    except (PluginError, ValueError, ApiError) as exc:
        result, message = "Failed", str(exc)
    record = {
        "action": action,
        "startedAt": format_time(started),
        "finishedAt": format_time(p.ctx.clock()),
        "result": result,
        "message": message[:4096],
    }
    p.w.update(actions=[*(p.status.get("actions") or []), record][-ACTIONS_LIMIT:])
    p.log(f"Action{result}", f"{action}: {message}")
    kind = "Normal" if result == "Succeeded" else "Warning"
    p.w.event(kind, f"Remediation{result}", f"{action}: {message}")


def _step(p: Pass, step: dict[str, Any]) -> tuple[str, str]:
    target = step["target"]
    if "playbook" in step:
        return _playbook(p, step["playbook"])
    ref = {
        "apiVersion": target["apiVersion"],
        "kind": target["kind"],
        "metadata": {"name": target["name"], "namespace": target.get("namespace")},
    }
    # A release's own objects are patched as the tenant's deployer; our kinds as the operator.
    ours = str(target["apiVersion"]).startswith(f"{GROUP}/")
    kube = p.ctx.kube if ours or not target.get("namespace") else p.ctx.tenant(target["namespace"])
    kube.patch(ref, step["patch"])
    return "Succeeded", str(step.get("description") or f"patched {target['kind']} {target['name']}")


def _playbook(p: Pass, run: dict[str, Any]) -> tuple[str, str]:
    """An Ansible runbook, its task events streamed into the incident's timeline."""

    def on_event(event: dict[str, Any]) -> None:
        task = event.get("task") or ""
        said = event.get("message") or ""
        p.log(str(event.get("event") or "Playbook"), f"{task}: {said}".strip(": "))

    result = run_playbook(
        run["playbook"],
        run.get("extravars") or {},
        timeout=float(run.get("timeoutSeconds") or 300),
        on_event=on_event,
        kubeconfig=os.environ.get("KUBECONFIG"),
        impersonate=deployer_user(p.incident["metadata"]["namespace"], p.ctx.settings.deployer),
    )
    return result.status, f"runbook {run.get('runbook')}: {result.message}"
