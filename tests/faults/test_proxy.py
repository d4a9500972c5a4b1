"""The TCP proxy against a local echo server: forward, stall, cut, thaw, drop. No cluster."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from faults.proxy import TcpProxy


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.request.sendall(data)


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with TcpProxy("127.0.0.1", server.server_address[1]) as running:
        yield running
    server.shutdown()
    server.server_close()


def connect(proxy: TcpProxy) -> socket.socket:
    return socket.create_connection(("127.0.0.1", proxy.port), timeout=2)


def echoes(sock: socket.socket, data: bytes = b"ping", timeout: float = 2.0) -> bool:
    sock.settimeout(timeout)
    sock.sendall(data)
    try:
        return sock.recv(4096) == data
    except TimeoutError:
        return False


def test_bytes_flow_both_ways(proxy: TcpProxy) -> None:
    with connect(proxy) as sock:
        assert echoes(sock)
        assert echoes(sock, b"x" * 1000)


def test_a_stall_holds_bytes_without_closing_and_heal_leaves_it_cut(proxy: TcpProxy) -> None:
    with connect(proxy) as old:
        assert echoes(old)
        assert proxy.stall() == 1
        assert not echoes(old, timeout=0.5)  # nothing back, and no close either
        with connect(proxy) as during:
            assert not echoes(during, timeout=0.5)  # partitioned: new ones stall too
            assert proxy.heal() == 2
        assert not echoes(old, timeout=0.5)  # cut for good
        with connect(proxy) as after:
            assert echoes(after)


def test_thaw_resumes_a_stalled_connection_where_it_stopped(proxy: TcpProxy) -> None:
    with connect(proxy) as sock:
        proxy.stall()
        assert not echoes(sock, b"held", timeout=0.5)
        assert proxy.thaw() == 1
        sock.settimeout(2)
        assert sock.recv(4096) == b"held"
        assert echoes(sock)


def test_drop_closes_every_connection(proxy: TcpProxy) -> None:
    with connect(proxy) as sock:
        assert echoes(sock)
        assert proxy.drop() == 1
        sock.settimeout(2)
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(4096) == b""
        with connect(proxy) as again:
            assert echoes(again)
