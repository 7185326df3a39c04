"""HTTP/2 errors and the error codes of RFC 9113 section 7.

``HTTP2Error`` is the base class.  Each subclass names one error code and
carries it as ``error_code``; the code is what goes into the RST_STREAM or
GOAWAY frame that reports the error to the peer.  ``HTTP2StreamError`` is a
stream error (RFC 9113 section 5.4.2: only that stream is reset), every other
class describes the connection unless said otherwise.

None of this module needs the ``h2`` package.
"""

from __future__ import annotations

import errno
from enum import IntEnum

__all__ = [
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
    "StreamCancelled",
    "HTTP2ConnectionError",
    "HTTP2ConfigurationError",
    "HTTP2NotAvailable",
    "error_for_code",
]


class HTTP2ErrorCode(IntEnum):
    """The error codes of RFC 9113 section 7 (32-bit values in RST_STREAM and GOAWAY)."""

    NO_ERROR = 0x0
    PROTOCOL_ERROR = 0x1
    INTERNAL_ERROR = 0x2
    FLOW_CONTROL_ERROR = 0x3
    SETTINGS_TIMEOUT = 0x4
    STREAM_CLOSED = 0x5
    FRAME_SIZE_ERROR = 0x6
    REFUSED_STREAM = 0x7
    CANCEL = 0x8
    COMPRESSION_ERROR = 0x9
    CONNECT_ERROR = 0xA
    ENHANCE_YOUR_CALM = 0xB
    INADEQUATE_SECURITY = 0xC
    HTTP_1_1_REQUIRED = 0xD


class HTTP2Error(Exception):
    """HTTP/2 error."""

    error_code: int = HTTP2ErrorCode.INTERNAL_ERROR

    def __init__(self, message: str | None = None, error_code: int | None = None) -> None:
        """Args:
            message: text of the error; the first line of the class docstring
                when None.
            error_code: an ``HTTP2ErrorCode`` value overriding the class default.
        """
        if message is None:
            message = (type(self).__doc__ or "HTTP/2 error").strip().split("\n", 1)[0]
        super().__init__(message)
        self.message = message
        if error_code is not None:
            self.error_code = error_code

    def __str__(self) -> str:
        return self.message


class HTTP2ProtocolError(HTTP2Error):
    """Protocol error detected."""

    error_code = HTTP2ErrorCode.PROTOCOL_ERROR


class HTTP2InternalError(HTTP2Error):
    """Internal error."""

    error_code = HTTP2ErrorCode.INTERNAL_ERROR


class HTTP2FlowControlError(HTTP2Error):
    """Flow-control limits exceeded."""

    error_code = HTTP2ErrorCode.FLOW_CONTROL_ERROR


class HTTP2SettingsTimeout(HTTP2Error):
    """Settings not acknowledged in time."""

    error_code = HTTP2ErrorCode.SETTINGS_TIMEOUT


class HTTP2StreamClosed(HTTP2Error):
    """Frame received for a closed stream."""

    error_code = HTTP2ErrorCode.STREAM_CLOSED


class HTTP2FrameSizeError(HTTP2Error):
    """Frame size incorrect."""

    error_code = HTTP2ErrorCode.FRAME_SIZE_ERROR


class HTTP2RefusedStream(HTTP2Error):
    """Stream not processed."""

    error_code = HTTP2ErrorCode.REFUSED_STREAM


class HTTP2Cancel(HTTP2Error):
    """Stream cancelled."""

    error_code = HTTP2ErrorCode.CANCEL


class HTTP2CompressionError(HTTP2Error):
    """Compression state not updated."""

    error_code = HTTP2ErrorCode.COMPRESSION_ERROR


class HTTP2ConnectError(HTTP2Error):
    """TCP connection error for CONNECT method."""

    error_code = HTTP2ErrorCode.CONNECT_ERROR


class HTTP2EnhanceYourCalm(HTTP2Error):
    """Processing capacity exceeded."""

    error_code = HTTP2ErrorCode.ENHANCE_YOUR_CALM


class HTTP2InadequateSecurity(HTTP2Error):
    """Negotiated TLS parameters not acceptable."""

    error_code = HTTP2ErrorCode.INADEQUATE_SECURITY


class HTTP2RequiresHTTP11(HTTP2Error):
    """Use HTTP/1.1 for the request."""

    error_code = HTTP2ErrorCode.HTTP_1_1_REQUIRED


class HTTP2StreamError(HTTP2Error):
    """Stream error."""

    error_code = HTTP2ErrorCode.PROTOCOL_ERROR

    def __init__(self, stream_id: int, message: str | None = None,
                 error_code: int | None = None) -> None:
        """Args:
            stream_id: the stream the error applies to (RFC 9113 section 5.4.2).
            message: text; the class docstring when None.
            error_code: the RST_STREAM error code (default PROTOCOL_ERROR).
        """
        self.stream_id = stream_id
        super().__init__(message, error_code)

    def __str__(self) -> str:
        return "Stream %d: %s" % (self.stream_id, self.message)


class StreamCancelled(HTTP2StreamError, ConnectionResetError):
    """The stream (or its connection) is gone: reset by the peer, timed out or
    closed.  Also a ``ConnectionResetError`` (errno ECONNRESET), so servers
    treat it as a client that went away: a debug line, never an error page.
    Raised by both drivers (``gunicorn.http2.connection`` re-exports it)."""

    def __init__(self, stream_id: int, message: str | None = None,
                 error_code: int | None = None) -> None:
        HTTP2StreamError.__init__(self, stream_id, message, error_code)
        self.errno = errno.ECONNRESET


class HTTP2ConnectionError(HTTP2Error):
    """Connection error."""

    error_code = HTTP2ErrorCode.INTERNAL_ERROR


class HTTP2ConfigurationError(HTTP2Error):
    """HTTP/2 configuration error."""

    error_code = HTTP2ErrorCode.INTERNAL_ERROR


class HTTP2NotAvailable(HTTP2Error):
    """HTTP/2 is not available: install the h2 package (>= 4.1.0), gunicorn[http2]."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message)


_BY_CODE: dict[int, type[HTTP2Error]] = {
    cls.error_code: cls
    for cls in (
        HTTP2ProtocolError, HTTP2InternalError, HTTP2FlowControlError, HTTP2SettingsTimeout,
        HTTP2StreamClosed, HTTP2FrameSizeError, HTTP2RefusedStream, HTTP2Cancel,
        HTTP2CompressionError, HTTP2ConnectError, HTTP2EnhanceYourCalm,
        HTTP2InadequateSecurity, HTTP2RequiresHTTP11,
    )
}


def error_for_code(error_code: int, message: str | None = None) -> HTTP2Error:
    """An instance of the HTTP2Error subclass for *error_code* (RFC 9113 section 7).

    Unknown codes, which RFC 9113 section 7 says must not trigger special
    behaviour, give a plain HTTP2Error carrying that code.
    """
    cls = _BY_CODE.get(error_code)
    if cls is None:
        return HTTP2Error(message or "error code 0x%x" % error_code, error_code)
    return cls(message)
