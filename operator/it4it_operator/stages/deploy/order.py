"""The order in which Fulfill Deployment applies objects, and decommissioning removes them.

Configuration and accounts must exist before the workloads that mount or run as them, and a
Service should exist before its pods turn Ready so traffic finds them; autoscalers and disruption
budgets come last, once their target exists. Removal runs the same tiers backwards, so workloads
stop before the configuration they depend on disappears.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from it4it_operator.stages.deploy.objects import KindKey, kind_key

APPLY_TIERS: tuple[frozenset[KindKey], ...] = (
    frozenset(
        {
            ("", "ConfigMap"),
            ("", "Secret"),
            ("", "ServiceAccount"),
            ("rbac.authorization.k8s.io", "Role"),
            ("rbac.authorization.k8s.io", "RoleBinding"),
            ("", "PersistentVolumeClaim"),
        }
    ),
    frozenset(
        {
            ("", "Service"),
            ("networking.k8s.io", "Ingress"),
            ("networking.k8s.io", "NetworkPolicy"),
        }
    ),
    frozenset(
        {
            ("apps", "Deployment"),
            ("apps", "StatefulSet"),
            ("apps", "DaemonSet"),
            ("batch", "Job"),
            ("batch", "CronJob"),
        }
    ),
)
"""Configuration and accounts, then services and networking, then workloads; the rest last."""

WORKLOAD_KINDS: frozenset[KindKey] = APPLY_TIERS[2]


def tier(obj: Mapping[str, Any]) -> int:
    """The apply tier of an object: 0 configuration, 1 networking, 2 workloads, 3 the rest."""
    key = kind_key(obj)
    return next((i for i, kinds in enumerate(APPLY_TIERS) if key in kinds), len(APPLY_TIERS))


def apply_order(objects: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The objects sorted by tier, keeping their release order within a tier (a stable sort)."""
    return [dict(obj) for obj in sorted(objects, key=tier)]


def removal_order(objects: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The exact reverse of `apply_order`: autoscalers and workloads first, configuration last."""
    return apply_order(objects)[::-1]
