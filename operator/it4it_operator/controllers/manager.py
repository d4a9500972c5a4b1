"""The controller manager: caches fed by watches, a work queue, and one reconcile per kind.

Start-up lists every watched kind into memory, then reconciles every object once (the resume:
with nothing changed it writes nothing). From then on a change seen on a watch, or written by
the operator itself, queues exactly its dependents (`watches.dependents`); a reconcile that
wants to look again at a given moment (a window opening, an observation ending) is scheduled
for it; a slow safety resync is the only periodic pass. Cost follows change, not object count.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from it4it_operator.controllers import approval, product_release, service_offer, subscription
from it4it_operator.controllers.context import Context
from it4it_operator.controllers.deploy import reconcile_instance
from it4it_operator.controllers.operate.detection import detect_issues
from it4it_operator.controllers.operate.incidents import reconcile_incident
from it4it_operator.controllers.queue import Key, WorkQueue, sooner
from it4it_operator.controllers.watches import RECONCILED, dependents, tallies
from it4it_operator.k8s.errors import NotFoundError
from it4it_operator.k8s.store import Change

log = logging.getLogger(__name__)

Reconciler = Callable[[Context, str, str], float | None]

RECONCILERS: dict[str, Reconciler] = {
    "ProductRelease": product_release.reconcile_release,
    "ServiceOffer": lambda ctx, _ns, name: service_offer.reconcile_offer(ctx, name),
    "Subscription": subscription.reconcile_subscription,
    "DesiredProductInstance": reconcile_instance,
    "Approval": approval.record_approval,
    "ActualProductInstance": detect_issues,
    "Incident": reconcile_incident,
}
assert set(RECONCILERS) == set(RECONCILED)


@dataclass
class Manager:
    """Runs the controllers of `ctx` on its cache; `start()` once the cache is synced."""

    ctx: Context
    queue: WorkQueue = field(init=False)
    _resync: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.queue = WorkQueue(self.reconcile, workers=self.ctx.settings.workers)
        self.ctx.kube.cache.listeners.append(self.on_change)

    def on_change(self, kind: str, change: Change) -> None:
        for key in dependents(self.ctx.kube.cache, kind, change):
            self.queue.add(key)
        for key in tallies(kind, change):
            self.queue.add_after(key, self.ctx.settings.tally_seconds)

    def reconcile(self, key: Key) -> float | None:
        self.ctx.take_hold()
        try:
            delay = RECONCILERS[key.kind](self.ctx, key.namespace, key.name)
        except NotFoundError as exc:
            # Deleted between the cache read and the write: its deletion event reconciles
            # whatever depends on it.
            log.info("%s: %s is gone", key, exc.what)
            return None
        # A status held back is written by the pass after it.
        return sooner(delay, self.ctx.take_hold())

    def enqueue_all(self) -> int:
        """Queue every object that has a controller (start-up and the safety resync)."""
        count = 0
        for kind in RECONCILED:
            for namespace, name in self.ctx.kube.cache.store(kind).names():
                self.queue.add(Key(kind, namespace, name))
                count += 1
        return count

    def _resync_loop(self) -> None:
        while not self._resync.wait(self.ctx.settings.resync_seconds):
            log.info("safety resync of %d objects", self.enqueue_all())

    def start(self) -> None:
        log.info("reconciling %d objects after start-up", self.enqueue_all())
        self.queue.start()
        self._thread = threading.Thread(target=self._resync_loop, name="resync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._resync.set()
        self.queue.stop()
