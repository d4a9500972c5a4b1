"""How the Deploy stages name and address the Kubernetes objects a release renders.

Tenancy, ordering, drift and scale-to-zero all need the same few facts about an object: its API
group, kind and name. Reading them in one place keeps the stages agreeing on identity, and lets
handlers build the `(group, kind, name)` keys that `drift.compute_drift` expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ObjectKey = tuple[str, str, str]
"""(apiGroup, kind, name); the core group is the empty string."""

KindKey = tuple[str, str]
"""(apiGroup, kind)."""


def api_group(api_version: str) -> str:
    """The group of an apiVersion: "apps/v1" -> "apps", "v1" -> "" (the core group)."""
    return api_version.rpartition("/")[0]


def kind_key(obj: Mapping[str, Any]) -> KindKey:
    """(apiGroup, kind) of an object; empty strings where the fields are missing."""
    return api_group(str(obj.get("apiVersion") or "")), str(obj.get("kind") or "")


def metadata_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The object's metadata, or an empty mapping when it is missing or malformed."""
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def object_name(obj: Mapping[str, Any]) -> str:
    return str(metadata_of(obj).get("name") or "")


def object_key(obj: Mapping[str, Any]) -> ObjectKey:
    """(apiGroup, kind, name): the identity of an object within the instance's namespace."""
    return (*kind_key(obj), object_name(obj))


def describe(obj: Mapping[str, Any]) -> str:
    """The "Kind/name" of an object for messages, "?" standing in for what is missing."""
    return f"{obj.get('kind') or '?'}/{object_name(obj) or '?'}"
