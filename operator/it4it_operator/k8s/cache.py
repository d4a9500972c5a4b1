"""The operator's read side: one Store per watched kind, kept by informers, read by controllers.

`Watch` says what to keep of a kind (a label selector, a trim, indexes); the controllers declare
their watches and the cache starts one informer for each. Every change, whether seen on a watch
or written by the operator itself (`record`), goes to the listeners, which map it to the objects
that depend on it. Kinds are keyed by name: the watched kinds have distinct names.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from it4it_operator.k8s.http import Http
from it4it_operator.k8s.informer import Informer, OnChange, ResourceInfo
from it4it_operator.k8s.store import Change, Indexer, Obj, Store, Trim, trim_metadata

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Watch:
    """One kind the operator keeps in memory; `group` alone when the version is discovered."""

    group: str
    kind: str
    version: str = ""
    selector: str | None = None
    namespace: str | None = None
    """Only this namespace (the operator confined to one); None: every namespace."""
    trim: Trim = trim_metadata
    indexers: Mapping[str, Indexer] = field(default_factory=dict)


class Cache:
    """Stores by kind, their informers, and the listeners told of every change."""

    def __init__(self, watches: Sequence[Watch]) -> None:
        self.watches = {w.kind: w for w in watches}
        if len(self.watches) != len(watches):
            raise ValueError("two watches of the same kind")
        self.stores = {w.kind: Store(w.trim, w.indexers) for w in watches}
        self.listeners: list[OnChange] = []
        self.informers: list[Informer] = []

    def has(self, kind: str) -> bool:
        return kind in self.stores

    def store(self, kind: str) -> Store:
        return self.stores[kind]

    def notify(self, kind: str, change: Change) -> None:
        for listener in self.listeners:
            try:
                listener(kind, change)
            except Exception:  # a listener's bug must not stop the informer
                log.exception("listener failed on a %s change", kind)

    def record(self, obj: Obj) -> None:
        """A write's answer: store it (unless a newer version is there) and tell listeners."""
        kind = str(obj.get("kind") or "")
        if kind in self.stores and (change := self.stores[kind].upsert(obj)) is not None:
            self.notify(kind, change)

    def forget(self, obj: Mapping[str, Any]) -> None:
        kind = str(obj.get("kind") or "")
        if kind in self.stores and (change := self.stores[kind].remove(obj)) is not None:
            self.notify(kind, change)

    # -- informers -------------------------------------------------------------------------
    def start(
        self, http: Http, discover: Callable[[Watch], ResourceInfo | None], **options: Any
    ) -> None:
        """One informer per watch whose kind the server serves (others stay empty)."""
        for watch in self.watches.values():
            info = discover(watch)
            if info is None:
                log.info("the API server does not serve %s; not watched", watch.kind)
                continue
            informer = Informer(
                http,
                info,
                self.stores[watch.kind],
                self.notify,
                selector=watch.selector,
                namespace=watch.namespace,
                **options,
            )
            self.informers.append(informer)
            informer.start()

    def wait_synced(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        for informer in self.informers:
            if not informer.synced.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True

    def stop(self) -> None:
        for informer in self.informers:
            informer.stop()

    def sizes(self) -> dict[str, int]:
        return {kind: len(store) for kind, store in self.stores.items()}
