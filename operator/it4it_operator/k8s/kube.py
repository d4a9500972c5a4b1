"""Every call the operator makes to the Kubernetes API, on one dynamic client built at startup.

Objects travel as plain dicts (wire format). Writes to managed objects use server-side apply
under one field manager, so re-running any step converges to the same objects and a person's
edit of a managed field is taken back. Status is written with merge patches on the status
subresource, never through kopf's return values.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import threading
from typing import Any

from kubernetes import client, config
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError

FIELD_MANAGER = "it4it-operator"

log = logging.getLogger(__name__)


class Kube:
    """A thin, thread-safe facade over the dynamic client (kopf runs sync handlers in threads)."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self.api_client = api_client
        self._dynamic = DynamicClient(api_client)
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, kubeconfig: str | None = None) -> Kube:
        """In-cluster configuration when running in a Pod, else the kubeconfig."""
        try:
            config.load_incluster_config()
        except config.ConfigException:
            # KUBECONFIG is read now, not when the client was imported (`make run` sets it late).
            config.load_kube_config(config_file=kubeconfig or os.environ.get("KUBECONFIG"))
        return cls(client.ApiClient())

    def _resource(self, api_version: str, kind: str) -> Any:
        with self._lock:
            return self._dynamic.resources.get(api_version=api_version, kind=kind)

    def is_namespaced(self, api_version: str, kind: str) -> bool | None:
        """Whether the API server serves this kind namespaced; None when it does not know it."""
        try:
            return bool(self._resource(api_version, kind).namespaced)
        except ResourceNotFoundError:
            return None

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None:
        try:
            found = self._resource(api_version, kind).get(name=name, namespace=namespace)
        except NotFoundError:
            return None
        return dict(found.to_dict())

    def list_objects(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        labels: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        selector = ",".join(f"{k}={v}" for k, v in (labels or {}).items()) or None
        found = self._resource(api_version, kind).get(namespace=namespace, label_selector=selector)
        return [dict(item.to_dict()) for item in found.items]

    def list_group_kind(
        self, group: str, kind: str, namespace: str, labels: dict[str, str]
    ) -> list[dict[str, Any]]:
        """List a kind known only by API group (preferred version); [] if the server lacks it."""
        with self._lock:
            found = [
                r
                for r in self._dynamic.resources.search(group=group, kind=kind)
                if not r.kind.endswith("List") and "/" not in r.name
            ]
        if not found:
            return []
        preferred = [r for r in found if getattr(r, "preferred", False)] or found
        return self.list_objects(preferred[0].group_version, kind, namespace, labels)

    def apply(self, obj: dict[str, Any], *, force: bool = True) -> dict[str, Any]:
        """Server-side apply under the operator's field manager; returns the live object."""
        resource = self._resource(obj["apiVersion"], obj["kind"])
        applied = resource.server_side_apply(
            body=obj,
            name=obj["metadata"]["name"],
            namespace=obj["metadata"].get("namespace"),
            field_manager=FIELD_MANAGER,
            force_conflicts=force,
        )
        return dict(applied.to_dict())

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        resource = self._resource(obj["apiVersion"], obj["kind"])
        return dict(resource.create(body=obj, namespace=obj["metadata"].get("namespace")).to_dict())

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
        body = {"propagationPolicy": "Foreground" if foreground else "Background"}
        try:
            self._resource(api_version, kind).delete(name=name, namespace=namespace, body=body)
        except NotFoundError:
            return False
        return True

    def patch_status(self, obj: dict[str, Any], status: dict[str, Any]) -> None:
        """Merge-patch `status` (None values remove keys) on the status subresource."""
        meta = obj["metadata"]
        resource = self._resource(obj["apiVersion"], obj["kind"])
        self._dynamic.patch(
            resource.status,
            body={"status": status},
            name=meta["name"],
            namespace=meta.get("namespace"),
            content_type="application/merge-patch+json",
        )

    def patch_metadata(self, obj: dict[str, Any], metadata: dict[str, Any]) -> None:
        meta = obj["metadata"]
        self._resource(obj["apiVersion"], obj["kind"]).patch(
            body={"metadata": metadata},
            name=meta["name"],
            namespace=meta.get("namespace"),
            content_type="application/merge-patch+json",
        )

    def emit_event(self, obj: dict[str, Any], kind: str, reason: str, message: str) -> None:
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
        except Exception as exc:  # an Event is best effort; losing one must not fail a stage
            log.warning("could not post event %s on %s: %s", reason, meta["name"], exc)

    def namespace_labels(self, name: str) -> dict[str, str] | None:
        found = self.get("v1", "Namespace", name)
        return None if found is None else dict(found["metadata"].get("labels") or {})


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event_name(obj: dict[str, Any]) -> str:
    return f"{obj['metadata']['name']}.{secrets.token_hex(8)}"
