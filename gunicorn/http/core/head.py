"""Request head parsing: request-line plus field section, from one buffer.

Sans-IO: ``HeadParser.parse(buf)`` looks at a buffer holding the start of a
request and either returns None (more bytes needed; limits and bare LF are
checked on the partial data so that an attacker cannot make us wait) or a
``RequestHead`` whose ``end`` is the offset of the first body byte.
RFC 9112 sections 2.2, 3 and 5; RFC 9110 sections 5, 9 and 10.1.1.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..errors import (
    ExpectationFailed,
    InvalidHeader,
    InvalidHTTPVersion,
    InvalidRequestLine,
    InvalidRequestMethod,
    InvalidSchemeHeaders,
    LimitRequestHeaders,
    LimitRequestLine,
)
from .fields import apply_underscore_policy, parse_field_section
from .framing import decide_framing
from .grammar import (
    ABSOLUTE_FORM_RE,
    AUTHORITY_FORM_RE,
    FAST_REQUEST_LINE_RE,
    METHOD_BADCHAR_RE,
    TARGET_RE,
    TOKEN_RE,
    UNDERSCORE_NAME_RE,
    VERSION_RE,
)
from .settings import ParserSettings

__all__ = ["RequestHead", "HeadParser", "parse_request_line", "split_target"]

_NO_SECURE: dict[str, str] = {}
# minor version digit of HTTP/1.x -> version tuple
_HTTP1_VERSIONS = {str(d): (1, d) for d in range(10)}



class RequestHead:
    """A parsed request head.

    Attributes: ``method``, ``uri`` (raw request-target), ``path``, ``query``,
    ``fragment`` (str), ``version`` (tuple of ints), ``headers`` (list of
    (UPPERCASE name, value)), ``scheme`` ("http"/"https"), ``content_length``
    (int, or None when chunked), ``chunked`` (bool), ``expect_100`` (bool),
    ``must_close`` (bool: the connection cannot be reused whatever the
    headers say), ``connection`` (the Connection options, lowercased, the
    values of several fields joined with ", "; "close" when any field has
    the close option; None without the field),
    ``end`` (offset just past the head in the parsed buffer).
    """

    __slots__ = (
        "method", "uri", "path", "query", "fragment", "version", "headers", "scheme",
        "content_length", "chunked", "expect_100", "must_close", "connection", "end",
    )

    method: str
    uri: str
    path: str
    query: str
    fragment: str
    version: tuple[int, int]
    headers: list[tuple[str, str]]
    scheme: str
    content_length: int | None
    chunked: bool
    expect_100: bool
    must_close: bool
    connection: str | None
    end: int
    #: the CGI vars of a uWSGI packet (``core/uwsgi.py``); None for HTTP
    uwsgi_vars: dict[str, str] | None = None

    def __repr__(self) -> str:
        return "<RequestHead %s %s HTTP/%d.%d>" % (
            self.method, self.uri, self.version[0], self.version[1])


def split_target(target: str) -> tuple[str, str, str]:
    """Split a request-target into (path, query, fragment).

    Origin-form (and so a leading ``//``) is split without urllib; other forms
    go through ``urllib.parse.urlsplit``.  Raises ValueError on a bad URI.
    """
    if target[:1] == "/":
        rest, _, fragment = target.partition("#")
        path, _, query = rest.partition("?")
        return path, query, fragment
    parts = urlsplit(target)
    return parts.path or "", parts.query or "", parts.fragment or ""


def parse_request_line(line: str, s: ParserSettings) -> tuple[str, str, tuple[int, int]]:
    """Validate a request-line (without CRLF) and return (method, target, version).

    Raises InvalidRequestLine, InvalidRequestMethod or InvalidHTTPVersion
    (RFC 9112 section 3; method rules of gunicorn on top of RFC 9110 9.1).
    """
    m = FAST_REQUEST_LINE_RE.fullmatch(line)
    if m is not None:
        method, target, minor = m.groups()
        if method != "CONNECT":
            return method, target, _HTTP1_VERSIONS[minor]
    if "\r" in line or "\n" in line:
        raise InvalidRequestLine(line)
    bits = line.split(" ", 2)
    if len(bits) != 3:
        raise InvalidRequestLine(line)
    method, target, version = bits
    if not s.permit_unconventional_http_method:
        if METHOD_BADCHAR_RE.search(method) is not None or not 3 <= len(method) <= 20:
            raise InvalidRequestMethod(method)
    if TOKEN_RE.fullmatch(method) is None:
        raise InvalidRequestMethod(method)
    if s.casefold_http_method:
        method = method.upper()
    _check_target(method, target, line)
    vm = VERSION_RE.fullmatch(version)
    if vm is None:
        raise InvalidHTTPVersion(version)
    ver = (int(vm.group(1)), int(vm.group(2)))
    if not (1, 0) <= ver < (2, 0) and not s.permit_unconventional_http_version:
        raise InvalidHTTPVersion(ver)
    return method, target, ver


def _check_target(method: str, target: str, line: str) -> None:
    """request-target forms (RFC 9112 section 3.2)."""
    if TARGET_RE.fullmatch(target) is None:
        # empty, or control / non-ASCII octets
        raise InvalidRequestLine(line)
    if method == "CONNECT":
        if AUTHORITY_FORM_RE.fullmatch(target) is None:
            raise InvalidRequestLine(line)
        return
    first = target[0]
    if first == "/":
        return
    if target == "*":
        if method != "OPTIONS":
            raise InvalidRequestLine(line)
        return
    if ABSOLUTE_FORM_RE.fullmatch(target) is None:
        raise InvalidRequestLine(line)
    if AUTHORITY_FORM_RE.fullmatch(target) is not None and "/" not in target:
        # authority-form is only for CONNECT
        raise InvalidRequestLine(line)


class HeadParser:
    """Parse request heads for one connection.

    *settings* are the connection's ParserSettings; *trusted* says whether
    the peer is in ``forwarded_allow_ips`` (secure-scheme and forwarder
    headers are honoured only then).  ``parse`` may be called repeatedly on
    a growing buffer; call ``reset()`` after a head was returned.
    """

    __slots__ = ("settings", "trusted", "_scan", "_interesting", "_secure", "_line_at", "_line",
                 "_fields")

    def __init__(self, settings: ParserSettings, trusted: bool) -> None:
        self.settings = settings
        self.trusted = trusted
        self._scan = 0
        self._fields = 0
        self._line_at = -1
        self._line: Any = None
        self._secure = settings.policy.secure_scheme_headers if trusted else _NO_SECURE
        self._interesting = settings.interesting_fields[1 if trusted else 0]

    def reset(self) -> None:
        """Forget incremental scan state (start of a new head)."""
        self._scan = 0
        self._fields = 0
        self._line_at = -1

    def parse(self, buf: bytes | bytearray, start: int = 0) -> RequestHead | None:
        """Parse the head at ``buf[start:]``; None when it is not complete yet.

        Raises the request-line / field errors of gunicorn.http.errors,
        LimitRequestLine (414) and LimitRequestHeaders (431) as soon as the
        partial data proves them.
        """
        s = self.settings
        if buf.startswith(b"\r\n", start):
            # one empty line before the request-line is tolerated (RFC 9112 2.2)
            start += 2
        limit = s.limit_request_line
        le = buf.find(b"\r\n", start)
        if le < 0:
            lf = buf.find(b"\n", start)
            if lf >= 0:
                self._bad_request_line(buf, start, lf)
            if limit and len(buf) - start > limit + 1:
                raise LimitRequestLine(len(buf) - start, limit)
            return None
        if limit and le - start > limit:
            raise LimitRequestLine(le - start, limit)
        if self._line_at != le:
            # validate the request-line as soon as it is complete
            lf = buf.find(b"\n", start, le)
            if lf >= 0:
                self._bad_request_line(buf, start, lf)
            self._line = parse_request_line(buf[start:le].decode("latin-1"), s)
            self._line_at = le
        line_parts = self._line
        he = buf.find(b"\r\n\r\n", le)
        if he < 0:
            self._check_partial_fields(buf, start, le)
            return None
        if he - le + 2 > s.max_buffer_headers:
            raise LimitRequestHeaders("max buffer headers")
        method, target, version = line_parts
        block = buf[le + 2:he + 2].decode("latin-1")
        headers = parse_field_section(block, s)
        if "_" in block and UNDERSCORE_NAME_RE.search(block) is not None:
            headers = apply_underscore_policy(headers, s, self.trusted)
        head = self._inspect(headers, version)
        head.method = method
        head.uri = target
        try:
            head.path, head.query, head.fragment = split_target(target)
        except ValueError:
            raise InvalidRequestLine(bytes(buf[start:le]).decode("latin-1"))
        if method == "CONNECT":
            # the connection becomes a tunnel or ends; never reuse it
            head.must_close = True
        head.end = he + 4
        self._scan = 0
        self._fields = 0
        self._line_at = -1
        return head

    def _bad_request_line(self, buf: Any, start: int, lf: int) -> None:
        limit = self.settings.limit_request_line
        if limit and lf - start > limit:
            raise LimitRequestLine(lf - start, limit)
        raise InvalidRequestLine(bytes(buf[start:lf + 1]).decode("latin-1"))

    def _check_partial_fields(self, buf: Any, start: int, le: int) -> None:
        s = self.settings
        fs = le + 2
        n = len(buf)
        if n - fs > s.max_buffer_headers:
            raise LimitRequestHeaders("max buffer headers")
        # bare LF among the new bytes: answer now rather than wait for CRLFCRLF
        scan = max(self._scan, fs)
        if buf.count(b"\n", scan) != buf.count(b"\r\n", scan - 1):
            lf = buf.find(b"\n", scan)
            while lf >= 0 and buf[lf - 1] == 13:
                lf = buf.find(b"\n", lf + 1)
            line_start = buf.rfind(b"\r\n", fs, lf) + 2 if lf >= 0 else fs
            raise InvalidHeader(bytes(buf[max(line_start, fs):lf]).decode("latin-1"))
        # Field lines completed so far: CRLFs not followed by SP/HTAB (an
        # obs-fold continuation is part of its field).  Counted on the new
        # bytes only; a CRLF whose next byte has not arrived counts now, and
        # uncounts when that byte turns out to be a continuation.
        lo2, lo3 = max(scan - 1, fs), max(scan - 2, fs)
        fields = (self._fields + buf.count(b"\r\n", lo2)
                  - buf.count(b"\r\n ", lo3) - buf.count(b"\r\n\t", lo3))
        self._fields = fields
        self._scan = n
        if fields > s.limit_request_fields:
            # Too many fields whatever follows.  Parse the complete lines so
            # the answer is the one the whole head would get: the first
            # violation in wire order, here or the field count (431).
            last = buf.rfind(b"\r\n", fs) + 2
            parse_field_section(bytes(buf[fs:last]).decode("latin-1"), s)
        size = s.limit_request_field_size
        if size:
            last = buf.rfind(b"\r\n", fs)
            tail = n - (last + 2 if last >= 0 else fs)
            if tail >= size:
                # the current field line (plus its CRLF) is already over the limit
                raise LimitRequestHeaders("limit request headers fields size")

    def _inspect(self, headers: list[tuple[str, str]], version: tuple[int, int]) -> RequestHead:
        """One walk over the fields: framing fields, Host, Expect, Connection, scheme."""
        head = RequestHead()
        head.headers = headers
        head.version = version
        content_length = None
        transfer_encoding = None
        expect_100 = False
        connection = None
        scheme = self.settings.policy.default_scheme
        scheme_from = None
        interesting = self._interesting
        seen_host = seen_type = False
        for name, value in headers:
            if name not in interesting:
                continue
            if name == "CONTENT-LENGTH":
                if content_length is not None:
                    raise InvalidHeader("CONTENT-LENGTH")
                content_length = value
            elif name == "TRANSFER-ENCODING":
                if transfer_encoding is None:
                    transfer_encoding = [value]
                else:
                    transfer_encoding.append(value)
            elif name == "HOST":
                if seen_host:
                    raise InvalidHeader("HOST")
                seen_host = True
            elif name == "CONTENT-TYPE":
                if seen_type:
                    raise InvalidHeader("CONTENT-TYPE")
                seen_type = True
            elif name == "EXPECT":
                # the Expect value is case-insensitive (RFC 9110 10.1.1)
                if value.lower() == "100-continue":
                    # a 1.0 client cannot understand 100 Continue: ignore it
                    if version >= (1, 1):
                        expect_100 = True
                else:
                    raise ExpectationFailed(value)
            elif name == "CONNECTION":
                # "close" in any Connection field wins (RFC 9112 section 9.6);
                # several fields form one list (RFC 9110 section 5.3)
                if connection != "close":
                    options = value.lower()
                    if "close" in options and "close" in _options(options):
                        connection = "close"
                    elif connection is None:
                        connection = options.strip(" \t")
                    else:
                        connection = connection + ", " + options.strip(" \t")
            if name in self._secure:
                new = "https" if value == self._secure[name] else "http"
                if scheme_from is not None and new != scheme:
                    raise InvalidSchemeHeaders()
                scheme = new
                scheme_from = name
        if content_length is None and transfer_encoding is None:
            # no framing fields: no content (RFC 9112 section 6.3)
            head.content_length = 0
            head.chunked = head.must_close = False
        else:
            length, chunked, force_close = decide_framing(version, content_length,
                                                          transfer_encoding)
            head.content_length = length
            head.chunked = chunked
            head.must_close = force_close
        head.expect_100 = expect_100
        head.connection = connection
        head.scheme = scheme
        return head


def _options(value: str) -> set[str]:
    """Connection options of one field value (RFC 9110 section 7.6.1)."""
    return {opt.strip(" \t") for opt in value.split(",")}
