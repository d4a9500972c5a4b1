"""Operator start-up and shutdown: caches, the I/O facade, the controller manager.

Start-up builds the watch caches, waits until every watched kind is listed (so no controller
decides on a half-filled cache: a reconcile right after a restart sees everything and writes
nothing that is already there), then starts the work queue. The liveness probe reports the
cache and queue sizes. With IT4IT_LEADER_ELECTION set (or `it4it run --leader-election NAME`),
several replicas run: each fills its caches, only the holder of the Lease reconciles.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from pathlib import Path
from typing import Any

import kopf

from it4it_operator.controllers.context import Context, Settings
from it4it_operator.controllers.manager import Manager
from it4it_operator.controllers.watches import watches
from it4it_operator.handlers.metrics import measured, track, track_incidents, track_state
from it4it_operator.k8s import Kube
from it4it_operator.k8s.cache import Cache
from it4it_operator.k8s.lease import LeaderElector

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
    track_state(lambda kind: cache.store(kind).select())
    memo.manager = manager
    if (lease := os.environ.get(LEADER_ENV)) is None:
        manager.start()
        return
    elector = LeaderElector(ctx.kube.http, _own_namespace(), lease or "it4it-operator", _identity())
    memo.stopped = threading.Event()

    def lead() -> None:
        """A standby keeps its caches warm and starts reconciling once it holds the Lease."""
        if elector.acquire(memo.stopped):
            elector.hold(memo.stopped, lambda: os.kill(os.getpid(), signal.SIGTERM))
            manager.start()

    threading.Thread(target=lead, name="leader-election", daemon=True).start()


LEADER_ENV = "IT4IT_LEADER_ELECTION"
"""Set (to a Lease name, or empty for it4it-operator): several replicas, one leader."""


def _own_namespace() -> str:
    path = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
    found = os.environ.get("IT4IT_LEADER_NAMESPACE") or (
        path.read_text().strip() if path.exists() else ""
    )
    return found or "default"


def _identity() -> str:
    return os.environ.get("POD_ID") or f"{socket.gethostname()}-{os.getpid()}"


@kopf.on.probe(id="reconcile")
def probe(memo: kopf.Memo, **_: Any) -> dict[str, Any]:
    manager: Manager | None = getattr(memo, "manager", None)
    if manager is None:
        return {"ready": False}
    return {"pending": manager.queue.pending(), "processed": manager.queue.processed}


@kopf.on.cleanup()
def stop(memo: kopf.Memo, **_: Any) -> None:
    manager: Manager | None = getattr(memo, "manager", None)
    if (stopped := getattr(memo, "stopped", None)) is not None:
        stopped.set()
    if manager is not None:
        manager.stop()
        manager.ctx.kube.cache.stop()
