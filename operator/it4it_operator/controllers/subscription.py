"""The Consume value stream (IT4IT 5.6) on a Subscription.

Select an Offer (it exists, is Defined, published and visible to the namespace), Agree to Service
Offer (the accepted terms version; the Service Contract is recorded in status), Subscribe
(parameters validated against the offer's schema; one DesiredProductInstance per offer, or per
bundle member brought up in order, owned by the subscription, carrying the subscription's
requester so the requester cannot approve the instance's plan), Fulfilled and Ready follow the
instances, and Publish Service Status (availability since agreement, SLA, notifications).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from it4it_operator import API_VERSION
from it4it_operator.api.subscription import SubscriptionSpec
from it4it_operator.controllers.apply import ensure_applied
from it4it_operator.controllers.context import Context
from it4it_operator.controllers.deploy.labels import (
    DPI_KIND,
    FINALIZER,
    MANAGED_BY,
    OFFER_LABEL,
    SUBSCRIPTION_LABEL,
    owner_reference,
)
from it4it_operator.controllers.deploy.planning import REQUESTED_BY
from it4it_operator.controllers.operate.incidents import open_incidents
from it4it_operator.controllers.service_offer import OFFER_KIND
from it4it_operator.controllers.status import RECONCILING, STALLED, StatusWriter, not_ready
from it4it_operator.stages.consume.agree import agree, contract_after_terms_change
from it4it_operator.stages.consume.select import select_offer
from it4it_operator.stages.consume.service_status import (
    TERMINATION_NOTICE,
    notifications,
    record_health_sample,
    service_status,
    with_instance_transitions,
)
from it4it_operator.stages.consume.subscribe import (
    desired_instance_spec,
    subscription_parameters,
)
from it4it_operator.stages.deploy.health import fold
from it4it_operator.stages.outcome import Outcome
from it4it_operator.stages.parameters import ParameterError
from it4it_operator.stages.release.changes import bundle_progress

SUB_KIND = "Subscription"
CONDITIONS = ("Ready", "OfferSelected", "Agreed", "Subscribed", "Fulfilled")


@dataclass(frozen=True)
class Member:
    """One DesiredProductInstance the subscription asks for."""

    name: str
    offer: dict[str, Any]
    spec: dict[str, Any]


def _refuse(w: StatusWriter, outcome: Outcome, phase: str, *, stalled: bool = True) -> None:
    not_ready(w, outcome, phase, stalled=stalled)


def _members(ctx: Context, sub: dict[str, Any], offer: dict[str, Any]) -> list[Member]:
    """The instances to request, in bring-up order; raises ParameterError or LookupError."""
    spec, name = sub["spec"], sub["metadata"]["name"]
    bundle = offer["spec"].get("bundle")
    if bundle:
        offers = [(m["offer"], ctx.kube.get(API_VERSION, OFFER_KIND, m["offer"])) for m in bundle]
        values = spec.get("parameters") or {}
        pairs = [
            (f"{name}-{member}", found, values.get(member))
            for member, found in offers
            if found is not None
        ]
        if len(pairs) != len(offers):
            raise LookupError("a member offer of the bundle no longer exists")
    else:
        pairs = [(name, offer, spec.get("parameters"))]
    members = []
    for instance, member_offer, given in pairs:
        release = (member_offer.get("status") or {}).get("release")
        if not release:
            raise LookupError(
                f"ServiceOffer {member_offer['metadata']['name']} resolves to no "
                "accepted ProductRelease yet"
            )
        parameters = subscription_parameters(member_offer["spec"].get("parameters"), given)
        members.append(
            Member(
                instance,
                member_offer,
                desired_instance_spec(
                    release_ref={"namespace": release["namespace"], "name": release["name"]},
                    parameters=parameters,
                    fulfillment=member_offer["spec"].get("fulfillment"),
                    operate=member_offer["spec"].get("operate"),
                    suspended=spec.get("state") == "Suspended",
                ),
            )
        )
    return members


def _request(ctx: Context, sub: dict[str, Any], member: Member) -> None:
    """Apply the member's DesiredProductInstance when it differs; it is created holding the
    decommission finalizer (no second write), and one being deleted is left to finish. Nothing
    is created in a namespace being deleted: the API server would refuse it."""
    namespace = sub["metadata"]["namespace"]
    live = ctx.kube.get(API_VERSION, DPI_KIND, member.name, namespace)
    if live is not None and live["metadata"].get("deletionTimestamp"):
        return
    if live is None and ctx.namespace_going(namespace):
        return
    metadata: dict[str, Any] = {
        "name": member.name,
        "namespace": namespace,
        "labels": {
            SUBSCRIPTION_LABEL: sub["metadata"]["name"],
            OFFER_LABEL: member.offer["metadata"]["name"],
            **MANAGED_BY,
        },
        "ownerReferences": [owner_reference(sub)],
        "finalizers": [FINALIZER],
    }
    # Separation of duties through the subscription: who requested the subscription's change
    # is the requester of the instance's change (admission takes it from the operator only).
    if requester := (sub["metadata"].get("annotations") or {}).get(REQUESTED_BY):
        metadata["annotations"] = {REQUESTED_BY: requester}
    ensure_applied(
        ctx,
        {"apiVersion": API_VERSION, "kind": DPI_KIND, "metadata": metadata, "spec": member.spec},
    )


def _ready(dpi: dict[str, Any] | None) -> dict[str, Any]:
    found = [
        c for c in ((dpi or {}).get("status") or {}).get("conditions", []) if c["type"] == "Ready"
    ]
    return found[0] if found else {}


def _fulfil(ctx: Context, sub: dict[str, Any], members: list[Member]) -> list[dict[str, Any]]:
    """Request the members in order: the next only once the one before it is Ready."""
    ns = sub["metadata"]["namespace"]
    live = [ctx.kube.get(API_VERSION, DPI_KIND, m.name, ns) for m in members]
    progress = bundle_progress([_ready(d).get("status") == "True" for d in live])
    for index, member in enumerate(members[: progress.next_index + 1]):
        _request(ctx, sub, member)
        live[index] = ctx.kube.get(API_VERSION, DPI_KIND, member.name, ns)
    return [d for d in live if d is not None]


def _fulfilled(members: list[Member], live: list[dict[str, Any]]) -> Outcome:
    """Fulfilled once every member is Ready. While one is on its way the reason and message
    stay the same (its own conditions tell the stage), so the subscription is not rewritten
    at every step of the instance."""
    waiting = [d["metadata"]["name"] for d in live if _ready(d).get("status") != "True"]
    if len(live) == len(members) and not waiting:
        return Outcome.true(
            "Fulfilled", "InstanceReady", f"{', '.join(m.name for m in members)} ready."
        )
    if waiting:
        failed = [d for d in live if _ready(d).get("status") == "False" and _stalled(d)]
        if failed:
            ready = _ready(failed[0])
            return Outcome.false(
                "Fulfilled",
                ready.get("reason") or "InstanceFailed",
                f"DesiredProductInstance {failed[0]['metadata']['name']}: {ready.get('message')}",
            )
        return Outcome.false(
            "Fulfilled",
            "InstanceNotReady",
            f"DesiredProductInstance {waiting[0]} is on its way; its conditions show the stage.",
        )
    pending = members[len(live)].name
    return Outcome.false("Fulfilled", "Pending", f"{pending} waits for the members before it.")


def _stalled(dpi: dict[str, Any]) -> bool:
    return any(
        c.get("type") == STALLED and c.get("status") == "True"
        for c in (dpi.get("status") or {}).get("conditions") or []
    )


def _actuals(ctx: Context, ns: str, live: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [
        ctx.kube.get(API_VERSION, "ActualProductInstance", d["metadata"]["name"], ns) for d in live
    ]
    return [a for a in found if a]


def _health(found: list[dict[str, Any]]) -> str | None:
    known = [h for h in ((a.get("status") or {}).get("health") for a in found) if h]
    return fold_health(known) if known else None


def fold_health(healths: Iterable[str]) -> str:
    """One health for a subscription's instances: Suspended only when all are."""
    known = list(healths)
    if all(h == "Suspended" for h in known):
        return "Suspended"
    return fold(h for h in known if h != "Suspended")


def reconcile_subscription(ctx: Context, namespace: str, name: str) -> float | None:
    """Reconcile one Subscription; returns seconds until its next notice is due, or None."""
    sub = ctx.kube.get(API_VERSION, SUB_KIND, name, namespace)
    if sub is None:
        return None
    if sub["metadata"].get("deletionTimestamp"):
        return _terminate(ctx, sub)
    w = StatusWriter(ctx, sub, CONDITIONS, coalesce=True)
    try:
        SubscriptionSpec.model_validate(sub["spec"])
    except ValidationError as exc:
        outcome = Outcome.false("OfferSelected", "InvalidSpec", str(exc.errors()[0]["msg"]))
        w.set(outcome)
        _refuse(w, outcome, "Refused")
        w.flush()
        return None
    offer = _reconcile(ctx, sub, w)
    w.flush()
    return _next_notice(ctx, offer)


def _next_notice(ctx: Context, offer: dict[str, Any] | None) -> float | None:
    """When the notice ahead of the offer's end falls due (validity.until minus the notice)."""
    until = (((offer or {}).get("spec") or {}).get("validity") or {}).get("until")
    if not until:
        return None
    due = dt.datetime.fromisoformat(str(until).replace("Z", "+00:00")) - TERMINATION_NOTICE
    seconds = (due - ctx.clock()).total_seconds()
    return seconds if seconds > 0 else None


def _terminate(ctx: Context, sub: dict[str, Any]) -> float | None:
    """Subscriptions from before the finalizer was dropped hold it: decommission, release."""
    meta = sub["metadata"]
    finalizers = list(meta.get("finalizers") or [])
    if FINALIZER not in finalizers:
        return None  # the garbage collector removes the instances it owns
    if decommission_subscription(ctx, meta["namespace"], meta["name"]):
        return 2.0
    ctx.kube.patch_metadata(sub, {"finalizers": [f for f in finalizers if f != FINALIZER]})
    return None


def _reconcile(ctx: Context, sub: dict[str, Any], w: StatusWriter) -> dict[str, Any] | None:
    spec, ns, now = sub["spec"], sub["metadata"]["namespace"], ctx.clock()
    offer = ctx.kube.get(API_VERSION, OFFER_KIND, spec["offer"])
    contract = w.status.get("contract")
    selected = select_offer(
        offer,
        offer_name=spec["offer"],
        namespace=ns,
        labels=ctx.kube.namespace_labels(ns) or {},
        now=now,
        under_contract=bool(contract),
    )
    w.set(selected)
    if not selected.ok or offer is None:
        # An offer not synced, not checked or not published yet may still come: keep trying,
        # not Stalled. One that is not Defined waits for its catalog manager: Stalled, and the
        # offer's next status wakes this subscription (watches._of_offer).
        waiting = selected.reason in ("OfferNotFound", "OfferNotChecked", "OfferNotPublished")
        _refuse(w, selected, "Pending" if waiting else "Refused", stalled=not waiting)
        return offer
    agreed = agree(spec, offer, contract=contract)
    w.set(agreed)
    release_version = ((offer.get("status") or {}).get("release") or {}).get("version")
    contract = contract_after_terms_change(
        contract, offer, spec, release_version=release_version, now=now
    )
    if contract is None:
        _refuse(w, agreed, "Refused")
        return offer
    w.update(contract=contract)
    try:
        members = _members(ctx, sub, offer)
    except ParameterError as exc:
        outcome = Outcome.false("Subscribed", "InvalidParameters", str(exc))
        w.set(outcome)
        _refuse(w, outcome, "Refused")
        return offer
    except LookupError as exc:
        outcome = Outcome.false("Subscribed", "ReleaseNotResolved", str(exc))
        w.set(outcome)
        _refuse(w, outcome, "Pending", stalled=False)
        return offer
    live = _fulfil(ctx, sub, members)
    w.set(
        Outcome.true(
            "Subscribed",
            "Subscribed",
            "Requested DesiredProductInstance "
            f"{', '.join(m.name for m in members)} with the offer's fulfilment "
            "plan.",
        )
    )
    fulfilled = _fulfilled(members, live)
    w.set(fulfilled, event=fulfilled.ok or fulfilled.reason not in ("InstanceNotReady", "Pending"))
    incidents = sum(len(open_incidents(ctx, ns, d["metadata"]["name"])) for d in live)
    actuals = _actuals(ctx, ns, live)
    _publish_service_status(
        ctx,
        w,
        offer=offer,
        contract=contract,
        actuals=actuals,
        incidents=incidents,
    )
    w.update(
        instance={"desired": members[0].name, "actual": members[0].name},
        members=[m.name for m in members]
        if len(members) > 1 or offer["spec"].get("bundle")
        else None,
    )
    suspended = spec.get("state") == "Suspended"
    if not fulfilled.ok:
        _refuse(w, fulfilled, "Fulfilling", stalled=False)
        return offer
    w.set(
        Outcome.true(
            "Ready",
            "Suspended" if suspended else "Fulfilled",
            "The service is suspended; its workloads are scaled to zero."
            if suspended
            else "The service runs under its contract.",
        ),
        event=False,
    )
    w.abnormal(STALLED, None)
    w.abnormal(RECONCILING, None)
    w.update(
        phase="Suspended"
        if suspended
        else ("TermsChanged" if agreed.reason == "TermsChanged" else "Active")
    )
    return offer


def _publish_service_status(
    ctx: Context,
    w: StatusWriter,
    *,
    offer: dict[str, Any],
    contract: dict[str, Any],
    actuals: list[dict[str, Any]],
    incidents: int,
) -> None:
    now = ctx.clock()
    health = _health(actuals)
    previous = dict(w.status.get("serviceStatus") or {})
    history = with_instance_transitions(
        previous.get("healthHistory"),
        [(a.get("status") or {}).get("healthHistory") for a in actuals],
        fold_health,
    )
    if health and (history or health != "Progressing"):
        # Samples start once the service has shown a verdict: the first rollout is not
        # measured (nor written), a degradation or a rollback after it is.
        history = record_health_sample(history, health, now)
    notices = notifications(
        offer=offer,
        contract=contract,
        health=health,
        now=now,
        previous=previous.get("notifications"),
    )
    status = service_status(
        contract=contract, history=history, now=now, open_incidents=incidents, notices=notices
    )
    status["healthHistory"] = history
    w.update(serviceStatus={k: v for k, v in status.items() if v is not None})


def decommission_subscription(ctx: Context, namespace: str, name: str) -> list[str]:
    """Terminate: delete the subscription's instances (last member first); returns those left."""
    left = ctx.kube.list_objects(API_VERSION, DPI_KIND, namespace, {SUBSCRIPTION_LABEL: name})
    for dpi in reversed(left):
        if not dpi["metadata"].get("deletionTimestamp"):
            ctx.kube.delete(API_VERSION, DPI_KIND, dpi["metadata"]["name"], namespace)
    return [d["metadata"]["name"] for d in left]
