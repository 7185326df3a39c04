"""One HTTP/2 stream: state (RFC 9113 section 5.1), request fields, a
bounded request-body buffer and the response operations.

``HTTP2Stream`` objects are created and fed by
``gunicorn.http2.core.HTTP2ServerProtocol``; they hold no socket and no lock.
The ``receive_*`` methods record what the peer sent; the ``send_*`` methods,
``end`` and ``reset`` go through the stream's connection, which enforces
flow control.  In a multi-threaded driver every call must be made under the
lock that guards the connection.

Request body: DATA payloads are appended to a buffer that flow control bounds
(the peer may not send more than the stream window, RFC 9113 section 6.9);
``read_body`` takes bytes out and reports them to the connection, which is
when WINDOW_UPDATE credit goes back to the peer.  A reader that stops reading
therefore stops the peer.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from types import MappingProxyType
from typing import Any

from .errors import HTTP2ErrorCode, HTTP2StreamError
from .fields import MalformedMessage, check_request_fields, check_trailer_fields

__all__ = ["StreamState", "HTTP2Stream"]


class StreamState(Enum):
    """Stream states of RFC 9113 section 5.1."""

    IDLE = "idle"
    RESERVED_LOCAL = "reserved (local)"
    RESERVED_REMOTE = "reserved (remote)"
    OPEN = "open"
    HALF_CLOSED_LOCAL = "half-closed (local)"
    HALF_CLOSED_REMOTE = "half-closed (remote)"
    CLOSED = "closed"


_RECEIVING = (StreamState.OPEN, StreamState.HALF_CLOSED_LOCAL)
_SENDING = (StreamState.OPEN, StreamState.HALF_CLOSED_REMOTE)
# the states as module globals: member access on an Enum class is a
# slow attribute lookup in Python 3.11, and these are read per frame
_IDLE, _OPEN, _CLOSED = StreamState.IDLE, StreamState.OPEN, StreamState.CLOSED
_HALF_CLOSED_LOCAL = StreamState.HALF_CLOSED_LOCAL
_HALF_CLOSED_REMOTE = StreamState.HALF_CLOSED_REMOTE


def _code_name(code: int) -> str:
    try:
        return HTTP2ErrorCode(code).name
    except ValueError:
        return "0x%x" % code


def _as_bytes_pairs(headers: Iterable[Any]) -> Any:
    if type(headers) is list and (not headers or type(headers[0][0]) is bytes):
        # the decoder's output: bytes pairs already (checked field by field later)
        return headers
    out = []
    for name, value in headers:
        if isinstance(name, str):
            name = name.encode("latin-1")
        if isinstance(value, str):
            value = value.encode("latin-1")
        out.append((bytes(name), bytes(value)))
    return out


class HTTP2Stream:
    """A stream of one HTTP/2 connection.

    Args:
        stream_id: the stream identifier (odd: opened by the client).
        connection: the ``HTTP2ServerProtocol`` that owns the stream, or None
            for a stand-alone stream (then only the ``receive_*`` side works).

    Attributes (gunicorn 25 names): ``stream_id``, ``connection``, ``state``
    (StreamState), ``request_headers`` (list of (lowercase name, value) str,
    pseudo-headers first), ``request_complete`` (the peer sent END_STREAM),
    ``response_started`` / ``response_headers_sent`` (the final response head
    was sent), ``response_complete`` (we sent END_STREAM), ``trailers``
    (request trailers, (lowercase name, value) str), ``response_trailers``,
    ``priority_weight`` (1..256, default 16), ``priority_depends_on``,
    ``priority_exclusive``.  Ours: ``content_length`` (declared request
    length or None), ``received`` (request DATA octets so far), ``request``
    (the HTTP2Request once built), ``reset_code`` (error code once reset),
    ``reset_remote`` (True when the peer reset it), ``body_error`` (an
    exception ``read_body`` raises at the end of the body, e.g. a trailer
    refused by the field policy), ``response_status``, ``sent`` (response
    DATA octets), ``driver_data`` (free for the I/O driver).
    """

    # Defaults every stream starts with, as class attributes: an instance
    # attribute appears when one changes (a stream is created per request,
    # and most of these never change).  Mutable values are per instance.
    state = StreamState.IDLE
    request_complete = False
    response_started = False
    response_headers_sent = False
    response_complete = False
    priority_weight = 16
    priority_depends_on = 0
    priority_exclusive = False
    content_length: int | None = None
    list_size = 0
    received = 0
    request: Any = None
    reset_code: int | None = None
    reset_remote = False
    body_error: BaseException | None = None
    response_status: int | None = None
    response_length: int | None = None
    no_body = False
    sent = 0
    informational_sent = 0
    discard_body = False
    driver_data: Any = None
    _pseudo: Mapping[str, str] = MappingProxyType({})
    _fields: Sequence[tuple[str, str]] = ()
    # request octets that arrived outside HTTP/2 flow control (the body of
    # an h2c upgrade request): reading them grants no credit
    _exempt = 0

    def __init__(self, stream_id: int, connection: Any = None) -> None:
        self.stream_id = stream_id
        self.connection = connection
        self.request_headers: list[tuple[str, str]] = []
        self.trailers: list[tuple[str, str]] = []
        self.response_trailers: list[tuple[Any, Any]] = []
        self._body = bytearray()

    def __repr__(self) -> str:
        return "<HTTP2Stream %d %s>" % (self.stream_id, self.state.value)

    # -- properties ---------------------------------------------------------

    @property
    def is_client_stream(self) -> bool:
        """True for client-initiated streams (odd identifiers, RFC 9113 5.1.1)."""
        return self.stream_id % 2 == 1

    @property
    def is_server_stream(self) -> bool:
        """True for server-initiated streams (even identifiers)."""
        return self.stream_id % 2 == 0

    @property
    def can_receive(self) -> bool:
        """True while the peer may still send DATA or trailers (open, half-closed local)."""
        return self.state in _RECEIVING

    @property
    def can_send(self) -> bool:
        """True while we may still send (open, half-closed remote)."""
        return self.state in _SENDING

    @property
    def is_closed(self) -> bool:
        """True once the stream is closed (ended both ways or reset)."""
        return self.state is _CLOSED

    @property
    def window_size(self) -> int:
        """Octets of response DATA the peer's flow-control windows allow now (0 when closed)."""
        conn = self.connection
        if conn is None or self.state not in _SENDING:
            return 0
        return conn.available(self.stream_id)

    available = window_size

    @property
    def body_buffered(self) -> int:
        """Request body octets received and not yet read."""
        return len(self._body)

    @property
    def body_complete(self) -> bool:
        """True when the whole request body was received and read."""
        return self.request_complete and not self._body

    @property
    def request_body(self) -> io.BytesIO:
        """A BytesIO holding the request body octets received and not yet read (a copy)."""
        return io.BytesIO(bytes(self._body))

    def get_request_body(self) -> bytes:
        """The request body octets received and not yet read (a copy)."""
        return bytes(self._body)

    def get_pseudo_headers(self) -> dict[str, str]:
        """The request pseudo-header fields, e.g. ``{":method": "GET", ...}``."""
        return dict(self._pseudo)

    def get_regular_headers(self) -> list[tuple[str, str]]:
        """The request fields without pseudo-headers, (lowercase name, value) str."""
        return list(self._fields)

    def update_priority(self, weight: int | None = None, depends_on: int | None = None,
                        exclusive: bool | None = None) -> None:
        """Record RFC 7540 priority information (advisory; weight clamped to 1..256)."""
        if weight is not None:
            self.priority_weight = max(1, min(256, int(weight)))
        if depends_on is not None:
            self.priority_depends_on = int(depends_on)
        if exclusive is not None:
            self.priority_exclusive = bool(exclusive)

    # -- what the peer sent ---------------------------------------------------

    def receive_headers(self, headers: Iterable[Any], end_stream: bool = False) -> None:
        """Record the request field block that opens the stream.

        *headers* are (name, value) pairs of bytes (or str, read as latin-1)
        in wire order.  Raises MalformedMessage (an HTTP2StreamError of type
        PROTOCOL_ERROR) when RFC 9113 section 8 calls the request malformed,
        HTTP2StreamError(STREAM_CLOSED) when the stream is not idle.
        """
        if self.state is not _IDLE:
            raise HTTP2StreamError(self.stream_id, "request headers on a stream in state %s"
                                   % self.state.value, HTTP2ErrorCode.STREAM_CLOSED)
        checked = check_request_fields(
            self.stream_id, _as_bytes_pairs(headers),
            extended_connect=bool(getattr(self.connection, "enable_connect_protocol", False)))
        if end_stream and checked.content_length:
            # END_STREAM without DATA contradicts a non-zero content-length (8.1.1)
            raise MalformedMessage(self.stream_id, "content-length %d but no content"
                                   % checked.content_length)
        self._pseudo = checked.pseudo
        self._fields = checked.fields
        self.content_length = checked.content_length
        self.list_size = checked.list_size
        self.request_headers = list(checked.pseudo.items()) + checked.fields
        self.state = _OPEN
        if end_stream:
            self._remote_ended()

    def receive_data(self, data: bytes, end_stream: bool = False) -> None:
        """Record a DATA payload (padding excluded).

        Raises HTTP2StreamError(STREAM_CLOSED) when the peer may not send on
        this stream, MalformedMessage when the octets exceed the declared
        content-length or END_STREAM leaves them short of it (RFC 9113 8.1.1).
        The payload is buffered unless ``discard_body`` is set.
        """
        if self.state not in _RECEIVING:
            raise HTTP2StreamError(self.stream_id, "DATA on a stream in state %s"
                                   % self.state.value, HTTP2ErrorCode.STREAM_CLOSED)
        received = self.received + len(data)
        self.received = received
        length = self.content_length
        if length is not None and (received > length or (end_stream and received != length)):
            raise MalformedMessage(self.stream_id, "%d octets of content, content-length %d"
                                   % (received, length))
        if data and not self.discard_body:
            self._body += data
        if end_stream:
            self._remote_ended()

    def receive_trailers(self, trailers: Iterable[Any]) -> None:
        """Record the trailer section, which ends the request (RFC 9113 section 8.1).

        Raises MalformedMessage for pseudo-headers or invalid fields and when a
        declared content-length was not reached; HTTP2StreamError(STREAM_CLOSED)
        when the peer may not send on this stream.
        """
        if self.state not in _RECEIVING:
            raise HTTP2StreamError(self.stream_id, "trailers on a stream in state %s"
                                   % self.state.value, HTTP2ErrorCode.STREAM_CLOSED)
        fields, _size = check_trailer_fields(self.stream_id, _as_bytes_pairs(trailers))
        if self.content_length is not None and self.received != self.content_length:
            raise MalformedMessage(self.stream_id, "%d octets of content, content-length %d"
                                   % (self.received, self.content_length))
        self.trailers = fields
        self._remote_ended()

    def _remote_ended(self) -> None:
        self.request_complete = True
        if self.state is _OPEN:
            self.state = _HALF_CLOSED_REMOTE
        elif self.state is _HALF_CLOSED_LOCAL:
            self.state = _CLOSED

    # -- request body source --------------------------------------------------

    def read_body(self, size: int = -1) -> bytes | None:
        """Take up to *size* octets (all buffered when negative) of the request body.

        Returns the octets and reports them as consumed to the connection
        (which may grant WINDOW_UPDATE credit); ``b""`` at the end of the body;
        None when nothing is buffered yet and more may come (wait for the next
        DataReceived, StreamEnded or StreamReset event).  Raises
        ``body_error`` at the end of the body when it is set, and
        HTTP2StreamError (with the reset code) when the stream was reset
        before the body was complete.
        """
        body = self._body
        have = len(body)
        if have:
            n = have if size < 0 or size > have else size
            if n == have:
                data = bytes(body)
                body.clear()
            else:
                data = bytes(body[:n])
                del body[:n]
            credit = n
            if self._exempt:
                used = min(self._exempt, n)
                self._exempt -= used
                credit -= used
            conn = self.connection
            if credit and conn is not None:
                conn.acknowledge_received_data(self.stream_id, credit)
            return data
        if self.request_complete:
            if self.body_error is not None:
                raise self.body_error
            return b""
        if self.reset_code is not None or self.state is _CLOSED:
            raise HTTP2StreamError(self.stream_id, "stream reset before the request body ended",
                                   self.reset_code if self.reset_code is not None
                                   else HTTP2ErrorCode.CANCEL)
        if size == 0:
            return b""
        return None

    def release(self) -> None:
        """Called by a driver when the stream's application is done: once
        the stream is also closed, drop its links to the request and the
        driver's handle.  They refer back to the stream, so without this the
        objects of every finished stream wait for the cyclic garbage
        collector (a higher peak RSS under load) instead of being freed by
        reference counting.  An open stream keeps them: the protocol may
        still deliver events for it."""
        if self.state is _CLOSED:
            self.request = None
            self.driver_data = None

    def _drop_body(self) -> int:
        """Forget unread body octets; return how many need connection credit."""
        n = len(self._body) - self._exempt
        self._body.clear()
        self._exempt = 0
        return max(n, 0)

    # -- response -------------------------------------------------------------

    def _conn(self) -> Any:
        conn = self.connection
        if conn is None:
            raise HTTP2StreamError(self.stream_id, "stream has no connection",
                                   HTTP2ErrorCode.INTERNAL_ERROR)
        if self.state is _CLOSED:
            code = self.reset_code
            if code is None or (code == HTTP2ErrorCode.NO_ERROR and self.response_complete):
                raise HTTP2StreamError(self.stream_id, "stream is closed",
                                       HTTP2ErrorCode.STREAM_CLOSED)
            who = "the peer" if self.reset_remote else "the server"
            raise HTTP2StreamError(self.stream_id, "stream was reset by %s (%s)"
                                   % (who, _code_name(code)), code)
        return conn

    # The methods below have the names and arguments of the protocol-neutral
    # ``gunicorn.http.stream.Stream`` interface; being sans-IO, ``send_data``
    # takes what flow control allows instead of blocking, and the request
    # content comes from ``read_body``, which never waits.

    @property
    def socket(self) -> None:
        """No socket: the connection's driver owns it."""
        return None

    def send_informational(self, status_code: int, headers: Iterable[Any] = ()) -> None:
        """Send a 1xx response head, e.g. 103 Early Hints (RFC 8297); may repeat."""
        self._conn().send_informational(self.stream_id, status_code, headers)

    def send_continue(self) -> None:
        """Send ``100 Continue`` once if the client asked for it and nothing was sent yet."""
        req = self.request
        if (req is not None and getattr(req, "expect_100", False) and not self.response_started
                and not self.informational_sent and self.state in _SENDING):
            self.send_informational(100, ())

    def send_head(self, status_code: int, headers: Iterable[Any] = (),
                  reason: str | None = None, content_length: int | None = None,
                  close: bool = False, upgrade: bool = False, server: str | None = None,
                  end: bool = False, *, end_stream: bool = False) -> None:
        """Send the final response head.

        Args:
            status_code: 200..999 (an int).
            headers: (name, value) pairs; connection-specific fields are
                dropped, names lowercased (RFC 9113 section 8.2).
            reason: ignored (HTTP/2 has no reason phrase).
            content_length: the Content-Length, added when *headers* lack it.
            close: ignored (a stream cannot close an HTTP/2 connection).
            upgrade: must be False (HTTP/2 has no 101, RFC 9113 section 8.6).
            server: a Server field value to add, or None.
            end / end_stream: the response has no content; the head ends it.
        """
        if upgrade:
            raise HTTP2StreamError(self.stream_id, "HTTP/2 cannot switch protocols",
                                   HTTP2ErrorCode.INTERNAL_ERROR)
        fields = list(headers)
        if content_length is not None and not any(
                str(name).lower() == "content-length" for name, _value in fields):
            fields.append(("content-length", str(content_length)))
        if server:
            fields.append(("server", server))
        self._conn().send_headers(self.stream_id, status_code, fields,
                                  end_stream=end or end_stream)

    def send_data(self, data: bytes, end_stream: bool = False) -> int:
        """Send as much of *data* as flow control allows now; return the octets taken.

        When fewer than ``len(data)`` were taken, send the rest after a
        WindowUpdated event (``end_stream`` only applies once all was taken).
        """
        return self._conn().send_data(self.stream_id, data, end_stream=end_stream)

    def end(self, trailers: Iterable[Any] | None = None) -> None:
        """End the response: with a trailer section when *trailers* is not empty."""
        self._conn().end_stream(self.stream_id, trailers)

    def flush(self) -> None:
        """Nothing is held back here; the driver writes ``data_to_send()``."""

    def can_sendfile(self) -> bool:
        """False: content goes through DATA frames."""
        return False

    def sendfile(self, file: Any, offset: int, count: int) -> None:
        """None: the caller reads the file and calls ``send_data``."""
        return None

    def plan_response(self, status_code: int, content_length: int | None) -> tuple[int, bool]:
        """(framing, keep_alive) as ``gunicorn.http.core.framing`` names them.

        No content for HEAD, 1xx, 204 and 304; BODY_LENGTH with a
        Content-Length; otherwise BODY_CHUNKED, standing for "delimited by
        END_STREAM".  The connection always stays open.
        """
        from gunicorn.http.core.framing import response_framing

        method = getattr(self.request, "method", None) or self._pseudo.get(":method", "GET")
        return response_framing(method, (2, 0), status_code, content_length), self.keep_alive

    def response_framing(self, status_code: int, content_length: int | None) -> int:
        """The framing alone (see ``plan_response``)."""
        return self.plan_response(status_code, content_length)[0]

    @property
    def keep_alive(self) -> bool:
        """True while the connection lives: streams never end it."""
        conn = self.connection
        return conn is not None and not conn.is_closed

    def request_close(self) -> None:
        """Ignored: one exchange cannot close a multiplexed connection."""

    def send_headers(self, headers: Iterable[Any], end_stream: bool = False) -> None:
        """Send a field block with a ``:status`` pseudo-header (gunicorn 25 shape).

        A 1xx ``:status`` sends an informational response, any other a final
        head.  Raises HTTP2StreamError when ``:status`` is missing.
        """
        status = None
        rest = []
        for name, value in headers:
            key = name.decode("latin-1") if isinstance(name, (bytes, bytearray)) else name
            if key == ":status":
                status = int(value)
            else:
                rest.append((name, value))
        if status is None:
            raise HTTP2StreamError(self.stream_id, "response fields without :status",
                                   HTTP2ErrorCode.INTERNAL_ERROR)
        if 100 <= status < 200:
            self.send_informational(status, rest)
        else:
            self.send_head(status, rest, end_stream=end_stream)

    def send_trailers(self, trailers: Iterable[Any]) -> None:
        """End the response with a trailer section (HEADERS with END_STREAM)."""
        self.response_trailers = list(trailers)
        self.end(self.response_trailers)

    def reset(self, error_code: int = HTTP2ErrorCode.CANCEL) -> None:
        """Reset the stream (RST_STREAM with *error_code*); no-op once closed."""
        if self.connection is None:
            self.state = _CLOSED
            self.reset_code = error_code
            self._drop_body()
            return
        self.connection.reset_stream(self.stream_id, error_code)

    def close(self) -> None:
        """Release the stream: reset it with CANCEL if it is still open."""
        if self.state is not _CLOSED:
            self.reset(HTTP2ErrorCode.CANCEL)
