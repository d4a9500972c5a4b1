"""Raw JSON requests to the API server over the official client's connection pool and auth.

The client's generated models cost more CPU and memory than the rest of a reconcile pass, and
the dynamic client deserializes every watch event into them. The operator only needs wire-format
dicts, so requests go straight through the client's urllib3 pool with the headers the client
computes (bearer token refresh, client certificates, TLS settings all stay the client's), and
failures come back as the typed errors of `errors.py`.

A request may act as another identity (`impersonate`: the Impersonate-User header), which is
how the operator applies a release's objects with the rights of the tenant's deployer
ServiceAccount; and the API server's warnings (e.g. "would violate PodSecurity") can be
collected, since a dry run that passes with a warning may still be refused once it runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import urllib3
from kubernetes import client

from it4it_operator.k8s.errors import ApiError, UnavailableError, api_error

JSON = "application/json"
QUIET = "WatchQuiet"
"""The reason of a watch that sent nothing, not even a bookmark, within its read timeout."""
Query = Sequence[tuple[str, str | int | bool]]


class Http:
    """JSON over HTTP with the client's configuration; thread-safe (urllib3 pools are)."""

    def __init__(self, api_client: client.ApiClient, *, timeout: float = 30.0) -> None:
        self.api_client = api_client
        self.timeout = timeout

    def _send(
        self,
        method: str,
        path: str,
        *,
        query: Query = (),
        body: bytes | None = None,
        content_type: str = JSON,
        timeout: urllib3.Timeout | float | None = None,
        impersonate: str | None = None,
    ) -> urllib3.BaseHTTPResponse:
        params = [(k, str(v).lower() if isinstance(v, bool) else v) for k, v in query]
        header_params = {"Accept": JSON, "Content-Type": content_type}
        if impersonate:
            header_params["Impersonate-User"] = impersonate
        _, url, headers, _, _ = self.api_client.param_serialize(
            method,
            path,
            query_params=params,
            header_params=header_params,
            auth_settings=["BearerToken"],
        )
        pool = self.api_client.rest_client.pool_manager
        try:
            return pool.request(
                method,
                url,
                body=body,
                headers=headers,
                timeout=timeout if timeout is not None else self.timeout,
                preload_content=False,
                retries=False,
            )
        except urllib3.exceptions.ReadTimeoutError as exc:
            self.drop_idle_connections()
            raise UnavailableError(0, "ConnectionError", str(exc)) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise UnavailableError(0, "ConnectionError", str(exc)) from exc

    def drop_idle_connections(self) -> None:
        """Close every pooled connection not in use. A connection that stalls without being
        closed (a partition, a dead middlebox) is not seen as dropped when it is taken from the
        pool, and each request sent on one waits its whole timeout: when one stalls, the others
        opened before it likely do too, so none is reused (in-use ones close when released)."""
        self.api_client.rest_client.pool_manager.clear()

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Query = (),
        body: Any = None,
        content_type: str = JSON,
        what: str = "",
        impersonate: str | None = None,
        warnings: list[str] | None = None,
    ) -> dict[str, Any]:
        """One request (as `impersonate`, when given); the decoded JSON response, or a typed
        ApiError naming `what`. The server's Warning headers are appended to `warnings`."""
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        resp = self._send(
            method,
            path,
            query=query,
            body=data,
            content_type=content_type,
            impersonate=impersonate,
        )
        if warnings is not None:
            warnings += [_warning_text(w) for w in resp.headers.getlist("Warning")]
        try:
            raw = resp.read()
        except urllib3.exceptions.HTTPError as exc:
            if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
                self.drop_idle_connections()
            raise UnavailableError(0, "ConnectionError", str(exc), what) from exc
        finally:
            resp.release_conn()
        if not 200 <= resp.status < 300:
            raise api_error(resp.status, raw, what)
        decoded = json.loads(raw) if raw else {}
        return decoded if isinstance(decoded, dict) else {}

    def stream(
        self, path: str, *, query: Query = (), read_timeout: float = 330.0
    ) -> Iterator[dict[str, Any]]:
        """The JSON lines of a watch response, until the server closes it; a read that stalls
        longer than `read_timeout` raises UnavailableError (a connection cut without a close)."""
        resp = self._send(
            "GET", path, query=query, timeout=urllib3.Timeout(connect=10.0, read=read_timeout)
        )
        try:
            if not 200 <= resp.status < 300:
                raise api_error(resp.status, resp.read())
            pending = b""
            for chunk in resp.stream(65536, decode_content=True):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line.strip():
                        yield json.loads(line)
        except urllib3.exceptions.ReadTimeoutError as exc:
            self.drop_idle_connections()  # silence may be a stall: reconnect, do not reuse
            raise UnavailableError(0, QUIET, str(exc)) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise UnavailableError(0, "WatchInterrupted", str(exc)) from exc
        finally:
            resp.release_conn()
            resp.close()


def _warning_text(header: str) -> str:
    """The text of an RFC 7234 Warning header value: `299 - "text"` -> `text`."""
    parts = header.split(" ", 2)
    text = parts[2] if len(parts) == 3 else header
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1].replace('\\"', '"')
    return text


__all__ = ["ApiError", "Http"]
