"""Labels and names that tie the objects of one instance together."""

from __future__ import annotations

from typing import Any

from it4it_operator import API_VERSION

INSTANCE_LABEL = "it4it.dev/instance"
RELEASE_LABEL = "it4it.dev/release"
SUBSCRIPTION_LABEL = "it4it.dev/subscription"
OFFER_LABEL = "it4it.dev/offer"
MANAGED_BY = {"app.kubernetes.io/managed-by": "it4it-operator"}
DPI_KIND = "DesiredProductInstance"
ACTUAL_KIND = "ActualProductInstance"
RELEASE_KIND = "ProductRelease"
APPROVAL_KIND = "Approval"


def instance_labels(instance: str) -> dict[str, str]:
    return {INSTANCE_LABEL: instance, **MANAGED_BY}


def owner_reference(owner: dict[str, Any], *, controller: bool = True) -> dict[str, Any]:
    meta = owner["metadata"]
    return {
        "apiVersion": owner.get("apiVersion", API_VERSION),
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


FINALIZER = "it4it.dev/decommission"
"""Held on every DesiredProductInstance until its objects are decommissioned in order."""
