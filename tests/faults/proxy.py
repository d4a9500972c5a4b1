"""A TCP proxy on 127.0.0.1 between the operator and the API server, that can fail like a network.

TLS passes through untouched (the operator's client certificate reaches the API server, so the
audit log still names the operator's user); the operator's kubeconfig points at the proxy and
verifies the API server's certificate, whose SANs hold 127.0.0.1 (`tls-server-name` keeps the
name it checks explicit). Faults:

- `stall()`: every connection open now stops forwarding bytes both ways without closing, and so
  does every new one until `heal()` (a partition). `heal()` lets new connections through again
  but leaves the stalled ones dead: a watch cut without a close, as when a NAT or load balancer
  forgets a flow. Only the client's own timeout gets it out. `thaw()` instead resumes the
  stalled connections where they stopped (a pause, not a cut).
- `drop()`: closes every connection at once (both sides).
- `delay`: seconds added before each chunk the client sends, a slowed API that widens the
  window between two requests of the operator. A chunk held back is dropped when the client
  closed meanwhile (killed), as it would never have left a client that died first.

Runs its own asyncio loop on a daemon thread; the methods are called from any thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")
CHUNK = 65536


@dataclass(eq=False)
class _Connection:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    flowing: asyncio.Event = field(default_factory=asyncio.Event)
    cut: bool = False
    """Stalled for good: bytes that arrive are dropped, the server's close is not passed on."""
    held: list[tuple[asyncio.StreamWriter, bytes]] = field(default_factory=list)

    def close(self) -> None:
        for writer in (self.client, self.upstream):
            with contextlib.suppress(Exception):
                writer.close()


class TcpProxy:
    """Forward 127.0.0.1:`port` (a free one by default) to `upstream_host`:`upstream_port`."""

    def __init__(self, upstream_host: str, upstream_port: int, port: int = 0) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = port
        self.delay = 0.0
        self.accepted = 0
        self._partitioned = False
        self._connections: set[_Connection] = set()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="proxy", daemon=True)

    # -- life ----------------------------------------------------------------------------------
    def start(self) -> TcpProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- faults --------------------------------------------------------------------------------
    def stall(self) -> int:
        """Stop forwarding on every connection, now and new ones until `heal`; how many."""
        return self._call(self._stall())

    def heal(self) -> int:
        """New connections flow again; the stalled ones stay dead (cut). How many are cut."""
        return self._call(self._heal())

    def thaw(self) -> int:
        """Resume every stalled connection where it stopped; how many."""
        return self._call(self._thaw())

    def drop(self) -> int:
        """Close every connection (client and upstream side); how many."""
        return self._call(self._drop())

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    # -- inside the loop -----------------------------------------------------------------------
    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(30)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _shutdown(self) -> None:
        await self._drop()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    async def _stall(self) -> int:
        self._partitioned = True
        for connection in self._connections:
            connection.flowing.clear()
        return len(self._connections)

    async def _heal(self) -> int:
        self._partitioned = False
        cut = [c for c in self._connections if not c.flowing.is_set()]
        for connection in cut:
            connection.cut = True
            connection.held.clear()
        return len(cut)

    async def _thaw(self) -> int:
        self._partitioned = False
        stalled = [c for c in self._connections if not c.flowing.is_set() and not c.cut]
        for connection in stalled:
            for writer, data in connection.held:
                with contextlib.suppress(Exception):
                    writer.write(data)
            connection.held.clear()
            connection.flowing.set()
        return len(stalled)

    async def _drop(self) -> int:
        dropped = list(self._connections)
        for connection in dropped:
            connection.close()
        self._connections.clear()
        return len(dropped)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        connection = _Connection(writer, up_writer)
        if not self._partitioned:
            connection.flowing.set()
        self._connections.add(connection)
        try:
            await asyncio.gather(
                self._pump(connection, reader, up_writer, from_client=True),
                self._pump(connection, up_reader, writer, from_client=False),
            )
        finally:
            self._connections.discard(connection)
            connection.close()

    async def _pump(
        self,
        connection: _Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        from_client: bool,
    ) -> None:
        """Copy one direction. A stalled connection keeps reading (so a close by the client is
        seen) but holds the bytes (or drops them once cut); the server's close of a stalled
        connection is not passed on, as no packet of it would reach the client."""
        try:
            while data := await reader.read(CHUNK):
                if from_client and self.delay:
                    await asyncio.sleep(self.delay)
                    if reader.at_eof():
                        break  # the client died meanwhile: this never left it
                if connection.cut:
                    continue
                if not connection.flowing.is_set():
                    connection.held.append((writer, data))
                    continue
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        if not from_client and not connection.flowing.is_set():
            # The server side ended while stalled: the client never hears of it.
            with contextlib.suppress(Exception):
                connection.upstream.close()
            return
        connection.close()
