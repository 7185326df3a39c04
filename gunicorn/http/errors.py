"""Errors raised while parsing HTTP/1.x requests.

Every class carries two class attributes that a worker uses to answer the
client: ``status_code`` (int) and ``reason`` (the standard reason phrase,
RFC 9110 section 15).  Workers answer with
``util.write_error(sock, exc.status_code, exc.reason, str(exc))`` and close
the connection.  ``NoMoreData`` gets no answer: the peer has gone.

Constructor arguments, attribute names and ``str()`` shapes match gunicorn
25.0 so that code catching these classes keeps working.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ParseException",
    "NoMoreData",
    "ClientDisconnected",
    "LocalProtocolError",
    "ConfigurationProblem",
    "InvalidRequestLine",
    "InvalidRequestMethod",
    "ExpectationFailed",
    "InvalidHTTPVersion",
    "InvalidHeader",
    "ObsoleteFolding",
    "InvalidHeaderName",
    "UnsupportedTransferCoding",
    "InvalidChunkSize",
    "InvalidChunkExtension",
    "ChunkMissingTerminator",
    "LimitRequestLine",
    "LimitRequestHeaders",
    "InvalidProxyLine",
    "InvalidProxyHeader",
    "ForbiddenProxyRequest",
    "InvalidSchemeHeaders",
    "InvalidResponseHeader",
    "InvalidResponseHeaderName",
    "InvalidResponseStatus",
]


class ParseException(Exception):
    """Base class of request parse errors; answered with 400 unless overridden."""

    status_code: int = 400
    reason: str = "Bad Request"


class NoMoreData(IOError):
    """The peer closed the connection in the middle of a message.

    ``buf`` holds the bytes received so far (may be None).  No response is sent.
    """

    status_code: int = 400
    reason: str = "Bad Request"

    def __init__(self, buf: Any = None) -> None:
        super().__init__(buf)
        self.buf = buf

    def __str__(self) -> str:
        return "No more data after: %r" % (self.buf,)


class ClientDisconnected(NoMoreData):
    """The peer closed the connection before the request content it announced
    was complete (RFC 9112 section 8: the message is incomplete).

    Raised to the application by ``wsgi.input`` in the server; like any
    NoMoreData it gets no response and is logged at debug level, and the
    connection is not reused.  ``buf`` holds the content bytes missing, when
    known (an int), else None.
    """

    def __str__(self) -> str:
        if isinstance(self.buf, int):
            return "Client disconnected with %d bytes of the request content missing" % self.buf
        return "Client disconnected before the request content was complete"


class LocalProtocolError(RuntimeError):
    """The server tried something the HTTP/1.1 state machine does not allow
    (e.g. data before the response head, two final responses, receiving after
    a protocol error): a bug in the driver or the application adapter, not in
    the request.  Never sent to the client."""


class ConfigurationProblem(ParseException):
    """A server-side configuration error discovered while parsing (500)."""

    status_code = 500
    reason = "Internal Server Error"

    def __init__(self, info: Any) -> None:
        super().__init__(info)
        self.info = info
        self.code = 500

    def __str__(self) -> str:
        return "Configuration problem: %s" % (self.info,)


class InvalidRequestLine(ParseException):
    """The request-line is malformed (RFC 9112 section 3)."""

    def __init__(self, req: Any) -> None:
        super().__init__(req)
        self.req = req
        self.code = 400

    def __str__(self) -> str:
        return "Invalid HTTP request line: %r" % (self.req,)


class InvalidRequestMethod(ParseException):
    """The method is not a token, or breaks the conventional-method rule (RFC 9110 section 9)."""

    def __init__(self, method: Any) -> None:
        super().__init__(method)
        self.method = method

    def __str__(self) -> str:
        return "Invalid HTTP method: %r" % (self.method,)


class ExpectationFailed(ParseException):
    """An ``Expect`` value other than 100-continue (RFC 9110 section 10.1.1); 417."""

    status_code = 417
    reason = "Expectation Failed"

    def __init__(self, expect: Any) -> None:
        super().__init__(expect)
        self.expect = expect

    def __str__(self) -> str:
        return "Unable to comply with expectation: %r" % (self.expect,)


class InvalidHTTPVersion(ParseException):
    """The HTTP-version is malformed or not supported (RFC 9112 section 2.3)."""

    def __init__(self, version: Any) -> None:
        super().__init__(version)
        self.version = version

    def __str__(self) -> str:
        return "Invalid HTTP Version: %r" % (self.version,)


class InvalidHeader(ParseException):
    """A field line or its value is invalid (RFC 9110 section 5, RFC 9112 section 5).

    ``req`` is the request object when known (used for the access log).
    """

    def __init__(self, hdr: Any, req: Any = None) -> None:
        super().__init__(hdr)
        self.hdr = hdr
        self.req = req

    def __str__(self) -> str:
        return "Invalid HTTP Header: %r" % (self.hdr,)


class ObsoleteFolding(ParseException):
    """A field value uses obs-fold and folding is not permitted (RFC 9112 section 5.2)."""

    def __init__(self, hdr: Any) -> None:
        super().__init__(hdr)
        self.hdr = hdr

    def __str__(self) -> str:
        return "Obsolete line folding is unacceptable: %r" % (self.hdr,)


class InvalidHeaderName(ParseException):
    """A field-name is not a token, or is refused by ``header_map`` (RFC 9110 section 5.1)."""

    def __init__(self, hdr: Any) -> None:
        super().__init__(hdr)
        self.hdr = hdr

    def __str__(self) -> str:
        return "Invalid HTTP header name: %r" % (self.hdr,)


class UnsupportedTransferCoding(ParseException):
    """A transfer coding the server does not implement (RFC 9112 section 6.1); 501."""

    status_code = 501
    reason = "Not Implemented"

    def __init__(self, hdr: Any) -> None:
        super().__init__(hdr)
        self.hdr = hdr
        self.code = 501

    def __str__(self) -> str:
        return "Unsupported transfer coding: %r" % (self.hdr,)


class InvalidChunkSize(IOError):
    """A chunk-size line is malformed or too large (RFC 9112 section 7.1)."""

    status_code: int = 400
    reason: str = "Bad Request"

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        self.data = data

    def __str__(self) -> str:
        return "Invalid chunk size: %r" % (self.data,)


class InvalidChunkExtension(InvalidChunkSize):
    """A chunk-ext is not ``;name[=token|quoted-string]`` (RFC 9112 section 7.1.1)."""

    def __str__(self) -> str:
        return "Invalid chunk extension: %r" % (self.data,)


class ChunkMissingTerminator(IOError):
    """Chunk data is not followed by CRLF, or the chunked body ends early (RFC 9112 section 7.1)."""

    status_code: int = 400
    reason: str = "Bad Request"

    def __init__(self, term: Any) -> None:
        super().__init__(term)
        self.term = term

    def __str__(self) -> str:
        return "Invalid chunk terminator is not '\\r\\n': %r" % (self.term,)


class LimitRequestLine(ParseException):
    """The request-line is longer than ``limit_request_line`` bytes; 414."""

    status_code = 414
    reason = "URI Too Long"

    def __init__(self, size: int, max_size: int) -> None:
        super().__init__(size, max_size)
        self.size = size
        self.max_size = max_size

    def __str__(self) -> str:
        return "Request Line is too large (%s > %s)" % (self.size, self.max_size)


class LimitRequestHeaders(ParseException):
    """Too many fields, a field line too long, or a head too large; 431."""

    status_code = 431
    reason = "Request Header Fields Too Large"

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg

    def __str__(self) -> str:
        return self.msg


class InvalidProxyLine(ParseException):
    """A malformed PROXY protocol v1 line."""

    def __init__(self, line: Any) -> None:
        super().__init__(line)
        self.line = line
        self.code = 400

    def __str__(self) -> str:
        return "Invalid PROXY line: %r" % (self.line,)


class InvalidProxyHeader(ParseException):
    """A malformed PROXY protocol v2 header (answered with 400)."""

    def __init__(self, msg: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.code = 400

    def __str__(self) -> str:
        return "Invalid PROXY header: %s" % (self.msg,)


class ForbiddenProxyRequest(ParseException):
    """A PROXY header from a peer not listed in ``proxy_allow_ips``; 403."""

    status_code = 403
    reason = "Forbidden"

    def __init__(self, host: Any) -> None:
        super().__init__(host)
        self.host = host
        self.code = 403

    def __str__(self) -> str:
        return "Proxy request from %r not allowed" % (self.host,)


class InvalidSchemeHeaders(ParseException):
    """Two trusted secure-scheme headers disagree."""

    def __init__(self) -> None:
        super().__init__()

    def __str__(self) -> str:
        return "Contradictory scheme headers"


# Errors in what the application sends (checked by the WSGI response writer).


class InvalidResponseHeader(InvalidHeader):
    """The application sent a header field value that is not allowed.

    A subclass of InvalidHeader (so code catching that keeps working), but the
    fault is the server side's: workers answer it with 500 (gunicorn 27.0).
    """

    status_code = 500
    reason = "Internal Server Error"


class InvalidResponseHeaderName(InvalidHeaderName):
    """The application sent a header field-name that is not a token; answered 500."""

    status_code = 500
    reason = "Internal Server Error"


class InvalidResponseStatus(ValueError):
    """The application's status is not ``3DIGIT [SP reason-phrase]``; answered 500."""

    status_code = 500
    reason = "Internal Server Error"

    def __init__(self, status: Any) -> None:
        super().__init__(status)
        self.status = status

    def __str__(self) -> str:
        return "Invalid response status: %r" % (self.status,)
