"""kopf handlers of the Release and Consume value streams: ServiceOffer and Subscription."""

from __future__ import annotations

from typing import Any

import kopf

from it4it_operator import GROUP, VERSION
from it4it_operator.controllers.context import Context, Settings
from it4it_operator.controllers.service_offer import reconcile_offer
from it4it_operator.controllers.subscription import (
    decommission_subscription,
    reconcile_subscription,
)
from it4it_operator.handlers.metrics import observed

INTERVAL = Settings.from_env().reconcile_interval


def _ctx(memo: Any) -> Context:
    ctx: Context = memo.ctx
    return ctx


@kopf.on.resume(GROUP, VERSION, "serviceoffers")
@kopf.on.create(GROUP, VERSION, "serviceoffers")
@kopf.on.update(GROUP, VERSION, "serviceoffers")
@kopf.timer(GROUP, VERSION, "serviceoffers", interval=INTERVAL, sharp=False)
@observed("ServiceOffer")
def offer_changed(name: str, memo: Any, **_: Any) -> None:
    """Define, Implement, Publish; the timer follows validity dates, new releases, subscribers."""
    reconcile_offer(_ctx(memo), name)


@kopf.on.resume(GROUP, VERSION, "subscriptions")
@kopf.on.create(GROUP, VERSION, "subscriptions")
@kopf.on.update(GROUP, VERSION, "subscriptions")
@kopf.timer(GROUP, VERSION, "subscriptions", interval=INTERVAL, sharp=False)
@observed("Subscription")
def subscription_changed(namespace: str | None, name: str, memo: Any, **_: Any) -> None:
    reconcile_subscription(_ctx(memo), str(namespace), name)


@kopf.on.delete(GROUP, VERSION, "subscriptions")
@observed("Subscription")
def subscription_deleted(namespace: str | None, name: str, memo: Any, **_: Any) -> None:
    """Terminate: decommission the instances first; the offer's subscriber count follows."""
    left = decommission_subscription(_ctx(memo), str(namespace), name)
    if left:
        raise kopf.TemporaryError(f"waiting for {', '.join(left)} to be decommissioned", delay=2)
