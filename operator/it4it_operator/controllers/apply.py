"""Write only on difference: apply an object only when the cluster does not already hold it.

The hash of what the operator applies is kept in an annotation on the object. An apply is
skipped when the cached live object carries the same hash (nothing the operator wants changed)
and shows no drift (nobody changed a field the operator sets). Either difference, and only then,
costs one server-side apply; the API server's answer goes into the cache. A set of objects is
applied all or none (`apply_all`).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from typing import Any

from it4it_operator import GROUP
from it4it_operator.controllers.context import Context
from it4it_operator.k8s.errors import ForbiddenError, InvalidError
from it4it_operator.stages.deploy.drift import compute_drift
from it4it_operator.stages.deploy.objects import object_key
from it4it_operator.stages.deploy.plan import canonical_json

APPLIED_HASH = f"{GROUP}/applied-hash"


def desired_hash(obj: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(obj)).hexdigest()[:32]


def with_hash(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` annotated with the hash of itself (without that annotation)."""
    out = copy.deepcopy(obj)
    meta = out.setdefault("metadata", {})
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != APPLIED_HASH}
    meta["annotations"] = annotations
    annotations[APPLIED_HASH] = desired_hash(out)
    return out


def needs_apply(desired: dict[str, Any], live: dict[str, Any] | None) -> bool:
    """Whether `desired` (already `with_hash`) differs from the live object."""
    if live is None:
        return True
    have = ((live.get("metadata") or {}).get("annotations") or {}).get(APPLIED_HASH)
    want = desired["metadata"]["annotations"][APPLIED_HASH]
    return have != want or bool(compute_drift([desired], {object_key(desired): live}, limit=1))


def _live(ctx: Context, desired: dict[str, Any]) -> dict[str, Any] | None:
    meta = desired["metadata"]
    return ctx.kube.get(desired["apiVersion"], desired["kind"], meta["name"], meta.get("namespace"))


def ensure_applied(ctx: Context, obj: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The live object holding `obj`, and whether it took an apply to get there."""
    desired = with_hash(obj)
    live = _live(ctx, desired)
    if not needs_apply(desired, live):
        assert live is not None
        return live, False
    return ctx.kube.apply(desired), True


def apply_all(ctx: Context, objects: Sequence[dict[str, Any]]) -> int:
    """Apply, in order, every object that differs, all or none; returns how many took an apply.

    A change to objects that exist is checked first by a server-side dry run of each, so an
    object the API server refuses (schema, admission, RBAC) raises before anything is written.
    A first install (none of them exists yet) is applied directly and, when one is refused, the
    ones this call created are deleted again before the error is raised: the same all-or-none
    outcome at half the requests in the common case.
    """
    found = [(d, _live(ctx, d)) for d in (with_hash(o) for o in objects)]
    pending = [(d, live) for d, live in found if needs_apply(d, live)]
    if any(live is not None for _, live in pending):
        for desired, _ in pending:
            ctx.kube.apply(desired, dry_run=True)
    created: list[dict[str, Any]] = []
    try:
        for desired, live in pending:
            ctx.kube.apply(desired)
            if live is None:
                created.append(desired)
    except (InvalidError, ForbiddenError):
        for obj in reversed(created):
            meta = obj["metadata"]
            ctx.kube.delete(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
        raise
    return len(pending)
