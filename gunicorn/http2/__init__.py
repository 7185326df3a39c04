"""HTTP/2 (RFC 9113) for gunicorn, built on the ``h2`` package (>= 4.1.0).

Public API (gunicorn 25 names): ``H2_MIN_VERSION``, ``is_http2_available()``,
``get_h2_version()``, ``get_http2_connection_class()``,
``get_async_http2_connection_class()`` and the error classes of
``gunicorn.http2.errors``.  The protocol itself is the sans-IO
``gunicorn.http2.core.HTTP2ServerProtocol``; ``connection`` (blocking) and
``async_connection`` (asyncio) are the I/O drivers.

Importing this package does not import ``h2``; ``server_ready()`` tells the
TLS layer and the configuration check whether a worker serves HTTP/2 yet.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import (
    HTTP2Cancel,
    HTTP2CompressionError,
    HTTP2ConfigurationError,
    HTTP2ConnectError,
    HTTP2ConnectionError,
    HTTP2EnhanceYourCalm,
    HTTP2Error,
    HTTP2ErrorCode,
    HTTP2FlowControlError,
    HTTP2FrameSizeError,
    HTTP2InadequateSecurity,
    HTTP2InternalError,
    HTTP2NotAvailable,
    HTTP2ProtocolError,
    HTTP2RefusedStream,
    HTTP2RequiresHTTP11,
    HTTP2SettingsTimeout,
    HTTP2StreamClosed,
    HTTP2StreamError,
)

__all__ = [
    "H2_MIN_VERSION",
    "SERVER_READY",
    "server_ready",
    "is_http2_available",
    "get_h2_version",
    "get_http2_connection_class",
    "get_async_http2_connection_class",
    "HTTP2ErrorCode",
    "HTTP2Error",
    "HTTP2ProtocolError",
    "HTTP2InternalError",
    "HTTP2FlowControlError",
    "HTTP2SettingsTimeout",
    "HTTP2StreamClosed",
    "HTTP2FrameSizeError",
    "HTTP2RefusedStream",
    "HTTP2Cancel",
    "HTTP2CompressionError",
    "HTTP2ConnectError",
    "HTTP2EnhanceYourCalm",
    "HTTP2InadequateSecurity",
    "HTTP2RequiresHTTP11",
    "HTTP2StreamError",
    "HTTP2ConnectionError",
    "HTTP2ConfigurationError",
    "HTTP2NotAvailable",
    "H2_ONLY_RESPONSE",
]

_H2_ONLY_BODY = b"This server speaks HTTP/2 only: offer h2 through ALPN.\n"
#: The answer to a TLS client that did not offer h2 in ALPN when
#: ``--http-protocols h2`` alone is configured (RFC 9110 section 15.6.6).
H2_ONLY_RESPONSE = (b"HTTP/1.1 505 HTTP Version Not Supported\r\n"
                    b"Content-Type: text/plain\r\nConnection: close\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(_H2_ONLY_BODY)) + _H2_ONLY_BODY

# Oldest h2 release with the API the protocol layer uses.
H2_MIN_VERSION = (4, 1, 0)

# Whether a worker of this release serves HTTP/2.  While False, ALPN does not
# offer "h2" (gunicorn.tls) and the configuration check warns that HTTP/2 is
# not served; the worker integration sets it to True.
SERVER_READY = True

_h2_state: tuple[bool, str | None] | None = None


def server_ready() -> bool:
    """True when a worker of this release serves HTTP/2 (ALPN may offer "h2")."""
    return SERVER_READY


def _probe() -> tuple[bool, str | None]:
    global _h2_state
    if _h2_state is None:
        try:
            import h2
        except ImportError:
            _h2_state = (False, None)
        else:
            version = getattr(h2, "__version__", "0")
            parts = tuple(int(p) for p in re.findall(r"\d+", version)[:3])
            _h2_state = (parts >= H2_MIN_VERSION, version)
    return _h2_state


def is_http2_available() -> bool:
    """True when the ``h2`` package is installed at version >= H2_MIN_VERSION (cached)."""
    return _probe()[0]


def get_h2_version() -> str | None:
    """The installed ``h2`` version string (e.g. "4.1.0"), or None without h2."""
    return _probe()[1]


def _require() -> None:
    available, version = _probe()
    if not available:
        if version is None:
            raise HTTP2NotAvailable()
        raise HTTP2NotAvailable(
            "HTTP/2 needs h2 >= %s, found %s" % (".".join(map(str, H2_MIN_VERSION)), version))


def get_http2_connection_class() -> Any:
    """``gunicorn.http2.connection.HTTP2ServerConnection`` (blocking driver).

    Raises HTTP2NotAvailable when h2 (>= 4.1.0) is missing.
    """
    _require()
    from .connection import HTTP2ServerConnection

    return HTTP2ServerConnection


def get_async_http2_connection_class() -> Any:
    """``gunicorn.http2.async_connection.AsyncHTTP2Connection`` (asyncio driver).

    Raises HTTP2NotAvailable when h2 (>= 4.1.0) is missing.
    """
    _require()
    from .async_connection import AsyncHTTP2Connection

    return AsyncHTTP2Connection
