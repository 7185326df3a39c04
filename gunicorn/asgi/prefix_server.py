"""``PrefixServer``: a TLS listener of the asgi worker whose clients send a
PROXY header in clear before the TLS handshake (``--proxy-protocol`` with
``--certfile``; HAProxy proxy-protocol.txt section 2).

``loop.create_server(ssl=...)`` would start the handshake on the header's
bytes, and ``loop.start_tls`` cannot be given bytes a protocol already
received.  So such a listener is served here: each accepted socket has its
header read on readiness (``gunicorn.workers.proxy_tls.ProxyPrefixReader``
peeks, then consumes exactly the header, leaving the ClientHello unread),
then ``loop.connect_accepted_socket(ssl=...)`` does the handshake (ALPN
``h2``/``http/1.1`` as usual) and starts the ``ASGIProtocol``, which is told
the header (``proxy_prefix_done``, ``proxy_info``).

The header and the handshake are each bounded by *timeout* seconds; a
refused header (403 forbidden peer, 400 malformed) closes the connection
with a log line, as no HTTP answer can precede the handshake.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from typing import Any, Callable

from gunicorn.workers import netio
from gunicorn.workers.proxy_tls import ProxyPrefixReader, log_refused

__all__ = ["PrefixServer"]

# accept() calls per readiness callback at most: others get the loop too
_ACCEPT_BATCH = 32


class PrefixServer:
    """Accepts on *listener* and hands each connection to *factory* once its
    PROXY header was read and its TLS handshake done.

    Args:
        loop: the running event loop.
        listener: the listening socket (made non-blocking).
        factory: ``factory() -> ASGIProtocol``.
        ssl_context: the server ``ssl.SSLContext``.
        settings: the ``ParserSettings`` (proxy mode, ``proxy_allow_ips``).
        timeout: seconds for the header, and again for the handshake.
        log: the worker's logger.
        max_pending: connections that may be in either step at once (the
            worker's ``worker_connections``); more are closed at accept.

    ``close()`` stops accepting and drops connections still in either step
    (the same role as ``asyncio.Server.close``).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, listener: Any,
                 factory: Callable[[], Any], ssl_context: ssl.SSLContext, settings: Any,
                 timeout: float, log: Any, max_pending: int = 1000) -> None:
        self.loop, self.listener, self.factory = loop, listener, factory
        self.max_pending = max_pending
        self.ssl_context, self.settings = ssl_context, settings
        self.timeout, self.log = timeout, log
        self._pending: set[asyncio.Task[Any]] = set()
        self._closed = False

    def start(self) -> None:
        """Start accepting (a reader on the listener)."""
        self.listener.setblocking(False)
        self.loop.add_reader(self.listener.fileno(), self._accept)

    def close(self) -> None:
        """Stop accepting; cancel the connections not handed over yet."""
        if self._closed:
            return
        self._closed = True
        self.loop.remove_reader(self.listener.fileno())
        for task in list(self._pending):
            task.cancel()

    def _accept(self) -> None:
        for _ in range(_ACCEPT_BATCH):
            try:
                sock, addr = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in netio.ACCEPT_SKIP:
                    continue
                self.log.warning("accept() failed: %s", exc)
                if exc.errno in netio.ACCEPT_EXHAUSTED:
                    # out of descriptors: the listener stays readable
                    self.loop.remove_reader(self.listener.fileno())
                    self.loop.call_later(netio.ACCEPT_BACKOFF, self._resume)
                return
            if len(self._pending) >= self.max_pending:
                # peers that send no PROXY header or never finish the
                # handshake must not hold more than worker_connections
                self.log.debug("worker_connections (%s) connections before their PROXY "
                               "header or handshake: refusing %s", self.max_pending, addr)
                sock.close()
                continue
            sock.setblocking(False)
            task = self.loop.create_task(self._serve(sock, addr))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    def _resume(self) -> None:
        if not self._closed:
            self.loop.add_reader(self.listener.fileno(), self._accept)

    async def _serve(self, sock: socket.socket, addr: Any) -> None:
        handed = False
        try:
            try:
                info = await asyncio.wait_for(self._read_prefix(sock, addr), self.timeout)
            except Exception as exc:  # refused, malformed, silent past timeout
                log_refused(self.log, exc, addr)
                return

            def protocol() -> Any:
                proto = self.factory()
                proto.proxy_prefix_done = True
                proto.proxy_info = info
                return proto

            try:
                await self.loop.connect_accepted_socket(
                    protocol, sock, ssl=self.ssl_context,
                    ssl_handshake_timeout=self.timeout or None)
                handed = True
            except (OSError, ssl.SSLError, asyncio.TimeoutError, ConnectionError) as exc:
                self.log.debug("TLS handshake failed with %s: %r", addr, exc)
        finally:
            if not handed:
                sock.close()

    async def _read_prefix(self, sock: socket.socket, addr: Any) -> dict[str, Any] | None:
        reader = ProxyPrefixReader(self.settings, addr)
        while True:
            try:
                if reader.step(sock.recv):
                    return reader.info
            except (BlockingIOError, InterruptedError):
                await self._readable(sock)

    async def _readable(self, sock: socket.socket) -> None:
        loop = self.loop
        fd = sock.fileno()
        ready = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, wake)
        try:
            await ready
        finally:
            loop.remove_reader(fd)
