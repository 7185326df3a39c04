"""Sans-IO HTTP/1.1 request core: bytes in, parsed heads / body bytes out.

No sockets, threads or event loops here; the blocking facades
(``gunicorn.http.parser``) and the asyncio worker both drive these objects.

Main entry points:

* ``ParserSettings(cfg)``: limits and switches read once from a config;
  ``settings_for(cfg)`` shares them per Config until a setting changes.
* ``HeadParser(settings, trusted).parse(buf)`` -> ``RequestHead`` or None.
* ``ChunkedDecoder(settings)``: ``feed(data) -> bytes``, ``done``,
  ``trailers``, ``unused``, ``eof()``.
* ``parse_proxy_prefix(buf, mode, allowed, host)``: PROXY v1/v2.
* ``uwsgi.UWSGIHeadParser``: uWSGI request packets in place of HTTP/1.1
  heads (``protocol = "uwsgi"``), same interface as ``HeadParser``; not
  imported here (``ServerConnection`` loads it when the settings ask).
* ``decide_framing`` / ``should_close`` / ``response_framing``: RFC 9112
  sections 6 and 9.3.
* ``ServerConnection``: both directions of one connection as an h11-style
  state machine (``receive_data``/``next_event``, ``send(event) -> bytes``,
  keep-alive, 100-continue, pipelining, draining); ``RequestReader`` is its
  request-only form.  Events live in ``events``, the byte caches in
  ``serialize``.
"""

from ..errors import LocalProtocolError
from .chunked import ChunkedDecoder
from .connection import (
    DRAIN_LIMIT,
    RequestReader,
    ServerConnection,
)
from .events import (
    CONNECTION_CLOSED,
    NEED_DATA,
    PAUSED,
    Data,
    EndOfMessage,
    ErrorResponse,
    InformationalResponse,
    Response,
)
from .framing import decide_framing, response_framing, should_close
from .head import HeadParser, RequestHead, parse_request_line, split_target
from .policy import FieldPolicy, ip_allowed
from .proxy import parse_proxy_prefix
from .settings import ParserSettings, settings_for

__all__ = [
    "CONNECTION_CLOSED",
    "ChunkedDecoder",
    "DRAIN_LIMIT",
    "Data",
    "EndOfMessage",
    "ErrorResponse",
    "InformationalResponse",
    "LocalProtocolError",
    "PAUSED",
    "Response",
    "ServerConnection",
    "response_framing",
    "FieldPolicy",
    "HeadParser",
    "NEED_DATA",
    "ParserSettings",
    "settings_for",
    "RequestHead",
    "RequestReader",
    "decide_framing",
    "ip_allowed",
    "parse_proxy_prefix",
    "parse_request_line",
    "should_close",
    "split_target",
]
