"""An in-memory API server behind the real `Kube` facade, for controller unit tests.

`FakeKube` keeps objects in a dict and answers the requests `Kube` makes (server-side apply,
merge patches of status and metadata, create, delete with finalizers), recording each answer
into the same cache the controllers read, as the real watches would. It counts every write, so
a test can say "this pass made no write". It is not an API server: apply replaces the fields it
is given (no field ownership), and the garbage collector is `collect_garbage()`.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from it4it_operator.controllers.watches import watches
from it4it_operator.k8s.cache import Cache, Watch
from it4it_operator.k8s.errors import NotFoundError
from it4it_operator.k8s.http import Query
from it4it_operator.k8s.informer import ResourceInfo
from it4it_operator.k8s.kube import APPLY, MERGE, Kube, describe_object
from it4it_operator.stages.deploy.tenancy import DEFAULT_ALLOWED_KINDS

Obj = dict[str, Any]
CLUSTER_SCOPED = {"ServiceOffer", "Namespace", "ClusterRole", "Node"}
Refuse = Callable[[str, Obj], None]
"""Called before every write with (method, object); raise an ApiError to refuse it."""


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


class FakeKube(Kube):
    """`Kube` over a dict; every object written is also recorded in the cache."""

    def __init__(self, cache: Cache | None = None) -> None:
        super().__init__(cache or Cache(watches(DEFAULT_ALLOWED_KINDS)))
        self.objects: dict[tuple[str, str, str], Obj] = {}
        self.writes: list[tuple[str, str, str]] = []
        self.events: list[Obj] = []
        self.refuse: Refuse | None = None
        self.warn: Callable[[str, Obj], list[str]] | None = None
        """Called before every write: the Warning headers the server sends with its answer."""
        self.identities: list[tuple[str, str, str | None]] = []
        """(method, kind, impersonated user or None) of every write but Events."""
        self._versions = itertools.count(1)

    # -- what Kube asks of the server -------------------------------------------------------
    def resource(self, api_version: str, kind: str) -> ResourceInfo | None:
        plural = kind.lower() + ("es" if kind.endswith("s") else "s")
        return ResourceInfo(api_version, kind, plural, kind not in CLUSTER_SCOPED)

    def discover(self, watch: Watch) -> ResourceInfo | None:
        return self.resource(watch.version or "v1", watch.kind)

    def _request(
        self,
        method: str,
        obj: Mapping[str, Any],
        *,
        subresource: str = "",
        body: Any = None,
        content_type: str = "application/json",
        query: Query | None = None,
        collection: bool = False,
        warnings: list[str] | None = None,
    ) -> Obj:
        key = self._key(obj)
        if method == "GET":
            found = self.objects.get(key)
            if found is None:
                raise NotFoundError(404, "NotFound", "not found", describe_object(obj))
            return copy.deepcopy(found)
        if self.refuse is not None:
            self.refuse(method, dict(obj))
        if method != "POST" or obj["kind"] != "Event":
            self.identities.append((method, obj["kind"], self.acting_as))
        if self.warn is not None and warnings is not None:
            warnings += self.warn(method, dict(obj))
        if ("dryRun", "All") in (query or []):
            return copy.deepcopy(dict(body))
        self.writes.append((method, obj["kind"], subresource or content_type))
        if method == "POST" and obj["kind"] == "Event":
            self.events.append(copy.deepcopy(dict(obj)))
            return copy.deepcopy(dict(obj))
        if method == "DELETE":
            return self._delete(key, obj)
        current = self.objects.get(key)
        if content_type == APPLY or method == "POST":
            return self._store(self._applied(current, body))
        if current is None:
            raise NotFoundError(404, "NotFound", "not found", describe_object(obj))
        assert content_type == MERGE
        return self._store(merge_patch(current, body))

    # -- the fake server's rules ------------------------------------------------------------
    @staticmethod
    def _key(obj: Mapping[str, Any]) -> tuple[str, str, str]:
        meta = obj.get("metadata") or {}
        ns = "" if obj.get("kind") in CLUSTER_SCOPED else str(meta.get("namespace") or "")
        return (str(obj["kind"]), ns, str(meta["name"]))

    def _applied(self, current: Obj | None, body: Obj) -> Obj:
        out = copy.deepcopy(current) if current else {"status": {}}
        given = copy.deepcopy(body)
        meta = out.setdefault("metadata", {})
        for field, value in given.pop("metadata", {}).items():
            meta[field] = value
        for field, value in given.items():
            if field != "status":
                out[field] = value
        return out

    def _store(self, obj: Obj) -> Obj:
        key = self._key(obj)
        before = self.objects.get(key)
        meta = obj.setdefault("metadata", {})
        if before is None:
            meta.setdefault("uid", f"uid-{key[1]}-{key[2]}-{next(self._versions)}")
            meta.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
            meta["generation"] = 1
        elif before.get("spec") != obj.get("spec"):
            meta["generation"] = int(before["metadata"].get("generation") or 1) + 1
        if key[0] in CLUSTER_SCOPED:
            meta.pop("namespace", None)
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            return self._gone(key)
        meta["resourceVersion"] = str(next(self._versions))
        self.objects[key] = obj
        return copy.deepcopy(obj)

    def _delete(self, key: tuple[str, str, str], obj: Mapping[str, Any]) -> Obj:
        current = self.objects.get(key)
        if current is None:
            raise NotFoundError(404, "NotFound", "not found", describe_object(obj))
        if current["metadata"].get("finalizers"):
            current = copy.deepcopy(current)
            current["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
            return self._store(current)
        return self._gone(key)

    def _gone(self, key: tuple[str, str, str]) -> Obj:
        gone = self.objects.pop(key)
        self.cache.forget(gone)
        return {"kind": "Status", "status": "Success"}

    # -- what a test does to the world -----------------------------------------------------
    def put(self, obj: Obj) -> Obj:
        """Create or replace an object as someone else would (a person, another controller);
        the cache hears of it like a watch event."""
        stored = self._store(copy.deepcopy(obj))
        self.cache.record(stored)
        return stored

    def edit(self, kind: str, name: str, namespace: str = "", **patch: Any) -> Obj:
        key = (kind, "" if kind in CLUSTER_SCOPED else namespace, name)
        return self.put(merge_patch(self.objects[key], patch))

    def remove(self, kind: str, name: str, namespace: str = "") -> None:
        key = (kind, "" if kind in CLUSTER_SCOPED else namespace, name)
        self.cache.record(self._delete(key, self.objects[key]))

    def live(self, kind: str, name: str, namespace: str = "") -> Obj | None:
        return self.objects.get((kind, "" if kind in CLUSTER_SCOPED else namespace, name))

    def of_kind(self, kind: str) -> list[Obj]:
        return [o for k, o in self.objects.items() if k[0] == kind]

    def collect_garbage(self) -> None:
        """Delete objects whose owners are gone, as kube-controller-manager does."""
        while True:
            uids = {o["metadata"]["uid"] for o in self.objects.values()}
            orphans = [
                k
                for k, o in self.objects.items()
                if (refs := o["metadata"].get("ownerReferences"))
                and not any(r.get("uid") in uids for r in refs)
                and not o["metadata"].get("deletionTimestamp")
            ]
            if not orphans:
                return
            for key in orphans:
                self.cache.record(self._delete(key, self.objects[key]))

    def restarted(self) -> FakeKube:
        """The same API server seen by a new operator process: a fresh cache, filled."""
        fresh = FakeKube()
        fresh.objects = self.objects
        fresh._versions = self._versions
        for obj in self.objects.values():
            kind = obj["kind"]
            if fresh.cache.has(kind):
                fresh.cache.store(kind).upsert(copy.deepcopy(obj))
        return fresh

    def writes_since(self, mark: int) -> list[tuple[str, str, str]]:
        return [w for w in self.writes[mark:] if w[1] != "Event"]


def condition(obj: Obj | None, type_: str) -> Obj:
    for found in ((obj or {}).get("status") or {}).get("conditions") or []:
        if found["type"] == type_:
            return dict(found)
    return {}


def reasons(events: Iterable[Obj]) -> list[str]:
    return [str(e["reason"]) for e in events]
