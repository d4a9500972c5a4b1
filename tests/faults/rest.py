"""A small, typed Kubernetes REST client over the standard library, for the suite's own reads
and writes (the admin's kubeconfig, or any other of the local cluster's: client certificates).

One connection per request, so a restarted API server never leaves a stale one behind; a watch
is a streamed GET read line by line. The operator never uses this: it has its own client.
"""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

Obj = dict[str, Any]
GROUP_PATH = "/apis/it4it.dev/v1alpha1"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"


class ApiError(Exception):
    def __init__(self, status: int, body: str, what: str) -> None:
        super().__init__(f"{what}: HTTP {status}: {body[:300]}")
        self.status, self.body = status, body


def it4it(plural: str, namespace: str | None = None, name: str | None = None) -> str:
    """The path of an it4it.dev collection or object."""
    where = f"/namespaces/{namespace}" if namespace else ""
    return f"{GROUP_PATH}{where}/{plural}" + (f"/{name}" if name else "")


def core(plural: str, namespace: str | None = None, name: str | None = None) -> str:
    where = f"/namespaces/{namespace}" if namespace else ""
    return f"/api/v1{where}/{plural}" + (f"/{name}" if name else "")


def apps(plural: str, namespace: str | None = None, name: str | None = None) -> str:
    where = f"/namespaces/{namespace}" if namespace else ""
    return f"/apis/apps/v1{where}/{plural}" + (f"/{name}" if name else "")


def rbac(plural: str, namespace: str | None = None, name: str | None = None) -> str:
    where = f"/namespaces/{namespace}" if namespace else ""
    return f"/apis/rbac.authorization.k8s.io/v1{where}/{plural}" + (f"/{name}" if name else "")


class Rest:
    """Requests as the user of `kubeconfig` (a kubeconfig of the local cluster: JSON with file
    paths for the CA, the client certificate and its key)."""

    def __init__(self, kubeconfig: Path, timeout: float = 30.0) -> None:
        config = json.loads(kubeconfig.read_text())
        cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
        server = urllib.parse.urlsplit(cluster["server"])
        self.host, self.port = server.hostname or "127.0.0.1", server.port or 443
        self.timeout = timeout
        self._ssl = ssl.create_default_context(cafile=cluster["certificate-authority"])
        self._ssl.load_cert_chain(user["client-certificate"], user["client-key"])

    def _connection(self, timeout: float | None) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(
            self.host, self.port, context=self._ssl, timeout=timeout or self.timeout
        )

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        query: Mapping[str, str] | Sequence[tuple[str, str]] = (),
        content_type: str = "application/json",
        missing_ok: bool = False,
        timeout: float | None = None,
    ) -> Obj | None:
        """The answer's JSON; None for a 404 when `missing_ok`. Raises ApiError otherwise."""
        url = path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = content_type
        connection = self._connection(timeout)
        try:
            connection.request(method, url, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read().decode(errors="replace")
        finally:
            connection.close()
        if response.status == 404 and missing_ok:
            return None
        if response.status >= 400:
            raise ApiError(response.status, data, f"{method} {path}")
        return dict(json.loads(data)) if data else {}

    def get(self, path: str) -> Obj | None:
        return self.request("GET", path, missing_ok=True)

    def list(self, path: str, selector: str | None = None) -> list[Obj]:
        query = {"labelSelector": selector} if selector else {}
        found = self.request("GET", path, query=query) or {}
        return list(found.get("items") or [])

    def create(self, path: str, obj: Obj, manager: str = "it4it-faults") -> Obj:
        return self.request("POST", path, obj, query={"fieldManager": manager}) or {}

    def merge(self, path: str, patch: Obj, manager: str = "it4it-faults") -> Obj | None:
        """A JSON merge patch (None when the object is gone)."""
        query = {"fieldManager": manager}
        return self.request("PATCH", path, patch, query=query, content_type=MERGE, missing_ok=True)

    def apply(self, path: str, obj: Obj, manager: str = "it4it-faults") -> Obj:
        """Server-side apply (force) of `obj` at its object path."""
        query = {"fieldManager": manager, "force": "true"}
        return self.request("PATCH", path, obj, query=query, content_type=APPLY) or {}

    def delete(self, path: str) -> bool:
        """Delete (background propagation); whether it was still there."""
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        return self.request("DELETE", path, body, missing_ok=True) is not None

    def watch(
        self, path: str, query: Mapping[str, str], timeout: float = 60.0
    ) -> Iterator[tuple[str, Obj]]:
        """(type, object) of every watch event on `path` until the server ends the watch."""
        connection = self._connection(timeout)
        url = f"{path}?{urllib.parse.urlencode({**query, 'watch': '1'})}"
        try:
            connection.request("GET", url, headers={"Accept": "application/json"})
            response = connection.getresponse()
            if response.status >= 400:
                raise ApiError(response.status, response.read().decode(), f"WATCH {path}")
            while line := response.readline():
                if line.strip():
                    event = json.loads(line)
                    yield str(event.get("type")), dict(event.get("object") or {})
        finally:
            connection.close()
