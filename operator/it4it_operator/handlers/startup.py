"""Operator start-up and shutdown: caches, the I/O facade, the controller manager.

Start-up builds the watch caches, waits until every watched kind is listed (so no controller
decides on a half-filled cache: a reconcile right after a restart sees everything and writes
nothing that is already there), then starts the work queue. The liveness probe reports the
cache and queue sizes. Several replicas are not supported yet: run one (Recreate).
"""

from __future__ import annotations

from typing import Any

import kopf

from it4it_operator.controllers.context import Context, Settings
from it4it_operator.controllers.manager import Manager
from it4it_operator.controllers.watches import watches
from it4it_operator.handlers.metrics import measured, track, track_incidents
from it4it_operator.k8s import Kube
from it4it_operator.k8s.cache import Cache

SYNC_TIMEOUT = 300.0


@kopf.on.startup()
def start(settings: kopf.OperatorSettings, memo: kopf.Memo, logger: Any, **_: Any) -> None:
    settings.peering.standalone = True
    settings.posting.enabled = False  # our Events say what happened; kopf's would repeat it
    ours = Settings.from_env()
    cache = Cache(watches(ours.allowed_kinds, ours.watch_namespace))
    ctx = Context.from_env(Kube.connect(cache))
    manager = Manager(ctx)
    manager.queue.reconcile = measured(manager.reconcile)
    assert ctx.kube.http is not None
    cache.start(ctx.kube.http, ctx.kube.discover)
    if not cache.wait_synced(SYNC_TIMEOUT):
        raise kopf.PermanentError(f"the watch caches did not fill within {SYNC_TIMEOUT:.0f}s")
    logger.info("caches filled: %s", cache.sizes())
    track(manager.queue.pending, cache.sizes)
    track_incidents(lambda: cache.store("Incident").select())
    manager.start()
    memo.manager = manager


@kopf.on.probe(id="reconcile")
def probe(memo: kopf.Memo, **_: Any) -> dict[str, Any]:
    manager: Manager | None = getattr(memo, "manager", None)
    if manager is None:
        return {"ready": False}
    return {"pending": manager.queue.pending(), "processed": manager.queue.processed}


@kopf.on.cleanup()
def stop(memo: kopf.Memo, **_: Any) -> None:
    manager: Manager | None = getattr(memo, "manager", None)
    if manager is not None:
        manager.stop()
        manager.ctx.kube.cache.stop()
