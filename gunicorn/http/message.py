"""Blocking HTTP/1.x request objects over the sans-IO connection.

``Request(cfg, unreader, peer_addr, req_number=1)`` reads one request head in
its constructor: it feeds bytes from *unreader* to the connection's
``ServerConnection`` (kept on the unreader, so the requests of one
connection share it) until the connection yields a ``RequestHead``, and
raises StopIteration when the peer closed before sending anything.  ``body``
reads the content through the same connection (``ConnectionReader``).
Keep-alive, pipelined bytes and limits are the connection's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# ChunkedReader and LengthReader: names gunicorn 25.0 had here
from .body import Body, ChunkedReader, ConnectionReader, EOFReader, LengthReader  # noqa: F401
from .core.connection import ServerConnection
from .core.events import CONNECTION_CLOSED, NEED_DATA
from .core.fields import apply_underscore_policy, parse_field_section
from .core.grammar import (
    METHOD_BADCHAR_RE,
    RFC9110_5_5_INVALID_AND_DANGEROUS,
    TOKEN_RE,
    VERSION_RE,
)
from .core.head import RequestHead, parse_request_line, split_target
from .core.proxy import PP_V2_SIGNATURE, PPCommand, PPFamily, PPProtocol, parse_proxy_prefix
from .core.settings import (
    DEFAULT_MAX_HEADERFIELD_SIZE,
    MAX_HEADERS,
    MAX_REQUEST_LINE,
    settings_for,
)
from .errors import (
    ForbiddenProxyRequest,
    InvalidRequestLine,
    InvalidSchemeHeaders,
    LimitRequestLine,
    LocalProtocolError,
    NoMoreData,
)
from .unreader import Unreader

__all__ = [
    "Message",
    "Request",
    "MAX_REQUEST_LINE",
    "MAX_HEADERS",
    "DEFAULT_MAX_HEADERFIELD_SIZE",
    "TOKEN_RE",
    "METHOD_BADCHAR_RE",
    "VERSION_RE",
    "RFC9110_5_5_INVALID_AND_DANGEROUS",
    "PP_V2_SIGNATURE",
    "PPCommand",
    "PPFamily",
    "PPProtocol",
]


def connection_for(cfg: Any, unreader: Any, peer_addr: Any) -> ServerConnection:
    """The ``ServerConnection`` reading from *unreader*, made on first use.

    It is kept on the unreader (``unreader.connection``) for the requests
    that follow.  ``settings_for(cfg)`` gives new settings after any
    ``cfg.set()``; they apply from the next request head on.
    """
    settings = settings_for(cfg)
    conn = getattr(unreader, "connection", None)
    if type(conn) is not ServerConnection or conn.peer_addr is not peer_addr:
        conn = ServerConnection(settings, peer_addr)
        try:
            unreader.connection = conn
        except AttributeError:
            pass
    elif conn.settings is not settings:
        conn.use_settings(settings)
    return conn


def _limit(name: str, doc: str) -> Any:
    """A property reading the request limit *name* of the message's
    ``ParserSettings`` unless it was set on the message itself."""
    key = "_" + name

    def get(self: Any) -> int:
        return self.__dict__.get(key, getattr(self._settings, name))

    def put(self: Any, value: int) -> None:
        self.__dict__[key] = value

    return property(get, put, doc=doc)


class Message:
    """Base class of parsed HTTP/1.x messages.

    Attributes: ``cfg``, ``unreader``, ``peer_addr``/``remote_addr``,
    ``version`` (tuple), ``headers`` (list of (UPPERCASE name, value)),
    ``trailers``, ``body`` (Body), ``scheme``, ``must_close``,
    ``limit_request_fields``, ``limit_request_field_size``,
    ``max_buffer_headers``, ``connection`` (the ``ServerConnection``).
    Parsing happens in the constructor.
    """

    # Until parse() sets them (class-level, so that a request costs fewer
    # assignments).
    version: tuple[int, int] | None = None
    body: Body | None = None
    must_close = False
    _expected_100_continue = False
    _connection: str | None = None
    _head: RequestHead | None = None

    def __init__(self, cfg: Any, unreader: Unreader, peer_addr: Any) -> None:
        self.cfg, self.unreader = cfg, unreader
        # remote_addr is the historical name of peer_addr.
        self.peer_addr = self.remote_addr = peer_addr
        self.headers: list[tuple[str, str]] = []
        self.trailers: list[tuple[str, str]] = []

        # the connection is kept on the unreader for the requests after this one
        conn = self.connection = connection_for(cfg, unreader, peer_addr)
        settings = conn.settings
        assert settings is not None  # connection_for gives it the cfg's settings
        self._settings = settings
        self.scheme = settings.policy.default_scheme

        unused = self.parse(unreader)
        if unused:
            unreader.unread(unused)
        self.set_body_reader()

    # The limits in force, from the settings (read when asked: few ever are);
    # setting one overrides it for this message only.
    limit_request_fields = _limit("limit_request_fields", "Most field lines in a head.")
    limit_request_field_size = _limit("limit_request_field_size",
                                      "Longest field line, in bytes.")
    max_buffer_headers = _limit("max_buffer_headers", "Largest field section, in bytes.")
    limit_request_line = _limit("limit_request_line",
                                "Longest request-line, in bytes (0: up to the hard ceiling).")

    def force_close(self) -> None:
        """Mark the connection for closing after this message."""
        self.must_close = True
        self.connection.request_close()

    def parse(self, unreader: Unreader) -> bytes:
        """Read and parse the head; return the bytes that follow it."""
        raise NotImplementedError()

    def parse_headers(self, data: bytes, from_trailer: bool = False) -> list[tuple[str, str]]:
        """Parse a field block (lines separated by CRLF, no final empty line).

        Applies the field rules and ``header_map``; for a header section (not
        trailers) also the trusted secure-scheme headers, setting ``scheme``.
        """
        if not data:
            return []
        block = bytes(data).decode("latin-1") + "\r\n"
        settings = self._settings
        trusted = (not from_trailer) and settings.policy.forwarded_trusted(self.peer_addr)
        headers = parse_field_section(block, settings)
        headers = apply_underscore_policy(headers, settings, trusted)
        if trusted:
            secure = settings.policy.secure_scheme_headers
            seen = None
            for name, value in headers:
                if name in secure:
                    scheme = "https" if value == secure[name] else "http"
                    if seen is not None and scheme != seen:
                        raise InvalidSchemeHeaders()
                    seen = self.scheme = scheme
        return headers

    def set_body_reader(self) -> None:
        """Attach ``body``: the content read through the connection, framed
        as its head said (Content-Length, chunked, or none)."""
        head = self._head
        if head is None:
            # a subclass parsed the head some other way
            self.body = Body(EOFReader(self.unreader))
        else:
            self.body = Body(ConnectionReader(self.connection, self.unreader, self.trailers,
                                              None if head.chunked else head.content_length))

    def should_close(self) -> bool:
        """True if the connection must close after this message (RFC 9112 9.3).

        The connection decides: what the request says (version, Connection
        field, must_close), reading the body failed or came up short of its
        Content-Length, and, once the response went out, what it said.
        """
        if self.must_close:
            return True
        return not self.connection.keep_alive


class Request(Message):
    """An HTTP/1.x request read from *unreader*.

    Adds ``method``, ``uri`` (raw request-target), ``path``, ``query``,
    ``fragment``, ``req_number``, ``limit_request_line`` and
    ``proxy_protocol_info`` (dict or None; PROXY headers are only read on the
    first request of a connection).  Raises the errors of
    ``gunicorn.http.errors``; StopIteration when the peer closed cleanly.
    """

    method: str | None = None
    uri: str | None = None
    path: str | None = None
    query: str | None = None
    fragment: str | None = None
    proxy_protocol_info: dict[str, Any] | None = None
    #: the vars of a uWSGI request (gunicorn.uwsgi.UWSGIRequest); None here
    uwsgi_vars: dict[str, str] | None = None

    def __init__(self, cfg: Any, unreader: Unreader, peer_addr: Any, req_number: int = 1) -> None:
        self.req_number = req_number
        super().__init__(cfg, unreader, peer_addr)

    def get_data(self, unreader: Unreader, buf: Any, stop: bool = False) -> None:
        """Append one input block to *buf* (BytesIO); StopIteration/NoMoreData at EOF."""
        buf.write(_next_block(unreader, stop, buf.getvalue))

    def read_into(self, unreader: Unreader, buf: bytearray, stop: bool = False) -> None:
        """Append one input block to *buf* (bytearray); StopIteration/NoMoreData at EOF."""
        buf.extend(_next_block(unreader, stop, lambda: bytes(buf)))

    def read_line(self, unreader: Unreader, buf: bytearray, limit: int = 0
                  ) -> tuple[bytes, bytearray]:
        """Read up to CRLF; return (line without CRLF, remaining buffer).

        Raises LimitRequestLine when the line exceeds *limit* (0 = unlimited).
        """
        while (end := buf.find(b"\r\n")) < 0:
            # Without a CRLF yet, all but a possible trailing CR counts.
            if limit and len(buf) - 2 > limit:
                raise LimitRequestLine(len(buf), limit)
            self.read_into(unreader, buf)
        if limit and end > limit:
            raise LimitRequestLine(end, limit)
        return bytes(buf[:end]), bytearray(buf[end + 2:])

    def read_bytes(self, unreader: Unreader, buf: bytearray, count: int
                   ) -> tuple[bytes, bytearray]:
        """Read exactly *count* bytes; return (those bytes, remaining buffer)."""
        while len(buf) < count:
            self.read_into(unreader, buf)
        return bytes(buf[:count]), bytearray(buf[count:])

    def parse(self, unreader: Unreader) -> bytes:
        """Read the (optional PROXY prefix and) request head from *unreader*.

        Bytes go to the connection until it yields the head; what follows
        the head stays there (nothing is returned).  A connection past an
        earlier request first moves to the next cycle (its unread body is
        drained within the connection's limit).  Raises StopIteration when
        the peer closed before sending a byte (or no further request may be
        read), NoMoreData when it closed mid-head, and the head errors of
        gunicorn.http.errors (RFC 9112 sections 2-5).
        """
        conn = self.connection
        if conn.req_number:
            # a connection past an earlier request (whose response may not
            # have gone through the connection: the parser used alone)
            if not conn.start_next_request():
                # the connection must close: no further request on it
                raise StopIteration()
            if not conn.buffered:
                conn.receive_data(unreader.read())
        else:
            # a new connection holds nothing yet
            conn.receive_data(unreader.read())
        next_event = conn.next_event
        event = next_event()
        while event is NEED_DATA:
            conn.receive_data(unreader.read())
            event = next_event()
        if event is CONNECTION_CLOSED:
            # the peer closed between requests: not an error
            raise StopIteration()
        self._use_head(event, conn)
        return b""

    def _use_head(self, head: RequestHead, conn: ServerConnection) -> None:
        self._head = head
        self.method, self.uri, self.version = head.method, head.uri, head.version
        self.path, self.query, self.fragment = head.path, head.query, head.fragment
        self.headers, self.scheme = head.headers, head.scheme
        self._expected_100_continue = head.expect_100
        self._connection = head.connection
        if head.must_close:
            self.must_close = True
        if conn.req_number == 1:
            self.proxy_protocol_info = conn.proxy_protocol_info

    @classmethod
    def from_head(cls, cfg: Any, unreader: Unreader, peer_addr: Any, conn: ServerConnection,
                  head: RequestHead) -> Request:
        """A Request for a head *conn* already produced, for drivers that
        feed the connection themselves (an event loop reads the head, a pool
        thread runs the application).

        Args:
            cfg: the Config.
            unreader: where the body's bytes come from once the connection
                needs more (e.g. ``SocketUnreader(sock)``, blocking reads).
            peer_addr: the peer address given to the connection.
            conn: the ServerConnection; it is kept as ``unreader.connection``.
            head: the ``RequestHead`` event ``conn.next_event()`` returned.
        """
        req = cls.__new__(cls)
        req.req_number = conn.req_number
        req.cfg, req.unreader = cfg, unreader
        req.peer_addr = req.remote_addr = peer_addr
        req.trailers = []
        settings = conn.settings
        if settings is None:
            raise LocalProtocolError("the connection has no receiving side")
        req._settings = settings
        req.scheme = settings.policy.default_scheme
        req.connection = conn
        try:
            unreader.connection = conn
        except AttributeError:
            pass
        req._use_head(head, conn)
        req.set_body_reader()
        return req

    def _handle_proxy_protocol(self, unreader: Unreader, buf: Any, mode: str) -> Any:
        """Consume a PROXY v1/v2 header at the start of *buf*; return the rest."""
        peer = self.peer_addr
        allowed = self._settings.policy.proxy_allowed(peer)
        host = peer[0] if isinstance(peer, tuple) else peer
        while True:
            result = parse_proxy_prefix(buf, mode, allowed, host)
            if result is not None:
                break
            data = unreader.read()
            if not data:
                raise NoMoreData(bytes(buf))
            buf = bytes(buf) + data
        info, consumed = result
        if info is not None:
            self.proxy_protocol_info = info
        return buf[consumed:] if consumed else buf

    def proxy_protocol_access_check(self) -> None:
        """Raise ForbiddenProxyRequest unless the peer is in ``proxy_allow_ips``."""
        peer = self.peer_addr
        if not self._settings.policy.proxy_allowed(peer):
            raise ForbiddenProxyRequest(peer[0])

    def parse_request_line(self, line_bytes: bytes) -> None:
        """Parse a request-line (bytes, no CRLF) into method/uri/path/query/fragment/version."""
        line = bytes(line_bytes).decode("latin-1")
        method, target, version = parse_request_line(line, self._settings)
        try:
            path, query, fragment = split_target(target)
        except ValueError:
            raise InvalidRequestLine(line)
        self.method, self.uri, self.version = method, target, version
        self.path, self.query, self.fragment = path, query, fragment


def _next_block(unreader: Unreader, stop: bool, buffered: Callable[[], bytes]) -> bytes:
    """The next block of input. At end of input raise StopIteration when
    *stop* (the peer closed between messages), else NoMoreData carrying
    ``buffered()``, the partial message read so far."""
    block = unreader.read()
    if block:
        return block
    if stop:
        raise StopIteration()
    raise NoMoreData(buffered())


# gunicorn 25.0 names other code imports from this module
from .errors import ExpectationFailed, ForbiddenProxyRequest, InvalidHeader, InvalidHeaderName, InvalidHTTPVersion, InvalidProxyHeader, InvalidProxyLine, InvalidRequestLine, InvalidRequestMethod, InvalidSchemeHeaders, LimitRequestHeaders, LimitRequestLine, NoMoreData, ObsoleteFolding, UnsupportedTransferCoding  # noqa: E402, F401, F811, I001
from gunicorn.util import bytes_to_str, split_request_uri  # noqa: E402, F401
