"""Write only on difference: apply an object only when the cluster does not already hold it.

The hash of what the operator applies is kept in an annotation on the object. An apply is
skipped when the cached live object carries the same hash (nothing the operator wants changed)
and shows no drift (nobody changed a field the operator sets). Either difference, and only then,
costs one server-side apply; the API server's answer goes into the cache. A set of objects is
applied all or none (`apply_all`), through the facade it is given: a release's objects go
through the tenant's (`Context.tenant`), so RBAC and admission judge them with its rights.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from typing import Any

from it4it_operator import GROUP
from it4it_operator.controllers.context import Context
from it4it_operator.k8s import Kube
from it4it_operator.k8s.errors import ForbiddenError, InvalidError
from it4it_operator.k8s.kube import describe_object
from it4it_operator.stages.deploy.deployer import (
    judged_by_pod_security,
    pod_security_enforced,
    pod_security_refusal,
)
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


def _dry_run(kube: Kube, desired: dict[str, Any]) -> None:
    """A server-side dry run; a Pod Security violation it warns about is a refusal too."""
    warnings: list[str] = []
    kube.apply(desired, dry_run=True, warnings=warnings)
    if said := pod_security_refusal(warnings):
        raise ForbiddenError(403, "Forbidden", said, describe_object(desired))


def _checked_first(ctx: Context, pending: Sequence[tuple[dict[str, Any], Any]]) -> list[Any]:
    """The objects to dry-run before writing: all of them when some exist (a change), else
    only workloads in a namespace that enforces Pod Security (whose pods it would refuse)."""
    if any(live is not None for _, live in pending):
        return [d for d, _ in pending]
    return [
        d
        for d, _ in pending
        if judged_by_pod_security(d)
        and pod_security_enforced(ctx.kube.namespace_labels(d["metadata"].get("namespace", "")))
    ]


def apply_all(ctx: Context, objects: Sequence[dict[str, Any]], kube: Kube | None = None) -> int:
    """Apply, in order, every object that differs, all or none; returns how many took an apply.
    Writes go through `kube` (default: the operator's own facade).

    A change to objects that exist is checked first by a server-side dry run of each, so an
    object the API server refuses (schema, admission, RBAC, a Pod Security warning) raises
    before anything is written. A first install (none of them exists yet) is applied directly
    and, when one is refused, the ones this call created are deleted again before the error is
    raised: the same all-or-none outcome at half the requests in the common case (workloads in a
    namespace enforcing Pod Security are dry-run first even then).
    """
    kube = kube or ctx.kube
    found = [(d, _live(ctx, d)) for d in (with_hash(o) for o in objects)]
    pending = [(d, live) for d, live in found if needs_apply(d, live)]
    for desired in _checked_first(ctx, pending):
        try:
            _dry_run(kube, desired)
        except (InvalidError, ForbiddenError) as refused:
            refused.also += _refusals(kube, [d for d, _ in pending if d is not desired])
            raise
    created: list[dict[str, Any]] = []
    tried = 0
    try:
        for desired, live in pending:
            tried += 1
            kube.apply(desired)
            if live is None:
                created.append(desired)
    except (InvalidError, ForbiddenError) as refused:
        for obj in reversed(created):
            meta = obj["metadata"]
            kube.delete(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
        refused.also += _refusals(kube, [d for d, _ in pending[tried:]])
        raise
    return len(pending)


def _refusals(kube: Kube, objects: Sequence[dict[str, Any]]) -> list[str]:
    """What the API server would say to each of `objects` (dry runs, on the failure path only),
    so a refused plan names every refused object at once."""
    said = []
    for obj in objects:
        try:
            _dry_run(kube, obj)
        except InvalidError as exc:
            said.append(f"{exc.what}: {exc.fields()}")
        except ForbiddenError as exc:
            said.append(f"{exc.what}: {exc.message}")
    return said
