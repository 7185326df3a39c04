"""Events of an HTTP/1.1 server connection (h11-style, sans-IO).

``ServerConnection.next_event()`` returns what the client sent: a
``RequestHead`` (see ``head.py``), then ``Data`` pieces of the request body,
then one ``EndOfMessage``; or one of the sentinels ``NEED_DATA``, ``PAUSED``
and ``CONNECTION_CLOSED``.

``ServerConnection.send(event)`` takes what the server answers:
``InformationalResponse`` (1xx), ``Response`` (the final head), ``Data``,
``EndOfMessage`` and ``ErrorResponse`` (a complete error page for a request
that could not be parsed), and returns the bytes to write.

Events are frozen: a driver may keep them, compare them or hand them to
another thread.  RFC 9110 (semantics) and RFC 9112 (HTTP/1.1 syntax).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Sentinel",
    "NEED_DATA",
    "PAUSED",
    "CONNECTION_CLOSED",
    "InformationalResponse",
    "Response",
    "Data",
    "EndOfMessage",
    "ErrorResponse",
]


class Sentinel:
    """A named singleton returned by ``next_event`` instead of an event."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: More bytes from the peer are needed before the next event.
NEED_DATA = Sentinel("NEED_DATA")
#: A whole request was received; the next one is read only after our response
#: is complete and the driver called ``start_next_cycle()`` (pipelining,
#: RFC 9112 section 9.3.2).
PAUSED = Sentinel("PAUSED")
#: No further request will be read on this connection: the peer closed it
#: between requests, or the connection decided to close (e.g. the unread rest
#: of a body was over the drain limit).
CONNECTION_CLOSED = Sentinel("CONNECTION_CLOSED")


@dataclass(frozen=True, slots=True)
class InformationalResponse:
    """An interim 1xx response (RFC 9110 section 15.2): 100 Continue or 103
    Early Hints.  ``headers``: (name, value) str pairs, already validated.
    101 is not informational here: it is a final ``Response`` that switches
    protocols."""

    status_code: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Response:
    """The final response head (RFC 9112 section 4).

    ``headers``: (name, value) str pairs, validated by the caller.  The
    connection removes the fields it owns (Connection, Transfer-Encoding,
    Keep-Alive, Server, Date; Content-Length on 1xx and 204) and adds Server,
    Date, Connection and, when it frames the body as chunked,
    ``Transfer-Encoding: chunked``.  ``Connection: close`` among the headers,
    or ``close=True``, ask the connection to close after this response.
    ``reason``: the reason-phrase; "" picks the standard one.
    """

    status_code: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str = ""
    close: bool = False


@dataclass(frozen=True, slots=True)
class Data:
    """A piece of message content (RFC 9112 section 6).  Received: decoded
    request content; sent: response content the connection frames."""

    data: bytes


@dataclass(frozen=True, slots=True)
class EndOfMessage:
    """The end of a message; ``trailers`` as (name, value) pairs (received:
    UPPERCASE names; sent only on a chunked response, RFC 9112 section 7.1.2)."""

    trailers: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ErrorResponse:
    """A complete error answer: status line, ``Connection: close``, an HTML
    page showing ``message``.  ``status_code`` and ``reason`` usually come
    from a ``gunicorn.http.errors`` exception (``ServerConnection.send_error``).
    """

    status_code: int
    reason: str
    message: str = ""
