"""Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does.

Several replicas may run; each keeps its caches warm, but only the holder of the Lease runs
reconciles. The holder renews the Lease every `renew` seconds; a replica takes it over once it
has not been renewed for `duration` seconds (the holder died or was cut off). A holder that
cannot renew within `duration` stops (the process exits and its Pod restarts as a standby), so
two replicas never write at once for longer than the clock skew between them. Updates carry the
resourceVersion read, so two candidates racing for an expired Lease cannot both win.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from it4it_operator.k8s.errors import ApiError, ConflictError, NotFoundError
from it4it_operator.k8s.http import Http

log = logging.getLogger(__name__)
API = "/apis/coordination.k8s.io/v1"


def _micro(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


@dataclass
class LeaderElector:
    """Acquire and hold Lease `namespace/name` as `identity`."""

    http: Http
    namespace: str
    name: str
    identity: str
    duration: float = 15.0
    renew: float = 5.0

    @property
    def _path(self) -> str:
        return f"{API}/namespaces/{self.namespace}/leases/{self.name}"

    def _body(self, transitions: int, acquired: str, version: str | None) -> dict[str, object]:
        now = _micro(dt.datetime.now(dt.UTC))
        meta: dict[str, object] = {"name": self.name, "namespace": self.namespace}
        if version:
            meta["resourceVersion"] = version
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": meta,
            "spec": {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": int(self.duration),
                "acquireTime": acquired or now,
                "renewTime": now,
                "leaseTransitions": transitions,
            },
        }

    def try_acquire(self) -> bool:
        """One attempt to take or renew the Lease; True while this replica holds it."""
        try:
            lease = self.http.request("GET", self._path, what=f"Lease {self.name}")
        except NotFoundError:
            collection = f"{API}/namespaces/{self.namespace}/leases"
            try:
                self.http.request("POST", collection, body=self._body(0, "", None))
            except ConflictError:
                return False  # another replica created it first
            return True
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity")
        renewed = _parse(spec.get("renewTime")) or dt.datetime.min.replace(tzinfo=dt.UTC)
        seconds = float(spec.get("leaseDurationSeconds") or self.duration)
        expired = dt.datetime.now(dt.UTC) - renewed > dt.timedelta(seconds=seconds)
        if holder not in (self.identity, None, "") and not expired:
            return False
        transitions = int(spec.get("leaseTransitions") or 0) + (holder != self.identity)
        acquired = spec.get("acquireTime") if holder == self.identity else ""
        version = (lease.get("metadata") or {}).get("resourceVersion")
        try:
            self.http.request(
                "PUT", self._path, body=self._body(transitions, acquired or "", version)
            )
        except ConflictError:
            return False
        return True

    def acquire(self, stopped: threading.Event) -> bool:
        """Block until this replica holds the Lease (True) or `stopped` is set (False)."""
        while not stopped.is_set():
            try:
                if self.try_acquire():
                    log.info("leader election: %s holds Lease %s", self.identity, self.name)
                    return True
            except ApiError as exc:
                log.warning("leader election: %s", exc)
            stopped.wait(self.renew)
        return False

    def hold(self, stopped: threading.Event, lost: Callable[[], None]) -> threading.Thread:
        """Renew in the background; call `lost` once renewing failed for `duration` seconds."""

        def renew() -> None:
            last = time.monotonic()
            while not stopped.wait(self.renew):
                try:
                    if self.try_acquire():
                        last = time.monotonic()
                        continue
                except ApiError as exc:
                    log.warning("leader election: renewing failed: %s", exc)
                if time.monotonic() - last > self.duration:
                    log.error("leader election: lost Lease %s; stopping", self.name)
                    lost()
                    return

        thread = threading.Thread(target=renew, name="lease", daemon=True)
        thread.start()
        return thread
