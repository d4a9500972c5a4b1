"""Every call the operator makes to the Kubernetes API: reads from the cache, writes over HTTP.

Objects travel as plain dicts (wire format). Reads of watched kinds come from the in-memory
cache and cost no request; writes use server-side apply under one field manager (so re-running
any step converges to the same objects and a person's edit of a managed field is taken back),
merge patches on the status subresource, and record the API server's answer in the cache at
once. Every failure is a typed `ApiError` naming the object.

`impersonating(user)` is the same facade acting as another identity for its writes (reads stay
the cache's): the controllers apply a release's objects as the tenant's deployer, so RBAC and
admission judge them with the tenant's rights, not the operator's.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import secrets
import threading
from collections.abc import Mapping
from typing import Any

from kubernetes import client
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from it4it_operator.k8s.cache import Cache, Watch
from it4it_operator.k8s.errors import ApiError, NotFoundError
from it4it_operator.k8s.http import Http, Query
from it4it_operator.k8s.informer import ResourceInfo
from it4it_operator.k8s.kubeconfig import load_configuration
from it4it_operator.k8s.store import Obj

FIELD_MANAGER = "it4it-operator"
APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"

log = logging.getLogger(__name__)


def describe_object(obj: Mapping[str, Any]) -> str:
    """ "Kind namespace/name" (or "Kind name") for messages."""
    meta = obj.get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')} {where}{meta.get('name')}"


def api_version_of(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


class Kube:
    """The I/O facade every controller shares; thread-safe (workers call it concurrently)."""

    def __init__(self, cache: Cache, http: Http | None = None, discovery: Any = None) -> None:
        self.cache = cache
        self.http = http
        self._discovery = discovery
        self._resources: dict[tuple[str, str], ResourceInfo | None] = {}
        self._lock = threading.Lock()
        self.acting_as: str | None = None
        """The user every write of this facade impersonates; None: the operator itself."""

    def impersonating(self, user: str) -> Kube:
        """This facade (same cache, connection and discovery) writing as `user`."""
        view = copy.copy(self)
        view.acting_as = user
        return view

    @classmethod
    def connect(
        cls,
        cache: Cache | None = None,
        kubeconfig: str | None = None,
        pool: int = 32,
        *,
        context: str | None = None,
    ) -> Kube:
        """In-cluster configuration when running in a Pod, else the kubeconfig (a kubeconfig
        or context named here wins over the Pod's); without a cache every read is a request
        (the CLI). A kubeconfig that cannot be loaded raises KubeconfigError."""
        load_configuration(kubeconfig, context)
        configuration = client.Configuration.get_default_copy()
        configuration.connection_pool_maxsize = pool
        api_client = client.ApiClient(configuration)
        return cls(cache or Cache([]), Http(api_client), DynamicClient(api_client))

    # -- discovery --------------------------------------------------------------------------
    def resource(self, api_version: str, kind: str) -> ResourceInfo | None:
        """Where the server serves `kind` of `api_version`; None when it does not."""
        key = (api_version, kind)
        with self._lock:
            if key not in self._resources:
                try:
                    found = self._discovery.resources.get(api_version=api_version, kind=kind)
                    self._resources[key] = ResourceInfo(
                        api_version, kind, found.name, bool(found.namespaced)
                    )
                except ResourceNotFoundError:
                    return None
            return self._resources[key]

    def discover(self, watch: Watch) -> ResourceInfo | None:
        """The served resource of a watch (preferred version when it names only a group)."""
        if watch.version:
            return self.resource(api_version_of(watch.group, watch.version), watch.kind)
        with self._lock:
            found = [
                r
                for r in self._discovery.resources.search(group=watch.group, kind=watch.kind)
                if not r.kind.endswith("List") and "/" not in r.name
            ]
        if not found:
            return None
        preferred = [r for r in found if getattr(r, "preferred", False)] or found
        return self.resource(preferred[0].group_version, watch.kind)

    def is_namespaced(self, api_version: str, kind: str) -> bool | None:
        info = self.resource(api_version, kind)
        return None if info is None else info.namespaced

    def _info(self, obj: Mapping[str, Any]) -> ResourceInfo:
        info = self.resource(str(obj["apiVersion"]), str(obj["kind"]))
        if info is None:
            raise NotFoundError(
                404, "NotFound", "the API server does not serve this kind", describe_object(obj)
            )
        return info

    # -- reads (from the cache) -------------------------------------------------------------
    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Obj | None:
        if self.cache.has(kind):
            return self.cache.store(kind).get(namespace, name)
        ref = {
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": name, "namespace": namespace},
        }
        try:
            return self._request("GET", ref)
        except NotFoundError:
            return None

    def list_objects(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[Obj]:
        if self.cache.has(kind):
            return self.cache.store(kind).select(namespace, labels)
        # Not watched (the CLI keeps no cache): one live list.
        ref = {
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": "-", "namespace": namespace},
        }
        selector = ",".join(f"{k}={v}" for k, v in (labels or {}).items())
        query: list[tuple[str, str | int | bool]] = (
            [("labelSelector", selector)] if selector else []
        )
        found = self._request("GET", ref, collection=True, query=query)
        return [
            {"apiVersion": api_version, "kind": kind, **item} for item in found.get("items") or []
        ]

    def by_index(self, kind: str, index: str, value: str) -> list[Obj]:
        return self.cache.store(kind).by_index(index, value)

    def whoami(self) -> dict[str, Any]:
        """The requesting user as the API server authenticated it (a SelfSubjectReview, what
        `kubectl auth whoami` asks): `username`, `groups`, `uid`, `extra`."""
        if self.http is None:
            raise RuntimeError("Kube without a connection")
        review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
        answer = self.http.request(
            "POST",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            body=review,
            what="SelfSubjectReview",
        )
        return dict((answer.get("status") or {}).get("userInfo") or {})

    def namespace_labels(self, name: str) -> dict[str, str] | None:
        found = self.get("v1", "Namespace", name)
        return None if found is None else dict(found["metadata"].get("labels") or {})

    # -- writes -----------------------------------------------------------------------------
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
        if self.http is None:
            raise RuntimeError("Kube without a connection")
        info = self._info(obj)
        meta = obj.get("metadata") or {}
        path = info.object_path(str(meta.get("name")), meta.get("namespace"))
        if collection:
            path = path.rsplit("/", 1)[0]
        if subresource:
            path += f"/{subresource}"
        return self.http.request(
            method,
            path,
            query=query or [],
            body=body,
            content_type=content_type,
            what=describe_object(obj),
            impersonate=self.acting_as,
            warnings=warnings,
        )

    def _written(self, obj: Obj) -> Obj:
        self.cache.record(obj)
        return obj

    def apply(
        self,
        obj: Obj,
        *,
        force: bool = True,
        dry_run: bool = False,
        warnings: list[str] | None = None,
    ) -> Obj:
        """Server-side apply under the operator's field manager; returns the live object. A
        dry run checks the object against schema, admission and RBAC and writes nothing. The
        API server's warnings about it are appended to `warnings`."""
        query: Query = [("fieldManager", FIELD_MANAGER), ("force", force)]
        if dry_run:
            query = [*query, ("dryRun", "All")]
        answer = self._request(
            "PATCH", obj, body=obj, content_type=APPLY, query=query, warnings=warnings
        )
        return answer if dry_run else self._written(answer)

    def create(self, obj: Obj) -> Obj:
        return self._written(self._request("POST", obj, body=obj, collection=True))

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        foreground: bool = False,
    ) -> bool:
        """Delete an object; False when it was already gone."""
        ref = {
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": name, "namespace": namespace},
        }
        body = {"propagationPolicy": "Foreground" if foreground else "Background"}
        try:
            left = self._request("DELETE", ref, body=body)
        except NotFoundError:
            self.cache.forget(ref)
            return False
        if left.get("kind") == kind and (left.get("metadata") or {}).get("finalizers"):
            self.cache.record(left)  # held by finalizers: still there, being deleted
        else:
            self.cache.forget(ref)
        return True

    def patch_status(self, obj: Obj, status: dict[str, Any]) -> Obj:
        """Merge-patch `status` (None values remove keys) on the status subresource."""
        return self._written(
            self._request(
                "PATCH", obj, subresource="status", body={"status": status}, content_type=MERGE
            )
        )

    def patch_metadata(self, obj: Obj, metadata: dict[str, Any]) -> Obj:
        return self.patch(obj, {"metadata": metadata})

    def patch(self, obj: Mapping[str, Any], body: dict[str, Any]) -> Obj:
        """A JSON merge patch of `obj` (a runbook step, a finalizer, an annotation)."""
        return self._written(self._request("PATCH", obj, body=body, content_type=MERGE))

    def emit_event(self, obj: Mapping[str, Any], kind: str, reason: str, message: str) -> None:
        """Post a core/v1 Event about `obj` (what `kubectl describe` shows); never raises."""
        meta = obj["metadata"]
        now = _now()
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": _event_name(obj), "namespace": meta.get("namespace") or "default"},
            "involvedObject": {
                "apiVersion": obj["apiVersion"],
                "kind": obj["kind"],
                "name": meta["name"],
                "namespace": meta.get("namespace"),
                "uid": meta.get("uid"),
            },
            "type": kind,
            "reason": reason,
            "message": message[:1024],
            "source": {"component": FIELD_MANAGER},
            "reportingComponent": FIELD_MANAGER,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        try:
            self.create(event)
        except ApiError as exc:  # an Event is best effort; losing one must not fail a stage
            log.warning("could not post event %s on %s: %s", reason, meta["name"], exc)


def _ref(api_version: str, kind: str, name: str, namespace: str | None) -> Obj:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
    }


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event_name(obj: Mapping[str, Any]) -> str:
    return f"{obj['metadata']['name']}.{secrets.token_hex(8)}"
