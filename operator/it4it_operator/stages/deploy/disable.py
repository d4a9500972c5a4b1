"""Disable an instance without removing it (Deploy scenario "Disable or Remove Existing Product
Release Instances").

A DesiredProductInstance with `state: Disabled` keeps every object (configuration, volumes, data)
but runs nothing: Deployments and StatefulSets go to zero replicas and CronJobs are suspended.
DaemonSets and Jobs cannot be scaled and are left as rendered.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from it4it_operator.stages.deploy.objects import KindKey, kind_key

_SCALED: frozenset[KindKey] = frozenset({("apps", "Deployment"), ("apps", "StatefulSet")})
_SUSPENDED: frozenset[KindKey] = frozenset({("batch", "CronJob")})


def scale_to_zero(objects: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Copies of `objects` with replicas 0 on Deployments/StatefulSets and suspended CronJobs."""
    disabled = []
    for obj in objects:
        copied = copy.deepcopy(dict(obj))
        key = kind_key(obj)
        if key in _SCALED:
            copied["spec"] = {**(copied.get("spec") or {}), "replicas": 0}
        elif key in _SUSPENDED:
            copied["spec"] = {**(copied.get("spec") or {}), "suspend": True}
        disabled.append(copied)
    return disabled
