"""The chain from a Subscription down to what runs, as a tree of Ready nodes (`it4it status`).

Subscription -> its DesiredProductInstances (label it4it.dev/subscription) -> each one's
ActualProductInstance (status.actual, else the same name) -> the objects it applied
(status.resources, with the health the operator assessed) and its open Incidents. Like
`crossplane beta trace` or `kubectl tree`: one line per object with its Ready status, reason and
message, so the node that holds the chain up is visible at a glance. Pure functions over the
objects as the API server returns them (dicts), so they are tested without a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from it4it_operator.cli.common import condition

TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"
AWAITING_APPROVAL = "AwaitingApproval"
DONE_PHASES = frozenset({"Resolved", "Closed"})
HEALTH_READY = {"Healthy": TRUE, "Progressing": FALSE, "Degraded": FALSE, "Missing": FALSE}


@dataclass
class Node:
    """One object of the chain: what it is, whether it is Ready, why, and what hangs below."""

    kind: str
    name: str
    ready: str
    reason: str = ""
    message: str = ""
    namespace: str | None = None
    children: list[Node] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "ready": self.ready,
            "reason": self.reason,
            "message": self.message,
            "children": [c.to_dict() for c in self.children],
        }


def ready_node(obj: Mapping[str, Any]) -> Node:
    """A node from an it4it object's Ready condition; a condition written for an older
    generation is not trusted (Unknown, Reconciling), as kstatus reads it."""
    meta = obj.get("metadata") or {}
    ready = condition(obj, "Ready")
    node = Node(
        kind=str(obj.get("kind") or ""),
        name=str(meta.get("name") or ""),
        namespace=meta.get("namespace"),
        ready=str(ready.get("status") or UNKNOWN),
        reason=str(ready.get("reason") or ("" if ready else "NotObserved")),
        message=str(ready.get("message") or ("" if ready else "The operator has not reported.")),
    )
    generation, observed = meta.get("generation"), ready.get("observedGeneration")
    if ready and generation is not None and observed is not None and observed < generation:
        node.ready, node.reason = UNKNOWN, "Reconciling"
        node.message = (
            f"Ready was reported for generation {observed}; the object is at generation "
            f"{generation}."
        )
    return node


def missing_node(kind: str, name: str, namespace: str | None, why: str) -> Node:
    return Node(kind, name, FALSE, "NotFound", why, namespace)


def resource_node(resource: Mapping[str, Any], namespace: str | None) -> Node:
    """An applied object from the ActualProductInstance's inventory and its assessed health."""
    health = str(resource.get("health") or "")
    return Node(
        kind=str(resource.get("kind") or ""),
        name=str(resource.get("name") or ""),
        namespace=namespace,
        ready=HEALTH_READY.get(health, UNKNOWN),
        reason=health or "NotAssessed",
        message=str(resource.get("message") or ""),
    )


def is_open(incident: Mapping[str, Any]) -> bool:
    return (incident.get("status") or {}).get("phase") not in DONE_PHASES


def incident_node(incident: Mapping[str, Any]) -> Node:
    """An open Incident: its phase as the reason, priority and summary as the message."""
    node = ready_node(incident)
    status = incident.get("status") or {}
    spec = incident.get("spec") or {}
    node.reason = str(status.get("phase") or node.reason)
    what = spec.get("summary") or status.get("symptom") or ""
    node.message = " ".join(str(p) for p in (status.get("priority"), what) if p) or node.message
    return node


def actual_node(actual: Mapping[str, Any], incidents: Sequence[Mapping[str, Any]]) -> Node:
    node = ready_node(actual)
    namespace = node.namespace
    status = actual.get("status") or {}
    node.children = [resource_node(r, namespace) for r in status.get("resources") or []]
    node.children += [
        incident_node(i)
        for i in sorted(incidents, key=lambda i: i["metadata"]["name"])
        if (i.get("spec") or {}).get("instance") == node.name and is_open(i)
    ]
    return node


def actual_name(dpi: Mapping[str, Any]) -> str:
    """The ActualProductInstance of a DesiredProductInstance: status.actual, else its name."""
    return str((dpi.get("status") or {}).get("actual") or dpi["metadata"]["name"])


def approve_hint(node: Node) -> None:
    """An instance awaiting approval says how to approve with this command, not with the
    `echo ... | kubectl apply` the operator's message spells out."""
    if node.reason != AWAITING_APPROVAL:
        return
    waiting = node.message.split(". To approve", 1)[0].rstrip(".")
    where = f" -n {node.namespace}" if node.namespace else ""
    node.message = (
        f"{waiting}. Someone other than the requester approves it with: "
        f"kubectl it4it approve {node.name}{where}"
    )


def instance_tree(
    dpi: Mapping[str, Any],
    actuals: Mapping[str, Mapping[str, Any]],
    incidents: Sequence[Mapping[str, Any]],
) -> Node:
    """A DesiredProductInstance, its ActualProductInstance (from `actuals` by name), the
    objects applied and the open incidents."""
    node = ready_node(dpi)
    approve_hint(node)
    name = actual_name(dpi)
    actual = actuals.get(name)
    if actual is None:
        node.children = [
            missing_node(
                "ActualProductInstance",
                name,
                node.namespace,
                "Not created yet: nothing of this instance has been applied.",
            )
        ]
    else:
        node.children = [actual_node(actual, incidents)]
    return node


def subscription_tree(
    sub: Mapping[str, Any],
    dpis: Sequence[Mapping[str, Any]],
    actuals: Mapping[str, Mapping[str, Any]],
    incidents: Sequence[Mapping[str, Any]],
) -> Node:
    """A Subscription and everything below it; `dpis` are those labelled with its name."""
    node = ready_node(sub)
    node.children = [
        instance_tree(d, actuals, incidents)
        for d in sorted(dpis, key=lambda d: d["metadata"]["name"])
    ]
    if not dpis:
        wanted = ((sub.get("status") or {}).get("instance") or {}).get("desired")
        if wanted:
            node.children = [
                missing_node(
                    "DesiredProductInstance", str(wanted), node.namespace, "Not created yet."
                )
            ]
    return node


def _one_line(text: str) -> str:
    return " ".join(text.split())


def format_tree(root: Node) -> str:
    """NAME (kind/name, drawn as a tree), READY, REASON, MESSAGE: one line per node."""
    rows: list[tuple[str, str, str, str]] = []

    def walk(node: Node, prefix: str, branch: str) -> None:
        rows.append((f"{branch}{node.kind}/{node.name}", node.ready, node.reason, node.message))
        for i, child in enumerate(node.children):
            last = i == len(node.children) - 1
            walk(child, prefix + ("   " if last else "│  "), prefix + ("└─ " if last else "├─ "))

    walk(root, "", "")
    header = ("NAME", "READY", "REASON", "MESSAGE")
    width = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    return "\n".join(
        "  ".join(
            [r[0].ljust(width[0]), r[1].ljust(width[1]), r[2].ljust(width[2]), _one_line(r[3])]
        ).rstrip()
        for r in [header, *rows]
    )
