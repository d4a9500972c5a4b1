"""Restart one component of a LocalCluster the way it was started, same ports and arguments.

`LocalCluster` starts every component in `up()` and stops them all in `down()`; a fault needs
one of them gone and back. This stops the process named in the cluster's state.json (SIGTERM
and a grace period, or SIGKILL at once for a crash) and starts it again through the cluster's
own start method, which reuses the ports and data directory kept in that state and waits
until the component answers its health check. The new process id goes into state.json, so
`down()` stops it as usual.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from unittest import mock

from it4it_operator.devcluster import LocalCluster, audit
from it4it_operator.devcluster.cluster import _alive, _stop

RESTARTABLE = ("etcd", "kube-apiserver")


def stop_component(cluster: LocalCluster, name: str, *, crash: bool = False) -> None:
    """Stop `name` (SIGKILL at once when `crash`, else SIGTERM with 5 s of grace)."""
    cluster.load()
    pid = cluster.pids.get(name)
    if not pid:
        raise RuntimeError(f"{name} is not running in {cluster.directory}")
    _stop(pid, name, 0.0 if crash else 5.0)
    if _alive(pid, name):
        raise RuntimeError(f"{name} (pid {pid}) did not stop")


def start_component(cluster: LocalCluster, name: str) -> None:
    """Start `name` again with the arguments and ports of the cluster's state; returns once
    it is healthy (etcd: /health; kube-apiserver: /readyz)."""
    cluster.load()
    starts: dict[str, Callable[[], None]] = {
        "etcd": cluster._start_etcd,
        "kube-apiserver": cluster._start_apiserver,
    }
    if name not in starts:
        raise ValueError(f"cannot restart {name}; only {', '.join(RESTARTABLE)}")
    starts[name]()


def restart_component(
    cluster: LocalCluster, name: str, *, crash: bool = False, down_seconds: float = 0.0
) -> float:
    """Stop and start `name`; returns the moment (time.monotonic) it answered again."""
    stop_component(cluster, name, crash=crash)
    time.sleep(down_seconds)
    start_component(cluster, name)
    return time.monotonic()


def audit_policy(users: Sequence[str]) -> dict[str, Any]:
    """The dev cluster's audit policy (Metadata level, nobody else's requests) for several
    users: `audit.policy()` names one."""
    policy = audit.policy(users[0])
    policy["rules"][0]["users"] = list(users)
    return policy


@contextlib.contextmanager
def auditing(users: Sequence[str]) -> Iterator[None]:
    """While inside, an API server (re)started by `start_component` audits all of `users`.
    The cluster writes its policy from `audit.policy()` at each start; this swaps that for
    the duration, without changing the dev cluster's code."""
    with mock.patch.object(audit, "policy", lambda user=users[0]: audit_policy(users)):
        yield
