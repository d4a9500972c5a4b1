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
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from it4it_operator.devcluster import LocalCluster
from it4it_operator.devcluster.cluster import _alive, _stop

RESTARTABLE = ("etcd", "kube-apiserver")


def stop_component(cluster: LocalCluster, name: str, *, crash: bool = False) -> None:
    """Stop `name`: SIGKILL at once when `crash`, else SIGTERM with 5 s of grace (then
    SIGKILL). Returns when the process is gone (and reaped: it is a child of this one)."""
    cluster.load()
    pid = cluster.pids.get(name)
    if not pid:
        raise RuntimeError(f"{name} is not running in {cluster.directory}")
    if crash:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    _stop(pid, name, 5.0)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                break
        if not _alive(pid, name) and not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.05)
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
