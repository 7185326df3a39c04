"""The stream between a protocol connection and an application adapter.

One stream carries one request/response exchange: an HTTP/1.1 request on a
connection (``HTTP1Stream`` here), later an HTTP/2 stream.  The WSGI runner
(``gunicorn.workers.wsgi_call``, ``gunicorn.http.wsgi.create``) talks only to
a stream, never to a socket, so the same application code runs over any
protocol and in any pool thread, greenlet or task.

The interface (``Stream``) is protocol-neutral:

* ``send_informational(status_code, headers)``: an interim response (103);
* ``send_head(status_code, headers, reason=None, *, content_length=None,
  server=None, upgrade=False)``: the final head;
* ``send_data(data) -> int``: content; ``sendfile(file, offset, count)``:
  content from a file, zero-copy where the transport allows;
* ``end(trailers=None)``: the end of the response;
* ``read(size) -> bytes``: the request content, at most *size* bytes per
  call; each call also reports the bytes before it as consumed (HTTP/2
  turns that into WINDOW_UPDATE; HTTP/1.1 simply reads on);
* ``plan_response(status_code, content_length)``, ``keep_alive``,
  ``request_close()``: what the protocol will do with the response and the
  connection after it.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

from .core.connection import ERROR, ServerConnection
from .core.framing import response_framing

__all__ = ["Stream", "HTTP1Stream", "JOIN_LIMIT", "connection_of"]

#: Content at least this big is written next to the response head with one
#: gather write (``sendmsg``) instead of being copied into it (plain sockets).
VECTOR_MIN = 16 * 1024

#: Content pieces up to this size are joined with the head or chunk framing
#: into one write (one syscall, no small segment waiting on a delayed ACK);
#: bigger ones are written separately rather than copied.
JOIN_LIMIT = 256 * 1024


class Stream:
    """What an application adapter may do with one request/response exchange.

    The base class of every stream (``isinstance(x, Stream)`` tells a stream
    from a socket); the methods below are the interface.
    """

    __slots__ = ()

    #: the underlying socket when there is one (``gunicorn.socket``), else None
    socket: Any

    def send_informational(self, status_code: int, headers: list[tuple[str, str]]) -> None:
        """Send an interim 1xx response (no-op where the client cannot take one)."""
        raise NotImplementedError

    def send_head(self, status_code: int, headers: list[tuple[str, str]],
                  reason: str | None = None, content_length: int | None = None,
                  close: bool = False, upgrade: bool = False, server: str | None = None,
                  end: bool = False, data: bytes = b"") -> int:
        """Send the final response head (it may be held until content follows).
        *headers* are validated and free of connection-level fields;
        *content_length* is the Content-Length among them or None.  *end*:
        the response has no content, the head also ends it (then no
        ``end()`` call follows).  *data*: the first content, sent with the
        head (as ``send_data`` would).  Returns the content bytes taken."""
        raise NotImplementedError

    def send_data(self, data: bytes) -> int:
        """Send content; return how many content bytes were taken (capped at
        Content-Length, 0 on a response without content)."""
        raise NotImplementedError

    def sendfile(self, file: Any, offset: int, count: int) -> int | None:
        """Send *count* bytes of *file* from *offset*; None when the transport
        cannot do it (the caller then reads the file and calls send_data)."""
        raise NotImplementedError

    def can_sendfile(self) -> bool:
        """Whether ``sendfile`` can be used at all."""
        return False

    def end(self, trailers: list[tuple[str, str]] | None = None) -> None:
        """End the response (with trailer fields where the protocol can)."""
        raise NotImplementedError

    def flush(self) -> None:
        """Write anything held back (a head waiting for its content)."""
        raise NotImplementedError

    def read(self, size: int) -> bytes:
        """Up to *size* bytes of request content; b"" at its end.  Calling it
        again reports the bytes returned before as consumed."""
        raise NotImplementedError

    def send_continue(self) -> None:
        """Tell a client waiting for it to send its content (100 Continue)."""
        raise NotImplementedError

    def plan_response(self, status_code: int, content_length: int | None) -> tuple[int, bool]:
        """(framing, keep_alive) a response would get now (``core.framing.BODY_*``)."""
        raise NotImplementedError

    def response_framing(self, status_code: int, content_length: int | None) -> int:
        """The framing alone (``core.framing.BODY_*``)."""
        return self.plan_response(status_code, content_length)[0]

    @property
    def keep_alive(self) -> bool:
        """Whether the connection may carry another exchange after this one."""
        raise NotImplementedError

    def request_close(self) -> None:
        """Ask for the connection to close after this exchange."""
        raise NotImplementedError

    def abort(self) -> None:
        """The response cannot be completed (the application failed after
        the head went out): cut the exchange so the client sees it broken."""
        raise NotImplementedError


class HTTP1Stream(Stream):
    """A ``Stream`` over an HTTP/1.1 ``ServerConnection``, written by the
    thread that runs the application.

    Args:
        conn: the connection that parsed the request (or one made by
            ``ServerConnection.for_request``).
        sock: where the bytes go: anything with ``sendall(bytes)``; a real
            socket also gets zero-copy ``sendfile``.
        source: the request content reader (``read(size)``), or None when
            there is no content to read.

    The response head is held back until the first content, ``end()`` or
    ``flush()``, so that a small response goes out in one write.  Bytes are
    written with ``sock.sendall`` by the calling thread: a pool thread running
    an application writes its response itself, with no hand-off to an event
    loop (measured: a hand-off costs a queue put, a wake-up and a thread
    switch per response).  On a plain socket, a head with content of
    ``VECTOR_MIN`` bytes or more goes out in one ``sendmsg`` without copying
    the content.
    """

    __slots__ = ("conn", "sock", "_pending", "_source", "_continued", "_sendmsg")

    def __init__(self, conn: ServerConnection, sock: Any, source: Any = None) -> None:
        self.conn = conn
        self.sock = sock
        self._pending = b""
        self._source = source
        self._continued = False
        # gather writes only on plain sockets (TLS has no sendmsg)
        self._sendmsg = (getattr(sock, "sendmsg", None)
                         if type(sock) is socket.socket else None)
        # an application answers this request: request content cut short
        # must raise in its reads (RFC 9112 section 8), never read as short
        conn.strict_content = True

    @property
    def socket(self) -> Any:  # type: ignore[override]
        """The socket the bytes go to."""
        return self.sock

    @classmethod
    def for_request(cls, req: Any, sock: Any) -> HTTP1Stream:
        """The stream for *req* writing to *sock*: over the request's own
        connection when it came through one (``Request``), else over a
        connection made from the request's method, version and
        ``should_close()``."""
        return cls(connection_of(req), sock)

    # ------------------------------------------------------------ request content

    def read(self, size: int) -> bytes:
        """Up to *size* bytes of request content (b"" at its end).

        Before the first read, a client waiting for ``100 Continue`` gets it.
        Raises ClientDisconnected when the peer closed before the content
        was complete, and the request errors of a malformed body.
        """
        if not self._continued:
            self._continued = True
            self.send_continue()
        source = self._source
        if source is None:
            return b""
        return source.read(size)

    def send_continue(self) -> None:
        """Send ``100 Continue`` now if the client waits for it."""
        conn = self.conn
        if conn.client_is_waiting_for_100_continue:
            self.sock.sendall(conn.send_informational(100))

    def attach_source(self, source: Any) -> None:
        """Read the request content from *source* (``read(size)``)."""
        self._source = source

    # ------------------------------------------------------------ response

    def send_informational(self, status_code: int, headers: list[tuple[str, str]]) -> None:
        """Write an interim response now (nothing for an HTTP/1.0 client)."""
        data = self.conn.send_informational(status_code, headers)
        if data:
            self.sock.sendall(data)

    def send_head(self, status_code: int, headers: list[tuple[str, str]],
                  reason: str | None = None, content_length: int | None = None,
                  close: bool = False, upgrade: bool = False, server: str | None = None,
                  end: bool = False, data: bytes = b"") -> int:
        """Prepare the final head (see ``ServerConnection.send_head``); it is
        written with *data* (the first content) in one write, or with the
        first content, ``end()`` or ``flush()``, or at once with *end* (a
        response without content).  Returns the content bytes of *data* taken."""
        conn = self.conn
        if end:
            self.sock.sendall(conn.send_head(status_code, headers, reason, content_length, close,
                                             upgrade, server, True))
            return 0
        if not data:
            self._pending = conn.send_head(status_code, headers, reason, content_length, close,
                                           upgrade, server)
            return 0
        if len(data) >= VECTOR_MIN and self._sendmsg is not None:
            # head and content in one write, the content not copied
            head = conn.send_head(status_code, headers, reason, content_length, close,
                                  upgrade, server)
            prefix, body, suffix = conn.frame_data(data)
            self._sendv((head + prefix, body, suffix))
            return len(body)
        if len(data) <= JOIN_LIMIT:
            # head and first piece in one write; the piece may be cut at the
            # Content-Length or dropped (no content)
            self.sock.sendall(conn.send_head(status_code, headers, reason, content_length, close,
                                             upgrade, server, False, data))
            return conn.content_sent
        self._pending = conn.send_head(status_code, headers, reason, content_length, close,
                                       upgrade, server)
        return self._send_parts(*conn.frame_data(data))

    def _sendv(self, parts: tuple[bytes, Any, bytes]) -> None:
        """Write *parts* in order with as few ``sendmsg`` calls as the socket
        allows (a partial write resumes where it stopped)."""
        views = [memoryview(p) for p in parts if p]
        sendmsg = self._sendmsg
        assert sendmsg is not None
        while views:
            sent = sendmsg(views)
            while views and sent >= len(views[0]):
                sent -= len(views.pop(0))
            if sent:
                views[0] = views[0][sent:]

    def _send_parts(self, prefix: bytes, data: Any, suffix: bytes) -> int:
        sendall = self.sock.sendall
        pending = self._pending
        if pending:
            self._pending = b""
            prefix = pending + prefix
        if prefix:
            sendall(prefix)
        sendall(data)
        if suffix:
            sendall(suffix)
        return len(data)

    def send_data(self, data: Any) -> int:
        """Write one piece of content, framed; returns the content bytes taken."""
        prefix, data, suffix = self.conn.frame_data(data)
        size = len(data)
        if size and size <= JOIN_LIMIT:
            pending = self._pending
            if pending:
                # the held-back head (or a chunk's CRLF) goes out with this piece
                self._pending = b""
                self.sock.sendall(b"".join((pending, prefix, data, suffix)))
            elif prefix or suffix:
                self.sock.sendall(b"".join((prefix, data, suffix)))
            else:
                self.sock.sendall(data)
            return size
        if size:
            return self._send_parts(prefix, data, suffix)
        # nothing to send but what was held back
        self.flush()
        return 0

    def can_sendfile(self) -> bool:
        """True when the socket takes ``sendfile``: a blocking plain socket
        (not TLS, which would copy through userspace anyway)."""
        sock = self.sock
        try:
            return (not isinstance(sock, ssl.SSLSocket) and sock.gettimeout() != 0.0
                    and callable(sock.sendfile))
        except (AttributeError, OSError):
            return False

    def sendfile(self, file: Any, offset: int, count: int) -> int | None:
        """Send *count* bytes of *file* from *offset* with ``socket.sendfile``.

        None (nothing written) when the socket cannot (see ``can_sendfile``).
        Returns the bytes sent; fewer than framed (the file shrank) breaks
        the framing and the connection will close.
        """
        if not self.can_sendfile():
            return None
        send_file = self.sock.sendfile
        conn = self.conn
        count, prefix, suffix = conn.frame_file(count)
        head = self._pending + prefix if self._pending else prefix
        self._pending = b""
        if head:
            self.sock.sendall(head)
        if not count:
            return 0
        sent = send_file(file, offset, count)
        if sent < count:
            conn.send_failed()
            return sent
        # the chunk's CRLF goes out with the next write
        self._pending = suffix
        return sent

    def flush(self) -> None:
        """Write what is held back (the head, a chunk's CRLF)."""
        pending = self._pending
        if pending:
            self._pending = b""
            self.sock.sendall(pending)

    def end(self, trailers: list[tuple[str, str]] | None = None) -> None:
        """Write the end of the response (last-chunk and trailers when chunked)."""
        tail = self.conn.send_end(trailers)
        pending = self._pending
        if pending:
            self._pending = b""
            if self.conn.our_state is ERROR:
                # a failed sendfile broke the framing: nothing more goes out
                return
            tail = pending + tail
        if tail:
            self.sock.sendall(tail)

    def plan_response(self, status_code: int, content_length: int | None) -> tuple[int, bool]:
        """(framing, keep_alive) for a response not sent yet."""
        return self.conn.plan_response(status_code, content_length)

    def response_framing(self, status_code: int, content_length: int | None) -> int:
        """The framing (``core.framing.BODY_*``) of a response not sent yet."""
        conn = self.conn
        return response_framing(conn.method, conn.http_version, status_code, content_length)

    @property
    def keep_alive(self) -> bool:
        """Whether the connection may serve another request afterwards."""
        return self.conn.keep_alive

    def request_close(self) -> None:
        """Close the connection after this response."""
        self.conn.request_close()

    def abort(self) -> None:
        """Cut the connection in the middle of a response: the framing is
        broken (``send_failed``) and the socket is shut down both ways so
        the client sees an incomplete message (RFC 9112 section 8)."""
        self._pending = b""
        self.conn.send_failed()
        shutdown = getattr(self.sock, "shutdown", None)
        if shutdown is not None:
            try:
                shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def response_started(self) -> bool:
        """True once the final head was prepared."""
        return self.conn.response_started


def connection_of(req: Any) -> ServerConnection:
    """The connection *req* came through (``req.connection``), or one made
    for it from its method, version, ``should_close()`` and expectation."""
    conn = getattr(req, "connection", None)
    if isinstance(conn, ServerConnection):
        return conn
    return _detached_connection(req)


def _detached_connection(req: Any) -> ServerConnection:
    """A connection for a request object that was parsed elsewhere."""
    version = getattr(req, "version", (1, 1))
    should_close = getattr(req, "should_close", None)
    keep = not should_close() if callable(should_close) else True
    expect = bool(getattr(req, "_expected_100_continue", False))
    if expect:
        reader = getattr(getattr(req, "body", None), "reader", None)
        if getattr(reader, "length", None) == 0:
            # no content announced: nothing to wait for (RFC 9110 10.1.1)
            expect = False
    return ServerConnection.for_request(getattr(req, "method", "GET"), version,
                                        keep_alive=bool(keep), expect_100=expect)

