"""An in-memory copy of one kind's objects, with secondary indexes, kept by a watch stream.

Reconciles read from here instead of the API server, so a pass whose inputs did not change
makes no request. Objects are stored trimmed (no managedFields, no last-applied annotation, only
what health needs of a Pod) and compacted (keys and short strings shared) to keep the
operator's memory proportional to what it uses. Writes the operator makes are recorded here as
soon as the API server answers (a write-through), so the next pass sees them even before their
watch event arrives; an event or a write older than what is stored (by resourceVersion) never
replaces it.
"""

from __future__ import annotations

import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Obj = dict[str, Any]
Key = tuple[str, str]
"""(namespace, name); namespace "" for cluster-scoped objects."""
Indexer = Callable[[Obj], Iterable[str]]
Trim = Callable[[Obj], Obj]
Change = tuple[Obj | None, Obj | None]
"""(old, new): new None is a deletion, old None a creation."""

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def key_of(obj: Mapping[str, Any]) -> Key:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def _rv(obj: Mapping[str, Any] | None) -> int:
    text = str(((obj or {}).get("metadata") or {}).get("resourceVersion") or "0")
    return int(text) if text.isdigit() else 0


_intern = sys.intern
SHARED_STRING = 64
"""Strings up to this length are shared between stored objects (`compact`)."""


def compact(value: Any) -> Any:
    """`value` with its keys and short strings interned: json.loads gives every object its own
    copy of "metadata", "status", "True", a namespace's name...; shared, they halve what a
    stored object costs (11.5 -> 5.7 KiB for the objects of tests/data/status, for about the
    CPU of parsing it once more)."""
    kind = type(value)
    if kind is dict:
        return {_intern(k): compact(v) for k, v in value.items()}
    if kind is list:
        return [compact(v) for v in value]
    if kind is str and len(value) <= SHARED_STRING:
        return _intern(value)
    return value


def trim_metadata(obj: Obj) -> Obj:
    """The object without the fields nothing in the operator reads."""
    meta = dict(obj.get("metadata") or {})
    meta.pop("managedFields", None)
    annotations = meta.get("annotations")
    if annotations and LAST_APPLIED in annotations:
        meta["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
    return {**obj, "metadata": meta}


def trim_pod(obj: Obj) -> Obj:
    """What health assessment reads of a Pod: identity, labels, owners and status."""
    meta = obj.get("metadata") or {}
    kept = ("name", "namespace", "uid", "resourceVersion", "labels", "ownerReferences")
    status = obj.get("status") or {}
    return {
        "apiVersion": obj.get("apiVersion", "v1"),
        "kind": "Pod",
        "metadata": {
            **{k: meta[k] for k in kept if k in meta},
            **(
                {"deletionTimestamp": meta["deletionTimestamp"]}
                if "deletionTimestamp" in meta
                else {}
            ),
        },
        "status": {
            k: status[k]
            for k in ("phase", "reason", "message", "conditions", "containerStatuses")
            if k in status
        },
    }


def trim_replicaset(obj: Obj) -> Obj:
    """A Deployment's ReplicaSet without its pod template: Validate and Detect read only its
    owner, revision and pod-template-hash (to find the current revision's pods), and the
    template is most of the object. A ReplicaSet a release applies itself keeps its spec (drift
    is judged against it)."""
    trimmed = trim_metadata(obj)
    owners = trimmed["metadata"].get("ownerReferences") or []
    spec = trimmed.get("spec")
    if not isinstance(spec, dict) or not any(o.get("kind") == "Deployment" for o in owners):
        return trimmed
    return {**trimmed, "spec": {k: v for k, v in spec.items() if k != "template"}}


def trim_namespace(obj: Obj) -> Obj:
    meta = obj.get("metadata") or {}
    kept = ("name", "uid", "resourceVersion", "labels", "deletionTimestamp")
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {k: meta[k] for k in kept if k in meta},
    }


class Store:
    """Objects of one kind by (namespace, name), plus named indexes from a string to keys."""

    def __init__(self, trim: Trim = trim_metadata, indexers: Mapping[str, Indexer] | None = None):
        self.trim = trim
        self.indexers = dict(indexers or {})
        self._objects: dict[Key, Obj] = {}
        self._index: dict[str, dict[str, set[Key]]] = {n: defaultdict(set) for n in self.indexers}
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._objects)

    def get(self, namespace: str | None, name: str) -> Obj | None:
        return self._objects.get((namespace or "", name))

    def select(
        self, namespace: str | None = None, labels: Mapping[str, str] | None = None
    ) -> list[Obj]:
        with self._lock:
            found = [o for k, o in self._objects.items() if namespace is None or k[0] == namespace]
        if labels:
            found = [o for o in found if _matches(o, labels)]
        return found

    def by_index(self, index: str, value: str) -> list[Obj]:
        with self._lock:
            keys = list(self._index[index].get(value, ()))
            return [self._objects[k] for k in keys if k in self._objects]

    def names(self) -> list[Key]:
        with self._lock:
            return list(self._objects)

    def _unindex(self, key: Key, obj: Obj) -> None:
        for name, fn in self.indexers.items():
            for value in fn(obj):
                keys = self._index[name].get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self._index[name][value]

    def _put(self, obj: Obj) -> Change | None:
        key = key_of(obj)
        old = self._objects.get(key)
        if old is not None and _rv(obj) <= _rv(old):
            return None
        obj = compact(obj)
        if old is not None:
            self._unindex(key, old)
        self._objects[key] = obj
        for name, fn in self.indexers.items():
            for value in fn(obj):
                self._index[name][value].add(key)
        return (old, obj)

    def upsert(self, obj: Obj) -> Change | None:
        """Store `obj` unless what is stored is as new or newer; the change, or None."""
        with self._lock:
            return self._put(self.trim(obj))

    def remove(self, obj: Mapping[str, Any]) -> Change | None:
        with self._lock:
            key = key_of(obj)
            old = self._objects.pop(key, None)
            if old is None:
                return None
            self._unindex(key, old)
            return (old, None)

    def replace(self, objects: Iterable[Obj]) -> list[Change]:
        """Make the store hold exactly `objects` (a fresh list); the changes it made."""
        with self._lock:
            changes: list[Change] = []
            seen: set[Key] = set()
            for obj in objects:
                seen.add(key_of(obj))
                change = self._put(self.trim(obj))
                if change is not None:
                    changes.append(change)
            for key in [k for k in self._objects if k not in seen]:
                gone = self.remove(self._objects[key])
                if gone is not None:
                    changes.append(gone)
            return changes


def _matches(obj: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    have = (obj.get("metadata") or {}).get("labels") or {}
    return all(have.get(k) == v for k, v in labels.items())
