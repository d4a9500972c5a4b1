"""A connection that stalls without a close is not reused (k8s/http.py).

A partition or a dead middlebox leaves pooled connections open but silent; urllib3 cannot tell
them from idle healthy ones, so every request sent on one waits its whole timeout. After one
times out, the pooled connections are dropped and the next request opens a fresh one.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from kubernetes import client

from it4it_operator.k8s.errors import UnavailableError
from it4it_operator.k8s.http import Http


@pytest.fixture
def silent_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """Accepts connections on 127.0.0.1 and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    server.close()


def test_a_stalled_request_drops_the_pooled_connections(
    silent_server: tuple[int, list[socket.socket]],
) -> None:
    port, accepted = silent_server
    configuration = client.Configuration()
    configuration.host = f"http://127.0.0.1:{port}"
    http = Http(client.ApiClient(configuration), timeout=0.3)
    pools = http.api_client.rest_client.pool_manager.pools
    with pytest.raises(UnavailableError):
        http.request("GET", "/api/v1/namespaces")
    assert len(pools) == 0, "no pool kept after a stall: the next request reconnects"
    with pytest.raises(UnavailableError):
        http.request("GET", "/api/v1/namespaces")
    assert len(accepted) == 2, "the second request opened a connection of its own"
