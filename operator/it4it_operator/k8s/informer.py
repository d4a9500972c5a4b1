"""List-then-watch one kind into a Store, forever, the way client-go's reflector does.

One thread per kind: a paginated list fills the store (and tells `synced`), then a watch from
that list's resourceVersion keeps it current, with bookmarks so a quiet kind can resume without
a relist. A watch the server ends (its timeout) resumes from the last version seen; one that
expired (410 Gone) relists and reports what changed meanwhile; one that stalls without a close
times out on the read and resumes. Every change is passed to `on_change` on this thread, which
must only enqueue work.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from it4it_operator.k8s.errors import ApiError, ConflictError, NotFoundError, UnavailableError
from it4it_operator.k8s.http import QUIET, Http
from it4it_operator.k8s.store import Change, Obj, Store

log = logging.getLogger(__name__)

PAGE = 500
STALL_SECONDS = 75.0
"""A watch that sends nothing for this long is taken as cut without a close and resumed: the
API server sends a bookmark about every minute on a quiet watch, so a healthy one never waits
that long (and resuming from the last version costs one request, no relist)."""
CALM_SECONDS = 60.0
"""A watch failing again after this long without failures is a new outage: short pause first."""
OnChange = Callable[[str, Change], None]
"""(kind, (old, new)) for every change the informer saw."""


@dataclass(frozen=True)
class ResourceInfo:
    """Where a kind lives on the API server."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool

    def path(self, namespace: str | None = None) -> str:
        """The collection: cluster-wide, or of one namespace."""
        prefix = "/api/" if "/" not in self.api_version else "/apis/"
        where = f"namespaces/{namespace}/" if self.namespaced and namespace else ""
        return f"{prefix}{self.api_version}/{where}{self.plural}"

    def object_path(self, name: str, namespace: str | None) -> str:
        prefix = "/api/" if "/" not in self.api_version else "/apis/"
        where = f"namespaces/{namespace}/" if self.namespaced and namespace else ""
        return f"{prefix}{self.api_version}/{where}{self.plural}/{name}"


class Informer:
    """Keeps `store` equal to the API server's objects of `resource` matching `selector`."""

    def __init__(
        self,
        http: Http,
        resource: ResourceInfo,
        store: Store,
        on_change: OnChange,
        *,
        selector: str | None = None,
        namespace: str | None = None,
        watch_seconds: tuple[int, int] = (240, 300),
    ) -> None:
        self.http, self.resource, self.store = http, resource, store
        self.collection = resource.path(namespace)
        self.on_change, self.selector, self.watch_seconds = on_change, selector, watch_seconds
        self.synced = threading.Event()
        self.stopped = threading.Event()
        self.relists = 0
        self._thread = threading.Thread(
            target=self._run, name=f"informer-{resource.kind}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def _query(self) -> list[tuple[str, str | int | bool]]:
        return [("labelSelector", self.selector)] if self.selector else []

    def _list(self) -> str:
        """A full, paginated list into the store; returns the list's resourceVersion."""
        items: list[Obj] = []
        token, version = "", ""
        while True:
            query = [*self._query(), ("limit", PAGE)] + ([("continue", token)] if token else [])
            page = self.http.request("GET", self.collection, query=query, what=self.resource.kind)
            for item in page.get("items") or []:
                item.setdefault("apiVersion", self.resource.api_version)
                item.setdefault("kind", self.resource.kind)
                items.append(item)
            meta = page.get("metadata") or {}
            version = str(meta.get("resourceVersion") or version)
            token = str(meta.get("continue") or "")
            if not token:
                break
        for change in self.store.replace(items):
            self.on_change(self.resource.kind, change)
        self.relists += 1
        self.synced.set()
        return version

    def _watch(self, version: str) -> str:
        """Follow changes from `version` until the server ends the watch; the last version."""
        low, high = self.watch_seconds
        seconds = random.randint(low, high)
        query = [
            *self._query(),
            ("watch", True),
            ("allowWatchBookmarks", True),
            ("resourceVersion", version),
            ("timeoutSeconds", seconds),
        ]
        read_timeout = min(seconds + 30, STALL_SECONDS)
        for event in self.http.stream(self.collection, query=query, read_timeout=read_timeout):
            kind, obj = event.get("type"), event.get("object") or {}
            if kind == "ERROR":
                code = int(obj.get("code") or 410)
                raise ConflictError(code, "Expired", str(obj.get("message")))
            version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
            if kind == "BOOKMARK" or self.stopped.is_set():
                continue
            obj.setdefault("apiVersion", self.resource.api_version)
            obj.setdefault("kind", self.resource.kind)
            change = self.store.remove(obj) if kind == "DELETED" else self.store.upsert(obj)
            if change is not None:
                self.on_change(self.resource.kind, change)
        return version

    def _run(self) -> None:
        version, delay, failed_at = "", 0.5, 0.0
        while not self.stopped.is_set():
            try:
                if not version:
                    version = self._list()
                version = self._watch(version)
                delay = 0.5
            except NotFoundError:
                # The server does not serve this kind (yet): nothing to keep, look again later.
                self.synced.set()
                version = ""
                self.stopped.wait(30)
            except ConflictError:
                version = ""  # expired: relist
            except (ApiError, ValueError, OSError) as exc:
                if isinstance(exc, UnavailableError) and exc.reason == QUIET:
                    # Also a quiet kind that saw no bookmark within STALL_SECONDS (it cannot be
                    # told from a stalled connection): resumed at once from the same version.
                    log.info("watch of %s resumed after silence: %s", self.resource.kind, exc)
                    continue
                log.warning("watch of %s interrupted: %s", self.resource.kind, exc)
                if time.monotonic() - failed_at > CALM_SECONDS:
                    delay = 0.5  # a new outage starts from a short pause, not the last one's
                failed_at = time.monotonic()
                self.stopped.wait(delay)
                delay = min(delay * 2, 30.0)
