"""The server side of one HTTP/1.1 connection, both directions, sans-IO.

Modelled on h11.  A driver (a worker's event loop, a blocking adapter, an
asyncio protocol) moves bytes; this object decides everything else::

    conn = ServerConnection(settings_for(cfg), peer_addr)
    conn.receive_data(bytes_from_socket)        # b"" when the peer closed
    event = conn.next_event()                   # RequestHead, Data, EndOfMessage,
                                                # NEED_DATA, PAUSED, CONNECTION_CLOSED
    sock.sendall(conn.send(Response(200, [("Content-Length", "2")])))
    sock.sendall(conn.send(Data(b"ok")))
    sock.sendall(conn.send(EndOfMessage()))
    if conn.keep_alive:
        conn.start_next_cycle()                 # pipelined bytes become the next request
    else:
        sock.close()

It alone decides keep-alive (RFC 9112 section 9.3), answers ``Expect:
100-continue`` (RFC 9110 section 10.1.1), frames response content (RFC 9112
section 6: Content-Length, chunked, close-delimited, none for HEAD/1xx/204/304),
keeps pipelined bytes for the next request, drains an unread request body up
to ``DRAIN_LIMIT`` bytes, and applies the request limits of its
``ParserSettings``.

States of each side and the events that move them are the tables
``THEIR_TRANSITIONS`` and ``OUR_TRANSITIONS`` below; a send that the table
does not allow raises ``LocalProtocolError``.  (The per-request paths check
the current state and store the table's target directly rather than look it
up; a test walks whole exchanges against the tables.)  Request errors raise the
exceptions of ``gunicorn.http.errors`` (each knows its status); answer them
with ``send_error(exc)``.

The ``send_*`` methods are ``send(event)`` without building the event object,
for the per-request hot path of the WSGI adapter.
"""

from __future__ import annotations

from typing import Any

from ... import SERVER
from ..errors import ClientDisconnected, LocalProtocolError, NoMoreData
from .chunked import ChunkedDecoder
from .events import (
    CONNECTION_CLOSED,
    NEED_DATA,
    PAUSED,
    Data,
    EndOfMessage,
    ErrorResponse,
    InformationalResponse,
    Response,
    Sentinel,
)
from .framing import (
    BODY_CHUNKED,
    BODY_CLOSE,
    BODY_LENGTH,
    BODY_NONE,
    BODY_RAW,
    response_framing,
    should_close,
)
from .head import HeadParser, RequestHead
from .proxy import parse_proxy_prefix
from .serialize import (
    _SERVER_LINE,
    CONNECTION_LINES,
    CONTINUE_100,
    LAST_CHUNK,
    TE_CHUNKED_LINE,
    date_line,
    error_page,
    reason_phrase,
    render_fields,
    server_line,
    status_line,
)
from .settings import ParserSettings

#: HTTP version of the responses on a uWSGI connection (core/uwsgi.py): the
#: HTTP/1.0 framing (Content-Length or close-delimited content, no 1xx,
#: RFC 9110 15.2 and RFC 9112 6.3) is all nginx's uwsgi module understands.
UWSGI_RESPONSE_VERSION = (1, 0)

__all__ = [
    "ServerConnection",
    "RequestReader",
    "DRAIN_LIMIT",
    "IDLE",
    "SEND_RESPONSE",
    "SEND_BODY",
    "DONE",
    "MUST_CLOSE",
    "PEER_CLOSED",
    "ERROR",
    "CLOSED",
    "THEIR_TRANSITIONS",
    "OUR_TRANSITIONS",
    "Data",
    "EndOfMessage",
    "NEED_DATA",
    "PAUSED",
    "CONNECTION_CLOSED",
]

#: Most bytes of an unread request body discarded after the response so the
#: connection can be reused; past it closing is cheaper than reading on
#: (RFC 9112 section 9.3 lets either side close at any time).
DRAIN_LIMIT = 1024 * 1024

# ------------------------------------------------------------------ states

IDLE = Sentinel("IDLE")                    # between requests
SEND_RESPONSE = Sentinel("SEND_RESPONSE")  # ours: request head seen, no final head yet
SEND_BODY = Sentinel("SEND_BODY")          # message content in progress
DONE = Sentinel("DONE")                    # message complete, connection reusable
MUST_CLOSE = Sentinel("MUST_CLOSE")        # message complete, connection must close
PEER_CLOSED = Sentinel("PEER_CLOSED")      # theirs: the peer closed (between requests)
ERROR = Sentinel("ERROR")                  # a protocol error: nothing more on this connection

# Event kinds of the tables (the classes, plus two internal kinds).
_CLOSED_BY_PEER = Sentinel("closed-by-peer")
_END = Sentinel("end-of-content")
_DRAIN_OVER = Sentinel("drain-over-limit")

#: The client's side: (state, event) -> next state.  RFC 9112 sections 2-7:
#: a request head, then its content (Content-Length or chunked, section 6),
#: then either the next request or the end of the connection (section 9).
THEIR_TRANSITIONS: dict[tuple[Sentinel, Any], Sentinel] = {
    (IDLE, RequestHead): SEND_BODY,
    (IDLE, _CLOSED_BY_PEER): PEER_CLOSED,
    (SEND_BODY, Data): SEND_BODY,
    (SEND_BODY, EndOfMessage): DONE,
    # the rest of an unread body was over the drain limit (section 9.3)
    (SEND_BODY, _DRAIN_OVER): MUST_CLOSE,
}

#: Our side: (state, event) -> next state.  1xx responses precede the final
#: one (RFC 9110 section 15.2); an error page answers a request that could
#: not be parsed (or whose handling failed before any head went out) and
#: always ends the connection.  After EndOfMessage the state is DONE, or
#: MUST_CLOSE when the connection cannot be reused (``keep_alive``).
OUR_TRANSITIONS: dict[tuple[Sentinel, Any], Sentinel] = {
    (IDLE, ErrorResponse): MUST_CLOSE,
    (SEND_RESPONSE, InformationalResponse): SEND_RESPONSE,
    (SEND_RESPONSE, Response): SEND_BODY,
    (SEND_RESPONSE, ErrorResponse): MUST_CLOSE,
    (SEND_BODY, Data): SEND_BODY,
    (SEND_BODY, EndOfMessage): DONE,
}

# request content framing (their side)
_B_END, _B_LENGTH, _B_CHUNKED = range(3)
# receive sub-states of their IDLE state: no prefix expected, a PROXY
# prefix expected, the prefix was read
_R_HEAD, _R_PROXY, _R_HEAD_DONE = range(3)


def _their_next(state: Sentinel, kind: Any) -> Sentinel:
    try:
        return THEIR_TRANSITIONS[(state, kind)]
    except KeyError:
        raise LocalProtocolError("client side cannot go from %r on %s"
                                 % (state, getattr(kind, "__name__", kind))) from None


def _our_next(state: Sentinel, kind: Any) -> Sentinel:
    try:
        return OUR_TRANSITIONS[(state, kind)]
    except KeyError:
        raise LocalProtocolError("cannot send %s in state %r"
                                 % (getattr(kind, "__name__", kind), state)) from None


# Response fields the connection owns: taken out of Response.headers and
# replaced by its own (RFC 9110 section 7.6.1 hop-by-hop, plus Server/Date).
_OWNED_FIELDS = frozenset({
    "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
    "proxy-authenticate", "proxy-authorization", "server", "date",
})


class ServerConnection:
    """One HTTP/1.1 connection as seen by the server.

    Args:
        settings: the ``ParserSettings`` of the configuration (request
            limits and switches, read once; share one per worker).
        peer_addr: the socket peer, (host, port), a UNIX path or None (None
            is a trusted peer); it decides whether forwarded fields and a
            PROXY prefix are honoured.
        drain_limit: bytes of unread request content discarded to keep the
            connection (default ``DRAIN_LIMIT``).

    Attributes: ``their_state`` and ``our_state`` (module states),
    ``head`` (the current ``RequestHead``), ``req_number`` (1-based count of
    request heads), ``proxy_protocol_info`` (dict or None).
    """

    __slots__ = (
        "settings", "peer_addr", "drain_limit", "_head_parser",
        "_buf", "_pos", "_eof", "_recv",
        "their_state", "_body", "_remaining", "_decoder", "_delivered", "_draining", "_drained",
        "head", "req_number", "proxy_protocol_info", "method", "http_version",
        "our_state", "_closing", "_expect_100", "_continue_sent", "_framing", "_out_remaining",
        "content_sent", "strict_content", "_uwsgi",
    )

    # slots set only along with the framing they belong to (see __init__)
    _remaining: int
    _drained: int
    _framing: int
    _out_remaining: int

    def __init__(self, settings: ParserSettings | None, peer_addr: Any = None, *,
                 drain_limit: int = DRAIN_LIMIT) -> None:
        self.settings = settings
        self.peer_addr = peer_addr
        self.drain_limit = drain_limit
        # None until the first head (and a PROXY prefix before it) is read
        # (a UWSGIHeadParser with protocol "uwsgi": the same interface)
        self._head_parser: Any = None
        # received bytes not consumed yet: self._buf[self._pos:]
        self._buf: bytes | bytearray = b""
        self._pos = 0
        self._eof = False
        self._recv = _R_HEAD
        self.their_state: Sentinel = IDLE
        self._body = _B_END
        # set with the framing they belong to, read only under it: _remaining
        # (rest of Content-Length content), _drained (draining), _framing and
        # _out_remaining (the response, once its head went out)
        self._decoder: ChunkedDecoder | None = None
        self._delivered = False
        self._draining = False
        self.head: RequestHead | None = None
        self.req_number = 0
        self.proxy_protocol_info: dict[str, Any] | None = None
        #: the current request's method and HTTP version (a response to HEAD
        #: has no content; the status line carries the version)
        self.method = "GET"
        self.http_version = (1, 1)
        self.our_state: Sentinel = IDLE
        # sticky: something requires closing after the current exchange (the
        # connection never starts another cycle once it is set)
        self._closing = False
        self._expect_100 = False
        self._continue_sent = False
        #: content bytes of the current response taken for sending so far
        self.content_sent = 0
        #: set by a stream serving an application: blocking readers of the
        #: request content then raise ClientDisconnected for content cut
        #: short instead of handing over what arrived (the earlier
        #: RequestParser behaviour, kept when it is used alone)
        self.strict_content = False
        # request heads are uWSGI packets (set with the head parser)
        self._uwsgi = False

    @classmethod
    def for_request(cls, method: str, version: tuple[int, int], *, keep_alive: bool = True,
                    expect_100: bool = False) -> ServerConnection:
        """A connection for the response to a request parsed elsewhere.

        For request objects that did not come through a ServerConnection
        (test doubles, other parsers): their side is taken as complete (or,
        with *expect_100*, as holding back content until a 100 Continue),
        ours is ready for the response.  *keep_alive* False when the request
        asked to close.  Such a connection cannot receive.
        """
        # no settings: a connection that cannot receive ("detached")
        conn = cls(None)
        conn._eof = True
        conn.method = method
        conn.http_version = version if type(version) is tuple else (1, 1)
        conn._closing = not keep_alive
        conn._expect_100 = expect_100 and conn.http_version >= (1, 1)
        conn.their_state = SEND_BODY if conn._expect_100 else DONE
        conn.our_state = SEND_RESPONSE
        conn.req_number = 1
        return conn

    def __repr__(self) -> str:
        return "<ServerConnection ours=%r theirs=%r>" % (self.our_state, self.their_state)


    # ------------------------------------------------------------ receiving

    @property
    def buffered(self) -> int:
        """Bytes received and not consumed yet (a driver may stop reading while large)."""
        return len(self._buf) - self._pos

    @property
    def input_ended(self) -> bool:
        """True once ``receive_data(b"")`` recorded that the peer closed."""
        return self._eof

    @property
    def trailing_data(self) -> tuple[bytes, bool]:
        """(bytes received and not consumed, whether the peer closed)."""
        return bytes(self._buf[self._pos:]), self._eof

    def take_buffered(self) -> bytes:
        """Remove and return the bytes received and not consumed (for drivers
        that carry pipelined bytes elsewhere; the connection forgets them)."""
        data = bytes(self._buf[self._pos:]) if self._pos else bytes(self._buf)
        self._buf = b""
        self._pos = 0
        return data

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Add bytes read from the peer; ``b""`` records that the peer closed
        (its side of) the connection.  Raises LocalProtocolError for data
        after the end of input or on a connection built by ``for_request``."""
        if not data:
            self._eof = True
            return
        if self._eof:
            raise LocalProtocolError("this connection has no receiving side"
                                     if self.settings is None
                                     else "data received after the end of input")
        if type(data) is not bytes:
            data = bytes(data)
        buf = self._buf
        pos = self._pos
        if pos >= len(buf):
            # nothing buffered: keep the caller's object, no copy
            self._buf = data
            self._pos = 0
        elif type(buf) is bytearray:
            if pos:
                del buf[:pos]
                self._pos = 0
            buf += data
        else:
            grown = bytearray(buf[pos:]) if pos else bytearray(buf)
            grown += data
            self._buf = grown
            self._pos = 0

    def _take(self, n: int) -> bytes:
        """Consume *n* buffered bytes (n <= buffered)."""
        buf = self._buf
        pos = self._pos
        end = pos + n
        if end >= len(buf):
            self._buf = b""
            self._pos = 0
            if pos == 0 and type(buf) is bytes:
                return buf
            return bytes(buf[pos:])
        self._pos = end
        return bytes(buf[pos:end])

    def _compact(self) -> bytes | bytearray:
        """Drop consumed bytes so that the buffer starts at offset 0."""
        pos = self._pos
        if pos:
            self._buf = self._buf[pos:]
            self._pos = 0
        return self._buf

    def next_event(self) -> Any:
        """The next thing the client sent.

        Returns a ``RequestHead``, ``Data`` (decoded request content),
        ``EndOfMessage`` (with the trailer fields), or a sentinel:
        ``NEED_DATA`` (call ``receive_data``), ``PAUSED`` (a whole request
        was received; the next is read after ``start_next_cycle()``) or
        ``CONNECTION_CLOSED`` (no further request on this connection).

        Raises the request errors of ``gunicorn.http.errors`` (RFC 9112);
        NoMoreData when the peer closed in the middle of a head,
        ClientDisconnected in the middle of Content-Length content.  After an
        error the connection cannot receive any more (LocalProtocolError).
        """
        state = self.their_state
        if state is SEND_BODY:
            try:
                if self._draining:
                    return self._drain()
                return self._body_event()
            except BaseException:
                self._fail()
                raise
        if state is not IDLE:
            if state is DONE:
                return PAUSED
            if state is ERROR:
                raise LocalProtocolError("cannot receive after a protocol error")
            return CONNECTION_CLOSED
        # IDLE: a request head (RFC 9112 sections 2-5), parsed in place
        try:
            parser = self._head_parser
            if parser is None:
                parser = self._new_head_parser()
                if type(parser) is Sentinel:
                    return parser
            buf = self._buf
            pos = self._pos
            head = parser.parse(buf, pos) if len(buf) > pos else None
            if head is None:
                return self._no_head(parser)
        except BaseException:
            self._fail()
            raise
        # a whole head: the request starts (RFC 9112 section 2.1)
        end = head.end
        if end >= len(buf):
            self._buf = b""
            self._pos = 0
        else:
            self._pos = end
        self.their_state = SEND_BODY
        self.our_state = SEND_RESPONSE
        self.head = head
        self.req_number += 1
        self.method = head.method
        self.http_version = version = head.version
        if self._uwsgi:
            # responses to a uWSGI front end: Content-Length or close, no 1xx
            self.http_version = UWSGI_RESPONSE_VERSION
        # per-request flags start cleared (see _next_cycle)
        if head.connection is not None or head.must_close or version < (1, 1):
            if should_close(head.must_close, head.connection, version):
                self._closing = True
        if head.expect_100:
            self._expect_100 = True
        if head.chunked:
            self._decoder = ChunkedDecoder(self.settings)  # type: ignore[arg-type]
            self._body = _B_CHUNKED
        elif head.content_length:
            self._remaining = head.content_length
            self._body = _B_LENGTH
        return head

    def _fail(self) -> None:
        # nothing more is read; our side may still answer (send_error) or
        # finish a response already under way, then the connection closes
        self.their_state = ERROR
        self._closing = True
        self._body = _B_END

    def proxy_prefix_read(self, info: dict[str, Any] | None) -> None:
        """Record a PROXY header the transport read before this connection
        saw a byte (on a TLS listener it precedes the handshake, HAProxy
        proxy-protocol.txt section 2): ``proxy_protocol_info`` becomes
        *info* (None: there was none) and no header is looked for in the
        stream.  Raises LocalProtocolError once request bytes were read."""
        if self.req_number or self._recv != _R_HEAD or self._buf:
            raise LocalProtocolError("the PROXY header must come before any request byte")
        self.proxy_protocol_info = info
        self._recv = _R_HEAD_DONE

    def _new_head_parser(self) -> HeadParser | Any:
        """The head parser, made on the first head: after the PROXY prefix
        when one is expected (returns NEED_DATA or CONNECTION_CLOSED while
        that is incomplete).  With ``protocol = "uwsgi"`` it is a
        ``UWSGIHeadParser``, for an allowed peer only (else
        ForbiddenUWSGIRequest, 403)."""
        settings = self.settings
        if settings is None:
            raise LocalProtocolError("this connection has no receiving side")
        if self._recv == _R_HEAD and settings.proxy_protocol != "off" and not self.req_number:
            self._recv = _R_PROXY
        if self._recv == _R_PROXY:
            event = self._proxy_prefix(settings)
            if event is not None:
                return event
        if settings.uwsgi or self._uwsgi:
            # uWSGI packets instead of HTTP/1.1 heads; the peer is checked
            # before anything of the packet is read (gunicorn/uwsgi/errors.py)
            from .uwsgi import UWSGIHeadParser, uwsgi_peer_allowed

            if not uwsgi_peer_allowed(settings, self.peer_addr):
                from gunicorn.uwsgi.errors import ForbiddenUWSGIRequest

                peer = self.peer_addr
                raise ForbiddenUWSGIRequest(peer[0] if isinstance(peer, tuple) else peer)
            self._uwsgi = True
            self._head_parser = UWSGIHeadParser(
                settings, settings.policy.forwarded_trusted(self.peer_addr))
            return self._head_parser
        parser = self._head_parser = HeadParser(
            settings, settings.policy.forwarded_trusted(self.peer_addr))
        return parser

    def _proxy_prefix(self, settings: ParserSettings) -> Any:
        """Consume a PROXY v1/v2 prefix; None once done, else NEED_DATA or
        CONNECTION_CLOSED."""
        buf = self._compact()
        peer = self.peer_addr
        host = peer[0] if isinstance(peer, tuple) else peer
        found = parse_proxy_prefix(buf, settings.proxy_protocol,
                                   settings.policy.proxy_allowed(peer), host) if buf else None
        if found is None:
            if self._eof:
                if not buf:
                    self.their_state = _their_next(IDLE, _CLOSED_BY_PEER)
                    self._closing = True
                    return CONNECTION_CLOSED
                raise NoMoreData(bytes(buf))
            return NEED_DATA
        info, consumed = found
        self.proxy_protocol_info = info
        self._pos = consumed
        self._recv = _R_HEAD_DONE
        return None

    def _no_head(self, parser: HeadParser) -> Any:
        """No whole head buffered: NEED_DATA, or the end of the connection."""
        buf = self._buf
        if self._pos:
            # keep offsets stable while the head grows: start at 0
            parser.reset()
            buf = self._compact()
        if self._eof:
            if not buf:
                self.their_state = _their_next(IDLE, _CLOSED_BY_PEER)
                self._closing = True
                return CONNECTION_CLOSED
            raise NoMoreData(bytes(buf))
        return NEED_DATA

    def _body_event(self) -> Any:
        content = self._content()
        if type(content) is bytes:
            return Data(content)
        if content is _END:
            return self._end_event()
        return content

    def _content(self) -> Any:
        """Decoded request content now buffered (non-empty bytes), NEED_DATA,
        or _END once the content is complete (RFC 9112 sections 6 and 7.1)."""
        body = self._body
        if body == _B_LENGTH:
            avail = len(self._buf) - self._pos
            if avail:
                remaining = self._remaining
                data = self._take(remaining if remaining < avail else avail)
                remaining -= len(data)
                self._remaining = remaining
                if not remaining:
                    self._body = _B_END
                self._delivered = True
                return data
            if self._eof:
                # RFC 9112 section 8: an incomplete message; never reuse
                self._closing = True
                raise ClientDisconnected(self._remaining)
            return NEED_DATA
        if body == _B_CHUNKED:
            decoder = self._decoder
            assert decoder is not None
            if self._pos < len(self._buf):
                data = decoder.feed(self._take(len(self._buf) - self._pos))
                if decoder.done:
                    # what followed the body (a pipelined request) stays buffered
                    self._buf = decoder.unused
                    self._pos = 0
                    decoder.unused = b""
                    self._body = _B_END
                if data:
                    self._delivered = True
                    return data
                if decoder.done:
                    return _END
            if self._eof:
                self._closing = True
                decoder.eof()
            return NEED_DATA
        return _END

    def read_content(self) -> Any:
        """``next_event()`` for a driver that only reads the content of the
        current request: the decoded bytes now buffered (never empty, no
        ``Data`` object); when bytes are needed, an int: how many at least
        (the rest of a Content-Length body or of the current chunk; 0 when
        unknown), in place of NEED_DATA; or the ``EndOfMessage``.  The same
        errors as ``next_event``."""
        if self.their_state is not SEND_BODY or self._draining:
            event = self.next_event()
            if type(event) is Data:
                return event.data
            return 0 if event is NEED_DATA else event
        try:
            content = self._content()
        except BaseException:
            self._fail()
            raise
        if content is NEED_DATA:
            if self._body == _B_LENGTH:
                return self._remaining
            decoder = self._decoder
            return decoder.remaining if decoder is not None else 0
        if content is _END:
            return self._end_event()
        return content

    def receive_content(self, data: bytes) -> Any:
        """``receive_data(data)`` then ``read_content()`` in one step, for a
        blocking driver reading a body (bytes arriving into an empty buffer
        in the middle of Content-Length content are handed back as they
        are, without buffering)."""
        # _B_CHUNKED / _B_LENGTH only while their content is being read
        body = self._body
        if body == _B_CHUNKED and data and self._pos >= len(self._buf) and not self._draining:
            # straight into the chunked decoder, nothing buffered here
            decoder = self._decoder
            assert decoder is not None
            try:
                decoded = decoder.feed(data if type(data) is bytes else bytes(data))
            except BaseException:
                self._fail()
                raise
            if decoder.done:
                # what followed the body (a pipelined request) stays buffered
                self._buf = decoder.unused
                self._pos = 0
                decoder.unused = b""
                self._body = _B_END
                if not decoded:
                    return self._end_event()
            if decoded:
                self._delivered = True
                return decoded
            return decoder.remaining
        if (body == _B_LENGTH and data and self._pos >= len(self._buf) and not self._draining
                and type(data) is bytes):
            remaining = self._remaining
            size = len(data)
            self._delivered = True
            if size < remaining:
                self._remaining = remaining - size
                return data
            self._remaining = 0
            self._body = _B_END
            if size > remaining:
                # what follows the content (a pipelined request) stays here
                self._buf = data
                self._pos = remaining
                return data[:remaining]
            return data
        self.receive_data(data)
        return self.read_content()

    def _end_event(self) -> EndOfMessage:
        decoder = self._decoder
        trailers = decoder.trailers if decoder is not None else None
        self._decoder = None
        self.their_state = THEIR_TRANSITIONS[SEND_BODY, EndOfMessage]
        return EndOfMessage(trailers or [])

    def _drain(self) -> Any:
        """Discard the rest of a body nobody read (after start_next_cycle)."""
        while True:
            try:
                content = self._content()
            except Exception:
                # the body went bad (or the peer left) after its response was
                # sent: no answer is possible, the connection just ends
                self.their_state = MUST_CLOSE
                self._closing = True
                self._draining = False
                return CONNECTION_CLOSED
            if content is NEED_DATA:
                return NEED_DATA
            if content is not _END:
                self._drained += len(content)
                if self._drained > self.drain_limit:
                    self.their_state = _their_next(SEND_BODY, _DRAIN_OVER)
                    self._closing = True
                    self._draining = False
                    return CONNECTION_CLOSED
                continue
            # the end of the unread content: the next request follows
            self._draining = False
            self.their_state = self.our_state = DONE
            self._next_cycle()
            return self.next_event()

    @property
    def content_complete(self) -> bool:
        """True when no request content remains to be read (only the
        ``EndOfMessage`` event, if anything, is left)."""
        return self.their_state is not SEND_BODY or self._body == _B_END

    def expected_content(self) -> int | None:
        """Bytes of request content still expected, when known: the rest of a
        Content-Length body or of the current chunk (0 when none); None
        outside a request body.  Drivers use it to size reads."""
        if self.their_state is not SEND_BODY:
            return None
        if self._body == _B_LENGTH:
            return self._remaining
        if self._body == _B_CHUNKED and self._decoder is not None:
            return self._decoder.remaining
        return 0

    # ------------------------------------------------------------ 100-continue

    @property
    def client_is_waiting_for_100_continue(self) -> bool:
        """True while the client sent ``Expect: 100-continue`` (HTTP/1.1+)
        for a request with content, no 100 or final response went out and
        none of the content was read yet (RFC 9110 section 10.1.1: a server
        may omit the 100 when the framing says there is no content).  Send
        ``InformationalResponse(100)`` before reading the content."""
        return (self._expect_100 and not self._continue_sent and not self._delivered
                and self.our_state is SEND_RESPONSE and self.their_state is SEND_BODY
                and (self._body != _B_END or self.settings is None))

    def _content_complete(self) -> bool:
        if self.settings is None:
            # a request parsed elsewhere: its content is not known here
            return False
        return self._body == _B_END or (self._body == _B_LENGTH and self._remaining
                                        <= len(self._buf) - self._pos)

    def _continue_unanswered(self) -> bool:
        # the client held its content back for a 100 that never came: it may
        # send it later or not at all, so nothing after it can be trusted
        return (self._expect_100 and not self._continue_sent
                and self.their_state is SEND_BODY and not self._delivered
                and not self._content_complete())

    # ------------------------------------------------------------ keep-alive

    @property
    def keep_alive(self) -> bool:
        """False once anything requires closing after the current exchange
        (RFC 9112 section 9.3): the request (HTTP/1.0 without keep-alive,
        ``Connection: close``, CONNECT, a compressed transfer coding, content
        cut short or malformed), the server (``request_close()``,
        ``Response(close=True)``, ``Connection: close`` from the
        application), the response (close-delimited or switching protocols,
        Content-Length not fully sent, a failed write), an ``Expect:
        100-continue`` left unanswered with the content unread, or an unread
        rest of content over the drain limit."""
        if self._closing:
            return False
        return not (self._expect_100 and self._continue_unanswered())

    def request_close(self) -> None:
        """Close after the current response (server stopping, max_requests,
        the application asked).  Reflected in the ``Connection`` field when
        the head has not gone out yet."""
        self._closing = True

    def _would_keep_alive(self, framing: int) -> bool:
        if self._closing or framing == BODY_CLOSE or framing == BODY_RAW:
            return False
        if self._expect_100 and self._continue_unanswered():
            return False
        if self.their_state is SEND_BODY and not self._delivered and self._body == _B_LENGTH:
            # the content nobody read yet is over the drain limit: say so now
            return self._remaining - (len(self._buf) - self._pos) <= self.drain_limit
        return True

    def response_framing(self, status_code: int, content_length: int | None) -> int:
        """How a response with *status_code* and *content_length* would be
        framed now (one of the ``BODY_*`` constants of ``framing.py``)."""
        return response_framing(self.method, self.http_version, status_code, content_length)

    def plan_response(self, status_code: int, content_length: int | None) -> tuple[int, bool]:
        """How a response with *status_code* and *content_length* would go out
        now, without sending it: ``(framing, keep_alive)`` where framing is one
        of the ``BODY_*`` constants of ``framing.py``."""
        framing = response_framing(self.method, self.http_version, status_code, content_length)
        return framing, self._would_keep_alive(framing)

    # ------------------------------------------------------------ sending

    def send(self, event: Any) -> bytes:
        """The bytes to write for *event* (see the module doc).

        ``InformationalResponse``: b"" for an HTTP/1.0 client, and for a 100
        the client does not wait for.  ``Response``: the head with Server,
        Date, Connection and (chunked) Transfer-Encoding added.  ``Data``:
        framed content (content past Content-Length, or on a response without
        content, is dropped).  ``EndOfMessage``: the last-chunk and trailers
        when chunked.  ``ErrorResponse``: a whole error page.  Raises
        LocalProtocolError when the event is not allowed now.
        """
        kind = type(event)
        if kind is Data:
            prefix, data, suffix = self.frame_data(event.data)
            return b"".join((prefix, data, suffix)) if prefix or suffix else bytes(data)
        if kind is Response:
            headers, content_length, close, upgrade = _own_fields(event.headers, event.status_code)
            return self.send_head(event.status_code, headers, event.reason or None,
                                  content_length=content_length,
                                  close=close or event.close, upgrade=upgrade)
        if kind is EndOfMessage:
            return self.send_end(event.trailers)
        if kind is InformationalResponse:
            return self.send_informational(event.status_code, event.headers, event.reason or None)
        if kind is ErrorResponse:
            return self._send_error_page(event.status_code, event.reason, event.message)
        raise LocalProtocolError("cannot send %r" % (event,))

    def send_informational(self, status_code: int, headers: Any = (),
                           reason: str | None = None) -> bytes:
        """Bytes of an interim response (RFC 9110 section 15.2), always
        ``HTTP/1.1``.  b"" for an HTTP/1.0 client (it cannot parse 1xx) and
        for a 100 nobody waits for; a 100 goes out at most once.  *headers*
        (name, value) pairs, validated by the caller.  Raises
        LocalProtocolError after the final head or for a status outside
        100-199 (101 is a final ``Response``)."""
        if not 100 <= status_code < 200 or status_code == 101:
            raise LocalProtocolError("%r is not an informational status" % (status_code,))
        _our_next(self.our_state, InformationalResponse)
        if self.http_version < (1, 1):
            return b""
        if status_code == 100:
            if not self.client_is_waiting_for_100_continue:
                return b""
            self._continue_sent = True
            if not headers and reason is None:
                return CONTINUE_100
        line = status_line((1, 1), status_code, reason)
        return line.encode("latin-1") + render_fields(headers) + b"\r\n"

    def send_head(self, status_code: int, headers: list[tuple[str, str]],
                  reason: str | None = None, content_length: int | None = None,
                  close: bool = False, upgrade: bool = False, server: str | None = None,
                  end: bool = False, data: bytes = b"") -> bytes:
        """Bytes of the final response head (``send(Response(...))`` without the event).

        *headers* must already be free of the fields the connection owns
        (Connection, Transfer-Encoding, Server, Date ...); *content_length*
        is the Content-Length among them (None when absent).  *close* asks to
        close after this response, *upgrade* sends ``Connection: upgrade``;
        *server* replaces the Server product.  *reason* None: the standard
        phrase.  The status line carries the request's version.  *end*: the
        response has no content, the head also ends it (the bytes include
        what ``send_end()`` adds; a Content-Length that announces content
        then makes the head say close).  *data*: a first piece of content,
        framed and joined to the head (``frame_data``), for small pieces.
        """
        ours = self.our_state
        if ours is not SEND_RESPONSE:
            _our_next(ours, Response)
        framing = response_framing(self.method, self.http_version, status_code, content_length)
        # close after this response: asked, delimited by closing, switching
        # protocols, or announced content that will never come
        if close or self._closing or framing == BODY_CLOSE or framing == BODY_RAW or (
                end and framing == BODY_LENGTH and content_length):
            keep = False
        elif self._expect_100 or (self._body == _B_LENGTH and self.their_state is SEND_BODY):
            keep = self._would_keep_alive(framing)
        else:
            keep = True
        lines = [
            status_line(self.http_version, status_code, reason),
            _SERVER_LINE if server is None or server == SERVER else server_line(server),
            date_line(),
            CONNECTION_LINES[("upgrade" if status_code == 101 else
                              "upgrade, keep-alive" if keep else "upgrade, close") if upgrade
                             else "keep-alive" if keep else "close"],
        ]
        if framing == BODY_CHUNKED:
            lines.append(TE_CHUNKED_LINE)
        if headers:
            lines += [f"{k}: {v}\r\n" for k, v in headers]
        lines.append("\r\n")
        # encoded before any state changes: a field that is not latin-1
        # leaves the connection ready for another (error) response
        head = "".join(lines).encode("latin-1")
        self.our_state = SEND_BODY
        self._framing = framing
        if framing == BODY_LENGTH:
            self._out_remaining = content_length  # type: ignore[assignment]  # LENGTH: an int
        if not keep:
            # the head announces the close: hold to it whatever happens next
            self._closing = True
        if end:
            return head + self.send_end()
        if data:
            prefix, data, suffix = self.frame_data(data)
            return b"".join((head, prefix, data, suffix))
        return head

    def frame_data(self, data: bytes | bytearray | memoryview) -> tuple[bytes, Any, bytes]:
        """Frame response content: ``(prefix, data, suffix)`` to write in that
        order (chunk-size line and CRLF when chunked; *data* cut at the
        Content-Length; nothing for a response without content or an empty
        piece).  Raises LocalProtocolError before the head."""
        if self.our_state is not SEND_BODY:
            _our_next(self.our_state, Data)
        framing = self._framing
        size = len(data)
        if framing == BODY_LENGTH:
            left = self._out_remaining
            if size > left:
                data = data[:left]
                size = left
            self._out_remaining = left - size
            self.content_sent += size
            return b"", data, b""
        if framing == BODY_CHUNKED:
            if not size:
                # an empty chunk would be the last-chunk
                return b"", b"", b""
            self.content_sent += size
            return b"%X\r\n" % size, data, b"\r\n"
        if framing == BODY_NONE:
            return b"", b"", b""
        self.content_sent += size
        return b"", data, b""

    def frame_file(self, count: int) -> tuple[int, bytes, bytes]:
        """Frame *count* bytes the driver sends itself (``socket.sendfile``):
        returns ``(count to send, prefix, suffix)``; the count is cut at the
        Content-Length and is 0 on a response without content.  If fewer
        bytes go out, call ``send_failed()``."""
        if self.our_state is not SEND_BODY:
            _our_next(self.our_state, Data)
        framing = self._framing
        if framing == BODY_NONE or count <= 0:
            return 0, b"", b""
        if framing == BODY_LENGTH:
            if count > self._out_remaining:
                count = self._out_remaining
            self._out_remaining -= count
            self.content_sent += count
            return count, b"", b""
        self.content_sent += count
        if framing == BODY_CHUNKED:
            return count, b"%X\r\n" % count, b"\r\n"
        return count, b"", b""

    def send_end(self, trailers: Any = None) -> bytes:
        """Bytes that end the response: the last-chunk and *trailers*
        ((name, value) pairs, RFC 9112 section 7.1.2) when chunked, else b""
        (trailers are then dropped).  Content-Length not fully sent, or a
        close-delimited body, leave the connection to be closed.  After
        ``send_failed()`` there is nothing more to send (b"")."""
        ours = self.our_state
        if ours is not SEND_BODY:
            if ours is ERROR:
                return b""
            _our_next(ours, EndOfMessage)
        framing = self._framing
        if framing == BODY_CHUNKED:
            out = b"0\r\n" + render_fields(trailers) + b"\r\n" if trailers else LAST_CHUNK
        else:
            out = b""
            if framing == BODY_LENGTH and self._out_remaining:
                # the client would wait for the rest of the announced content
                self._closing = True
        if self._closing or (self._expect_100 and self._continue_unanswered()):
            self.our_state = MUST_CLOSE
            self._closing = True
        else:
            self.our_state = DONE
        return out

    def send_failed(self) -> None:
        """The bytes of the last send could not all be written (a short
        sendfile, a write error): the response framing is broken and the
        connection must close."""
        self.our_state = ERROR
        self._closing = True

    def send_error(self, exc: BaseException) -> bytes:
        """The error page answering *exc* (always ``Connection: close``).

        A ``gunicorn.http.errors`` exception gives its ``status_code``,
        ``reason`` and ``str()``; anything else is a 500 without details.
        Raises LocalProtocolError once a response head went out.
        """
        status = getattr(type(exc), "status_code", None)
        reason = getattr(exc, "reason", None)
        if isinstance(status, int) and isinstance(reason, str) and \
                type(exc).__module__.startswith("gunicorn."):
            return self._send_error_page(status, reason or reason_phrase(status), str(exc))
        return self._send_error_page(500, "Internal Server Error", "")

    def _send_error_page(self, status_code: int, reason: str, message: str) -> bytes:
        self.our_state = _our_next(self.our_state, ErrorResponse)
        self._closing = True
        return error_page(status_code, reason, message)

    @property
    def response_started(self) -> bool:
        """True once a final response head (or an error page) was produced."""
        ours = self.our_state
        return not (ours is IDLE or ours is SEND_RESPONSE)

    # ------------------------------------------------------------ cycles

    def assume_response_sent(self) -> None:
        """For drivers that read requests through this connection but write
        the response another way (the blocking ``RequestParser`` alone):
        take the current response as complete.  Keep-alive then depends on
        the request side only."""
        if self.our_state is SEND_RESPONSE:
            self.our_state = DONE if self.keep_alive else MUST_CLOSE

    def start_next_cycle(self) -> None:
        """Move to the next request once the response is complete and the
        connection is kept alive (RFC 9112 section 9.3).

        Bytes already received after the request (pipelining) are parsed as
        the next one.  If the application left request content unread, the
        following ``next_event`` calls discard it first, up to the drain
        limit (past it they return CONNECTION_CLOSED).  Raises
        LocalProtocolError when the response is not complete or the
        connection must close.
        """
        # DONE already means the response allowed it; only a later
        # request_close() or a receive error can have changed that
        if self.our_state is not DONE or self._closing or not self._next_cycle():
            raise LocalProtocolError("cannot start a new request cycle (ours=%r, theirs=%r, "
                                     "keep_alive=%s)"
                                     % (self.our_state, self.their_state, self.keep_alive))

    def start_next_request(self) -> bool:
        """``assume_response_sent()`` then ``start_next_cycle()``, for drivers
        that read requests through this connection and write responses
        another way.  Returns False (instead of raising) when no further
        request may be read on this connection."""
        ours = self.our_state
        if ours is SEND_RESPONSE:
            if self._closing or (self._expect_100 and self._continue_unanswered()):
                self.our_state = MUST_CLOSE
                return False
            ours = self.our_state = DONE
        if ours is not DONE or self._closing:
            return False
        return self._next_cycle()

    def _next_cycle(self) -> bool:
        theirs = self.their_state
        if theirs is SEND_BODY and self._body == _B_END:
            # nothing of the content is left: its end is implied
            theirs = DONE
        if theirs is SEND_BODY:
            self._draining = True
            self._drained = 0
        elif theirs is DONE:
            self.their_state = IDLE
            # per-request state back to its start (the head parser resets
            # itself after each head)
            self.content_sent = 0
            self._expect_100 = self._continue_sent = self._delivered = False
            self._body = _B_END
            self._decoder = None
        else:
            return False
        self.our_state = IDLE
        return True

    def use_uwsgi(self) -> None:
        """Read uWSGI request packets instead of HTTP/1.1 heads, from the
        next head on (``protocol = "uwsgi"`` in the settings does it by
        itself; for facades given a configuration without that setting)."""
        if not self._uwsgi:
            self._uwsgi = True
            self._head_parser = None

    def use_settings(self, settings: ParserSettings) -> None:
        """Apply new settings (a configuration change) from the next request on."""
        if settings is not self.settings:
            self.settings = settings
            self._head_parser = None


def _own_fields(headers: Any, status_code: int) -> tuple[list[tuple[str, str]], int | None, bool, bool]:
    """Split the fields of a ``Response`` event: the ones we send as given,
    the Content-Length, whether ``Connection`` asks to close or upgrade.

    A 101 keeps its ``Upgrade`` field, which names the protocol switched to
    (RFC 9110 section 15.2.2), and a 426 the one it requires (section
    15.5.22); both then say ``upgrade`` in ``Connection`` as a sender of
    Upgrade must (RFC 9110 section 7.8)."""
    kept = []
    content_length = None
    close = upgrade = False
    for name, value in headers:
        lname = name.lower()
        if lname == "upgrade" and (status_code == 101 or status_code == 426):
            upgrade = True
        elif lname == "content-length":
            if status_code < 200 or status_code == 204:
                # never on 1xx and 204 (RFC 9110 section 8.6)
                continue
            content_length = int(value.strip(" \t"))
        elif lname in _OWNED_FIELDS:
            if lname == "connection":
                tokens = {t.strip(" \t").lower() for t in value.split(",")}
                close = close or "close" in tokens
                upgrade = upgrade or "upgrade" in tokens
            continue
        kept.append((name, value))
    return kept, content_length, close, upgrade


class RequestReader(ServerConnection):
    """The request side alone (the earlier API): ``start_next_request()``
    moves past a complete request whose response was written elsewhere.
    ``CLOSED`` is ``CONNECTION_CLOSED``."""

    __slots__ = ()

    def start_next_request(self) -> bool:  # type: ignore[override]
        """Leave PAUSED after a complete request to read the next head
        (nothing happens before the request was read to its end)."""
        if self.their_state is DONE:
            return super().start_next_request()
        return False


#: The earlier name of CONNECTION_CLOSED.
CLOSED = CONNECTION_CLOSED
