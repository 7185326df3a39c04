"""Events returned by ``HTTP2ServerProtocol.receive_data`` (frozen dataclasses).

Each names what the peer caused; an I/O driver reacts to them in order:

* ``RequestReceived``: a new request; run the application with ``request``.
* ``RequestRejected``: a request the HTTP/1.1 field policy refuses; answer it
  with ``error.status_code`` (e.g. ``send_error_response``).
* ``DataReceived``: request body octets were buffered in the stream (wake a
  reader waiting in ``read_body``).
* ``StreamEnded``: the request body is complete (``trailers`` possibly empty).
* ``StreamReset``: the stream is gone (by the peer, or by us for a protocol
  error); stop its application output.
* ``WindowUpdated``: flow-control credit arrived; ``stream_id`` 0 means every
  stream may be able to send more.
* ``ConnectionTerminated``: GOAWAY sent or received.  With ``remote`` and
  ``error_code`` NO_ERROR the peer only stops opening streams, so running
  streams finish; otherwise the connection is over: send what
  ``data_to_send()`` returns and close.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Event",
    "RequestReceived",
    "RequestRejected",
    "DataReceived",
    "StreamEnded",
    "StreamReset",
    "WindowUpdated",
    "ConnectionTerminated",
]


class Event:
    """Base class of HTTP/2 protocol events."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class RequestReceived(Event):
    """A request head passed every check.

    ``request`` is an HTTP2Request (``request.stream`` is its HTTP2Stream);
    ``end_stream`` is True when the request has no content.
    """

    stream_id: int
    request: Any
    end_stream: bool


@dataclass(frozen=True, slots=True)
class RequestRejected(Event):
    """A request refused by the field policy shared with HTTP/1.1.

    ``error`` is the ``gunicorn.http.errors`` exception (``status_code``,
    ``reason``).  The stream stays open for the error response; its request
    content is discarded.
    """

    stream_id: int
    error: BaseException


@dataclass(frozen=True, slots=True)
class DataReceived(Event):
    """``data`` (padding excluded) was appended to the stream's body buffer."""

    stream_id: int
    data: bytes
    end_stream: bool


@dataclass(frozen=True, slots=True)
class StreamEnded(Event):
    """The peer ended the request; ``trailers`` are (UPPERCASE name, value) pairs."""

    stream_id: int
    trailers: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class StreamReset(Event):
    """The stream was reset: by the peer (``remote``) or by us for a stream error."""

    stream_id: int
    error_code: int
    remote: bool


@dataclass(frozen=True, slots=True)
class WindowUpdated(Event):
    """More DATA may be sent on ``stream_id`` (0: on any stream)."""

    stream_id: int


@dataclass(frozen=True, slots=True)
class ConnectionTerminated(Event):
    """A GOAWAY frame was received (``remote``) or sent for a connection error.

    ``error`` is the HTTP2Error describing a connection error we detected
    (None for a GOAWAY from the peer).
    """

    error_code: int
    last_stream_id: int
    remote: bool
    additional_data: bytes = b""
    error: Any = None
