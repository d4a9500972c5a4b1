"""Leader election on a Lease: one holder at a time, takeover after expiry, no double win."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from it4it_operator.k8s.errors import ConflictError, NotFoundError
from it4it_operator.k8s.lease import LeaderElector


class LeaseServer:
    """The API server's view of one Lease, with resourceVersion checks on update."""

    def __init__(self) -> None:
        self.lease: dict[str, Any] | None = None
        self.version = 0

    def request(self, method: str, path: str, *, body: Any = None, **_: Any) -> dict[str, Any]:
        if method == "GET":
            if self.lease is None:
                raise NotFoundError(404, "NotFound", "no lease")
            return copy.deepcopy(self.lease)
        if method == "POST" and self.lease is not None:
            raise ConflictError(409, "AlreadyExists", "exists")
        if method == "PUT" and body["metadata"].get("resourceVersion") != str(self.version):
            raise ConflictError(409, "Conflict", "changed")
        self.version += 1
        self.lease = copy.deepcopy(body)
        self.lease["metadata"]["resourceVersion"] = str(self.version)
        return copy.deepcopy(self.lease)


def elector(server: LeaseServer, who: str) -> LeaderElector:
    return LeaderElector(server, "it4it-system", "it4it-operator", who, duration=15, renew=5)  # type: ignore[arg-type]


def test_the_first_replica_takes_the_lease_and_the_second_stands_by() -> None:
    server = LeaseServer()
    assert elector(server, "a").try_acquire()
    assert not elector(server, "b").try_acquire()
    assert elector(server, "a").try_acquire(), "the holder renews"
    assert server.lease is not None and server.lease["spec"]["holderIdentity"] == "a"


def test_a_lease_not_renewed_for_its_duration_is_taken_over() -> None:
    server = LeaseServer()
    assert elector(server, "a").try_acquire()
    assert server.lease is not None
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=20)
    server.lease["spec"]["renewTime"] = stale.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert elector(server, "b").try_acquire()
    assert server.lease["spec"]["holderIdentity"] == "b"
    assert server.lease["spec"]["leaseTransitions"] == 1
    assert not elector(server, "a").try_acquire(), "the old holder is now the standby"


@pytest.mark.parametrize("first", ["a", "b"])
def test_two_candidates_for_an_expired_lease_cannot_both_win(first: str) -> None:
    server = LeaseServer()
    assert elector(server, "old").try_acquire()
    assert server.lease is not None
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=20)
    server.lease["spec"]["renewTime"] = stale.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    read = copy.deepcopy(server.lease)
    winner = elector(server, first).try_acquire()
    # the other candidate read the Lease before the winner wrote it: its update must fail
    other = "b" if first == "a" else "a"
    server_view = server.lease
    server.lease = read
    server.lease["metadata"]["resourceVersion"] = str(server.version - 1)
    loser = elector(server, other).try_acquire()
    server.lease = server_view
    assert winner and not loser
