"""The Release value stream (IT4IT 5.5) on a ServiceOffer: Define, Implement, Publish.

Define checks the offer is complete (its release resolves, its parameter schema is valid and
compatible with the release's, support and pricing are there); Implement records the release it
resolves to (the newest accepted one inside the version range, so a newly accepted release is
picked up and flows to subscriptions as an upgrade); Publish follows the validity window and the
offer's state. Status carries the resolved release, subscriber count, margin and audience.
"""

from __future__ import annotations

from typing import Any

from it4it_operator import API_VERSION
from it4it_operator.controllers.context import Context
from it4it_operator.controllers.status import STALLED, StatusWriter
from it4it_operator.stages.outcome import Outcome
from it4it_operator.stages.release.define import define_offer
from it4it_operator.stages.release.offer_status import offer_status, subscriber_count
from it4it_operator.stages.release.publish import publication
from it4it_operator.stages.release.versions import ResolvedRelease, resolve_release

OFFER_KIND = "ServiceOffer"
CONDITIONS = ("Ready", "Defined", "Implemented", "Published")


def _resolve(
    ctx: Context, spec: dict[str, Any]
) -> tuple[ResolvedRelease | None, dict[str, Any] | None]:
    """The release the offer resolves to, and that release's parameter schema."""
    ref = spec.get("release")
    if not ref:
        return None, None
    releases = ctx.kube.list_objects(API_VERSION, "ProductRelease", ref["namespace"])
    try:
        resolved = resolve_release(
            releases,
            product=ref["product"],
            version_range=ref["version"],
            namespace=ref["namespace"],
        )
    except ValueError:
        return None, None  # define_offer reports the bad range itself
    if resolved is None:
        return None, None
    chosen = next(r for r in releases if r["metadata"]["name"] == resolved.name)
    return resolved, chosen["spec"].get("parameters")


def _bundle(ctx: Context, spec: dict[str, Any]) -> dict[str, dict[str, Any] | None] | None:
    if not spec.get("bundle"):
        return None
    return {m["offer"]: ctx.kube.get(API_VERSION, OFFER_KIND, m["offer"]) for m in spec["bundle"]}


def reconcile_offer(ctx: Context, name: str) -> float | None:
    """Reconcile one offer; returns seconds until its next publication change, or None."""
    offer = ctx.kube.get(API_VERSION, OFFER_KIND, name)
    if offer is None:
        return None
    w = StatusWriter(ctx, offer, CONDITIONS)
    spec = offer["spec"]
    resolved, release_schema = _resolve(ctx, spec)
    defined = define_offer(
        spec,
        resolved=resolved,
        release_schema=release_schema,
        bundle_members=_bundle(ctx, spec),
        name=name,
    )
    w.set(defined)
    if defined.ok:
        what = (
            f"ProductRelease {resolved.namespace}/{resolved.name} ({resolved.version})"
            if resolved
            else f"a bundle of {len(spec.get('bundle') or [])} offers"
        )
        w.set(Outcome.true("Implemented", "Resolved", f"The offer is fulfilled by {what}."))
    else:
        w.set(
            Outcome.false(
                "Implemented",
                "NotDefined",
                "The offer cannot be implemented until it is completely defined.",
            )
        )
    now = ctx.clock()
    state = publication(spec, now)
    published = state.state == "Published"
    w.set(Outcome("Published", "True" if published else "False", state.reason, state.message))
    subscriptions = ctx.kube.by_index("Subscription", "by", name)
    w.update(
        **offer_status(spec, resolved=resolved, subscribers=subscriber_count(subscriptions, name))
    )
    w.update(
        nextTransition=state.next_transition.strftime("%Y-%m-%dT%H:%M:%SZ")
        if state.next_transition
        else None
    )
    if defined.ok and published:
        w.set(
            Outcome.true("Ready", "Published", "The offer is published and can be ordered."),
            event=False,
        )
    else:
        first = defined if not defined.ok else Outcome.false("Ready", state.reason, state.message)
        w.set(Outcome.false("Ready", first.reason, first.message), event=False)
    w.abnormal(STALLED, None if defined.ok else defined.reason, defined.message)
    w.update(phase=state.state if defined.ok else "Incomplete")
    w.flush()
    if state.next_transition is None:
        return None
    return max(1.0, (state.next_transition - now).total_seconds())
