"""``wsgi.early_hints``: 103 Early Hints responses (RFC 8297).

Each call sends one interim response through the request's stream; on
HTTP/1.1 the connection produces::

    HTTP/1.1 103 Early Hints\r\n
    Link: </style.css>; rel=preload\r\n
    \r\n

before the final response.  HTTP/1.0 (and 0.9) clients do not understand 1xx
responses (RFC 9110 section 15.2), so the callback is a silent no-op for them,
and it is a no-op once the final response head has been sent.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.http.errors import InvalidResponseHeader, InvalidResponseHeaderName
from gunicorn.http.wsgi_fields import INVALID_VALUE_RE, TOKEN_RE

__all__ = [
    "InvalidEarlyHint",
    "InvalidEarlyHintName",
    "InvalidEarlyHintValue",
    "check_early_hint",
    "encode_early_hints",
    "_make_early_hints_callback",
]

EARLY_HINTS_STATUS_LINE = b"HTTP/1.1 103 Early Hints\r\n"


class InvalidEarlyHint(ValueError, TypeError):
    """An early-hint field is not a (name, value) pair of str/bytes, the name
    is not a token, or the value holds characters a field-value may not
    (RFC 9110 sections 5.1 and 5.5).  A ValueError (and a TypeError for
    callers that catch that for wrong types)."""


class InvalidEarlyHintName(InvalidEarlyHint, InvalidResponseHeaderName):
    """An early-hint field-name that is not a token.

    Also an InvalidHeaderName; like any bad response field it is answered 500.
    """

    def __init__(self, hdr: Any) -> None:
        InvalidEarlyHint.__init__(self, "invalid early hint header name %r" % (hdr,))
        self.hdr = hdr

    def __str__(self) -> str:
        return "invalid early hint header name %r" % (self.hdr,)


class InvalidEarlyHintValue(InvalidEarlyHint, InvalidResponseHeader):
    """An early-hint field-value with forbidden characters.

    Also an InvalidHeader; like any bad response field it is answered 500.

    The value itself is left out of the message (it may be a secret).
    """

    def __init__(self, hdr: Any) -> None:
        InvalidEarlyHint.__init__(self, "invalid early hint header value for %r" % (hdr,))
        self.hdr = hdr
        self.req = None

    def __str__(self) -> str:
        return "invalid early hint header value for %r" % (self.hdr,)


def _as_text(item: Any, what: str) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, (bytes, bytearray)):
        return bytes(item).decode("latin-1")
    raise InvalidEarlyHint("early hint %s %r is not str or bytes" % (what, item))


def check_early_hint(pair: Any) -> tuple[str, str]:
    """Validate one early-hint field and return it as (name, value) str.

    Args:
        pair: a (name, value) pair of str or bytes (bytes are read as latin-1).

    Raises:
        InvalidEarlyHint: not a pair or not str/bytes; its subclass
            InvalidEarlyHintName (an InvalidHeaderName) for a name that is not
            a token, InvalidEarlyHintValue (an InvalidHeader) for a value with
            CR, LF, NUL, other controls or characters above U+00FF.
    """
    try:
        name, value = pair
    except (TypeError, ValueError):
        raise InvalidEarlyHint("early hint %r is not a (name, value) pair" % (pair,))
    name = _as_text(name, "name")
    value = _as_text(value, "value")
    if TOKEN_RE.fullmatch(name) is None:
        raise InvalidEarlyHintName(name)
    if INVALID_VALUE_RE.search(value) is not None:
        raise InvalidEarlyHintValue(name)
    return name, value.strip(" \t")


def encode_early_hints(headers: Iterable[Any]) -> bytes:
    """Return the field lines for ``headers`` as bytes (each ending in CRLF).

    Raises InvalidEarlyHint (see check_early_hint) before anything is built.
    """
    lines = ["%s: %s\r\n" % check_early_hint(pair) for pair in headers]
    return "".join(lines).encode("latin-1")


def _make_early_hints_callback(req: Any, sock: Any, resp: Any) -> Callable[[Iterable[Any]], None]:
    """Build the ``wsgi.early_hints`` callable for one HTTP/1.x request.

    Args:
        req: the request (``req.version`` is a (major, minor) tuple).
        sock: the client socket (used only when *resp* has no stream).
        resp: the Response; hints go through ``resp.stream`` and nothing is
            sent once ``resp.headers_sent``.

    The returned callable takes a list of (name, value) pairs and raises
    InvalidEarlyHint (a ValueError) before sending anything when one is bad.
    """
    version = getattr(req, "version", (1, 0))
    if isinstance(version, tuple) and version >= (2, 0):
        return _http2_early_hints_callback(req)
    if not isinstance(version, tuple) or version < (1, 1):

        def skip_early_hints(headers: Iterable[Any]) -> None:
            # Validate anyway so the application learns of bad hints on any client.
            encode_early_hints(headers)

        return skip_early_hints

    stream = getattr(resp, "stream", None)
    if stream is None:
        from gunicorn.http.stream import HTTP1Stream

        stream = HTTP1Stream.for_request(req, sock)

    def send_early_hints(headers: Iterable[Any]) -> None:
        pairs = [check_early_hint(pair) for pair in headers]
        if resp is not None and resp.headers_sent:
            return
        # an empty list still sends a bare 103 (the application asked for one)
        stream.send_informational(103, pairs)

    return send_early_hints


def _http2_early_hints_callback(req: Any) -> Callable[[Iterable[Any]], None]:
    """``wsgi.early_hints`` for an HTTP/2 request object.

    Raw HTTP/1.1 bytes must never reach an HTTP/2 connection, so the hints
    become an informational HEADERS frame through the stream's blocking
    connection (``send_informational(stream_id, 103, headers)``, lowercased
    names, RFC 9113 section 8.2.2) when it has one, and are dropped otherwise.
    Workers with their own HTTP/2 callback replace this one.
    """
    stream = getattr(req, "stream", None)

    def send_http2_early_hints(headers: Iterable[Any]) -> None:
        pairs = [(name.lower(), value) for name, value in map(check_early_hint, headers)]
        if not pairs or getattr(stream, "response_started", False):
            return
        # looked up here, not per request: most applications send no hints
        send = getattr(getattr(stream, "connection", None), "send_informational", None)
        if callable(send) and not inspect.iscoroutinefunction(send):
            send(stream.stream_id, 103, pairs)  # type: ignore[union-attr]

    return send_http2_early_hints
