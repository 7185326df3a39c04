"""The HTTP/1.x response writer behind a WSGI ``start_response``.

Framing follows RFC 9112 section 6: ``Content-Length`` when the application
gives one, chunked transfer coding for HTTP/1.1+ otherwise, and close-delimited
bodies for HTTP/1.0.  Responses to HEAD and 1xx/204/304 responses carry no
content (RFC 9110 sections 6.4.1, 9.3.2, 15.3.5, 15.4.5).
"""

from __future__ import annotations

import io
import logging
import os
import stat
import time
from typing import Any

from gunicorn import SERVER, util
from gunicorn.http.wsgi_fields import (
    HOP_BY_HOP,
    INVALID_VALUE_RE,
    TOKEN_RE,
    InvalidResponseHeader,
    InvalidResponseHeaderName,
    parse_status,
)

__all__ = ["Response", "http_date_cached"]

# the logger name gunicorn uses for this module's messages
log = logging.getLogger("gunicorn.http.wsgi")

# Bodies up to this size are joined with the head (or the chunk framing) into
# one sendall: one syscall and no small-segment / delayed-ACK stall.  Bigger
# ones are sent separately to avoid copying them.
_JOIN_LIMIT = 256 * 1024

# What the writer does with a field, by field-name; names are validated once
# and remembered (applications reuse a few names).
_ORDINARY, _CONTENT_LENGTH, _CONNECTION, _UPGRADE, _HOP_BY_HOP = range(5)
_NAME_KINDS: dict[str, int] = {}
_NAME_KINDS_MAX = 1024


def _name_kind(name: Any) -> int:
    """Validate a response field-name (RFC 9110 section 5.1) and classify it.

    Raises TypeError for a non-str and InvalidResponseHeaderName for a name
    that is not a token.
    """
    if not isinstance(name, str):
        raise TypeError("%r is not a string" % (name,))
    if TOKEN_RE.fullmatch(name) is None:
        raise InvalidResponseHeaderName(name)
    lname = name.lower()
    if lname == "content-length":
        kind = _CONTENT_LENGTH
    elif lname == "connection":
        kind = _CONNECTION
    elif lname == "upgrade":
        kind = _UPGRADE
    elif lname in HOP_BY_HOP:
        kind = _HOP_BY_HOP
    else:
        kind = _ORDINARY
    if type(name) is str and len(_NAME_KINDS) < _NAME_KINDS_MAX:
        _NAME_KINDS[name] = kind
    return kind


# [second, IMF-fixdate, "Date: ...\r\n" line]
_date_cache: list[Any] = [-1, "", ""]


def http_date_cached() -> str:
    """The current time as an IMF-fixdate (RFC 9110 section 5.6.7), formatted
    at most once per second."""
    now = int(time.time())
    if _date_cache[0] != now:
        date = util.http_date(now)
        # replaced as a whole so that a thread never sees a mixed pair
        _date_cache[:] = [now, date, "Date: %s\r\n" % date]
    return _date_cache[1]


def _date_line() -> str:
    """``Date: <IMF-fixdate>\r\n``, formatted at most once per second."""
    cache = _date_cache
    if cache[0] != int(time.time()):
        http_date_cached()
    return cache[2]


_SERVER_LINE = "Server: %s\r\n" % SERVER
_CONNECTION_LINES = {
    "upgrade": "Connection: upgrade\r\n",
    "close": "Connection: close\r\n",
    "keep-alive": "Connection: keep-alive\r\n",
}
# (version, status) -> status line; statuses come from applications, so the
# table is bounded.
_STATUS_LINES: dict[tuple[Any, str], str] = {}
_STATUS_LINES_MAX = 256
# validated status strings -> status code (same bound)
_STATUS_CODES: dict[str, int] = {}


def _status_line(version: Any, status: str) -> str:
    key = (version, status)
    line = _STATUS_LINES.get(key)
    if line is None:
        line = "HTTP/%s.%s %s\r\n" % (version[0], version[1], status)
        if len(_STATUS_LINES) < _STATUS_LINES_MAX:
            _STATUS_LINES[key] = line
    return line


def _reraise(exc_info: Any) -> None:
    value = exc_info[1]
    if value is None:
        value = exc_info[0]()
    if value.__traceback__ is not exc_info[2]:
        raise value.with_traceback(exc_info[2])
    raise value


class Response:
    """One HTTP/1.x response, written to ``sock`` as the application produces it.

    Args:
        req: the parsed Request (``version``, ``method``, ``should_close()``).
        sock: the client socket (``sendall``, ``sendfile``).
        cfg: the Config (``is_ssl``, ``sendfile``); may be None in tests.

    Attributes (gunicorn 25.0 names): ``req, sock, cfg, version`` ("gunicorn",
    the Server header), ``status`` (str or None), ``status_code`` (int or
    None), ``chunked``, ``must_close``, ``headers`` (list of (name, value)
    kept from the application), ``headers_sent``, ``response_length``
    (the application's Content-Length or None), ``sent`` (content bytes
    written), ``upgrade`` (``Connection: upgrade`` was given).
    """

    status: str | None
    status_code: int | None
    response_length: int | None
    headers: list[tuple[str, str]]

    def __init__(self, req: Any, sock: Any, cfg: Any) -> None:
        self.req, self.sock, self.cfg = req, sock, cfg
        self.version = SERVER
        # Nothing decided yet: start_response() fills these in.
        self.status = self.status_code = self.response_length = None
        self.headers = []
        self.chunked = self.must_close = self.upgrade = False
        # Nothing written yet.
        self.headers_sent = False
        self.sent = 0
        # _continue_pending: a client waits for a "100 Continue" that was
        # never sent, so its body may or may not follow and the connection
        # cannot be reused.  _omits_body: content is discarded (HEAD, 1xx
        # except 101, 204, 304); _omits_body_warned: that was logged once.
        # _chunk_crlf_pending: a chunk written by sendfile lacks its CRLF.
        self._continue_pending = self._chunk_crlf_pending = False
        self._omits_body = self._omits_body_warned = False

    # ------------------------------------------------------------ state

    def force_close(self) -> None:
        """Make this the last response on the connection (``Connection: close``)."""
        self.must_close = True

    def should_close(self) -> bool:
        """True when the connection must close after this response.

        It must when forced, when the request asks for it
        (``req.should_close()``), when a 100-continue expectation was left
        unanswered, or when the content is delimited by closing: no
        Content-Length and not chunked, unless the response has no content
        (HEAD, 1xx, 204, 304) (RFC 9112 section 9.3).
        """
        if self.must_close or self._continue_pending or self.req.should_close():
            return True
        if self.response_length is not None or self.chunked:
            return False
        if self.req.method == "HEAD":
            return False
        code = self.status_code
        if code is not None and (code < 200 or code in (204, 304)):
            return False
        return True

    # ------------------------------------------------------------ start_response

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        """PEP 3333 ``start_response``; returns the ``write`` callable.

        Args:
            status: ``"200 OK"`` style status (3 digits, SP, reason-phrase).
            headers: list of (name, value) str pairs.
            exc_info: ``sys.exc_info()`` when called from an error handler.

        Raises:
            AssertionError: called again without exc_info.
            the exc_info exception: called with exc_info after the head was sent.
            TypeError: status, a name or a value is not a str.
            InvalidResponseStatus, InvalidResponseHeaderName,
            InvalidResponseHeader: invalid status or fields (workers answer 500).
        """
        if not exc_info:
            if self.status is not None:
                raise AssertionError("Response headers already set!")
        elif self.headers_sent:
            # PEP 3333: with the head already out the error can only
            # propagate; our reference is dropped to avoid a frame cycle.
            try:
                _reraise(exc_info)
            finally:
                exc_info = None

        code = _STATUS_CODES.get(status) if type(status) is str else None
        if code is None:
            code = parse_status(status)
            if type(status) is str and len(_STATUS_CODES) < _STATUS_LINES_MAX:
                _STATUS_CODES[status] = code
        if self.status is not None:
            # exc_info given before the head went out: the error response
            # replaces the earlier status and fields.
            self.headers = []
            self.response_length = None
            self.upgrade = False
        self.process_headers(headers)
        self.status = status
        self.status_code = code
        method = self.req.method
        self._omits_body = method == "HEAD" or code in (204, 304) or (code < 200 and code != 101)
        if code < 200 or code == 204:
            # RFC 9110 section 8.6: 1xx and 204 never carry Content-Length
            # (HEAD and 304 keep the application's, it describes the GET).
            if self.response_length is not None:
                self.headers = [kv for kv in self.headers if kv[0].lower() != "content-length"]
                self.response_length = None
        self.chunked = self.is_chunked()
        return self.write

    def process_headers(self, headers: list[tuple[str, str]]) -> None:
        """Validate the application's fields and keep the end-to-end ones.

        Hop-by-hop fields (RFC 9110 section 7.6.1) plus Server and Date are
        dropped; ``Connection: upgrade`` sets ``upgrade`` and ``Connection:
        close`` sets ``must_close``; ``Upgrade: websocket`` is kept.
        ``Content-Length`` sets ``response_length``; Content-Length on 1xx and
        204 responses is not sent (RFC 9110 section 8.6).

        Raises TypeError for non-str names or values, InvalidResponseHeaderName
        for a name that is not a token, and InvalidResponseHeader for a bad
        value or Content-Length.
        """
        kept: list[tuple[str, str]] = []
        append = kept.append
        length = self.response_length
        upgrade = self.upgrade
        close = self.must_close
        kinds = _NAME_KINDS
        invalid = INVALID_VALUE_RE.search
        # Nothing is stored on self until every field has passed, so an
        # application may catch the error and call start_response again.
        for name, value in headers:
            kind = kinds.get(name) if type(name) is str else None
            if kind is None:
                kind = _name_kind(name)
            # every value is checked, every time (response splitting)
            if type(value) is not str and not isinstance(value, str):
                raise TypeError("%r is not a string" % (value,))
            if invalid(value) is not None:
                raise InvalidResponseHeader(name)
            value = value.strip(" \t")
            if kind == _ORDINARY:
                append((name, value))
            elif kind == _CONTENT_LENGTH:
                if not value.isdigit() or not value.isascii():
                    raise InvalidResponseHeader(name)
                try:
                    number = int(value)
                except ValueError:
                    # more digits than int() converts (sys.get_int_max_str_digits)
                    raise InvalidResponseHeader(name) from None
                if length is not None:
                    if length != number:
                        raise InvalidResponseHeader(name)
                    continue  # an identical repeat is sent once
                length = number
                append((name, value))
            elif kind == _CONNECTION:
                tokens = {t.strip(" \t").lower() for t in value.split(",")}
                upgrade = upgrade or "upgrade" in tokens
                close = close or "close" in tokens
            elif kind == _UPGRADE and value.lower() == "websocket":
                append((name, value))
        self.headers.extend(kept)
        self.response_length = length
        self.upgrade = upgrade
        self.must_close = close

    def is_chunked(self) -> bool:
        """True when the content is sent with chunked transfer coding:
        HTTP/1.1+ and no Content-Length, and not HEAD, 1xx, 204 or 304
        (RFC 9112 section 6.1)."""
        code = self.status_code
        may_have_content = code is None or (code >= 200 and code not in (204, 304))
        return (may_have_content and self.response_length is None
                and self.req.version > (1, 0) and self.req.method != "HEAD")

    # ------------------------------------------------------------ head

    def default_headers(self) -> list[str]:
        """The status line and server fields as CRLF-terminated str lines:
        status line (request version), Server, Date, Connection and, when
        chunked, ``Transfer-Encoding: chunked``."""
        connection = ("upgrade" if self.upgrade
                      else "close" if self.should_close() else "keep-alive")
        server = self.version
        lines = [
            _status_line(self.req.version, self.status),
            _SERVER_LINE if server is SERVER else "Server: %s\r\n" % server,
            _date_line(),
            _CONNECTION_LINES[connection],
        ]
        if self.chunked:
            lines.append("Transfer-Encoding: chunked\r\n")
        return lines

    def _warn_dropped_content(self) -> None:
        if not self._omits_body_warned:
            self._omits_body_warned = True
            log.warning("WSGI application sent content on a no-body response "
                        "(method=%s status=%s); dropped (RFC 9110 section 6.4.1)",
                        self.req.method, self.status_code)

    def _head_bytes(self) -> bytes:
        lines = self.default_headers()
        lines += [f"{k}: {v}\r\n" for k, v in self.headers]
        lines.append("\r\n")
        # latin-1: fields were validated, so only fields appended directly
        # to ``headers`` can fail here (UnicodeEncodeError).
        return "".join(lines).encode("latin-1")

    def send_headers(self) -> None:
        """Write the response head once (one ``sendall``)."""
        if self.headers_sent:
            return
        head = self._head_bytes()
        self.headers_sent = True
        self.sock.sendall(head)

    # ------------------------------------------------------------ content

    def write(self, arg: bytes) -> None:
        """Write a piece of content (the PEP 3333 ``write`` callable).

        The head goes out first, in the same ``sendall`` for small pieces.
        Content beyond Content-Length is dropped, empty pieces are skipped,
        and nothing is sent for responses without content.

        Raises TypeError when ``arg`` is not bytes-like.
        """
        if type(arg) is not bytes:
            if not isinstance(arg, (bytes, bytearray, memoryview)):
                raise TypeError("%r is not a byte" % (arg,))
            arg = bytes(arg)
        size = len(arg)
        if self._omits_body:
            if size:
                self._warn_dropped_content()
            self.send_headers()
            return
        if self.response_length is not None:
            left = self.response_length - self.sent
            if size > left:
                if left <= 0:
                    self.send_headers()
                    return
                arg = arg[:left]
                size = left
        if self.headers_sent:
            prefix = b""
        else:
            prefix = self._head_bytes()
            self.headers_sent = True
        if size == 0:
            # An empty chunk would end a chunked body early.
            if prefix:
                self.sock.sendall(prefix)
            return
        if self.chunked:
            if self._chunk_crlf_pending:
                prefix += b"\r\n"
                self._chunk_crlf_pending = False
            prefix += b"%X\r\n" % size
            suffix = b"\r\n"
        else:
            suffix = b""
        self.sent += size
        if size <= _JOIN_LIMIT:
            self.sock.sendall(b"".join((prefix, arg, suffix)) if prefix or suffix else arg)
        else:
            if prefix:
                self.sock.sendall(prefix)
            self.sock.sendall(arg)
            if suffix:
                self.sock.sendall(suffix)

    def can_sendfile(self) -> bool:
        """True unless ``sendfile`` is disabled (``--no-sendfile``)."""
        cfg = self.cfg
        return cfg is None or cfg.sendfile is not False

    def sendfile(self, respiter: Any) -> bool:
        """Send a FileWrapper's file with ``socket.sendfile`` (zero copy).

        Used only when TLS is off, sendfile is allowed, the wrapped file has
        a real descriptor of a regular file opened in binary mode and the
        socket is blocking.  Sends from the current file position, at most
        Content-Length bytes (minus what was already written); chunk framing
        is written by hand when chunked.

        Returns False (nothing written) when sendfile cannot be used, so the
        caller falls back to iterating the wrapper.
        """
        cfg = self.cfg
        if cfg is not None and (cfg.is_ssl or cfg.sendfile is False):
            return False
        filelike = getattr(respiter, "filelike", None)
        if filelike is None or "b" not in getattr(filelike, "mode", "b"):
            return False
        sock = self.sock
        try:
            if sock.gettimeout() == 0.0:
                return False
            fileno = filelike.fileno()
            if not isinstance(fileno, int) or fileno < 0:
                return False
            st = os.fstat(fileno)
            if not stat.S_ISREG(st.st_mode):
                return False
            try:
                offset = filelike.tell()
            except (AttributeError, OSError, io.UnsupportedOperation):
                offset = os.lseek(fileno, 0, os.SEEK_CUR)
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            return False

        nbytes = max(st.st_size - offset, 0)
        if self.response_length is not None:
            nbytes = min(nbytes, max(self.response_length - self.sent, 0))

        if self._omits_body:
            if nbytes:
                self._warn_dropped_content()
            self.send_headers()
            return True
        if nbytes == 0:
            self.send_headers()
            return True
        head = b""
        if not self.headers_sent:
            head = self._head_bytes()
            self.headers_sent = True
        if self.chunked:
            if self._chunk_crlf_pending:
                head += b"\r\n"
            head += b"%X\r\n" % nbytes
            self._chunk_crlf_pending = True
        if head:
            sock.sendall(head)
        sent = sock.sendfile(filelike, offset=offset, count=nbytes)
        self.sent += sent
        if sent < nbytes:
            # The file shrank: the announced framing cannot be honoured.
            self.must_close = True
            self._chunk_crlf_pending = False
        return True

    def write_file(self, respiter: Any) -> None:
        """Send a ``wsgi.file_wrapper`` response: sendfile when possible, else
        iterate it and ``write`` each block."""
        if not self.sendfile(respiter):
            for item in respiter:
                self.write(item)

    def close(self) -> None:
        """Finish the response: send the head if the application wrote no
        content, and the last-chunk of a chunked body (RFC 9112 section 7.1).

        If fewer bytes than Content-Length were written, the connection is
        marked to close, since the client would wait for the rest.
        """
        tail = b""
        if self.chunked:
            tail = b"\r\n0\r\n\r\n" if self._chunk_crlf_pending else b"0\r\n\r\n"
            self._chunk_crlf_pending = False
        if (
            self.response_length is not None
            and not self._omits_body
            and self.sent < self.response_length
        ):
            self.must_close = True
        if self._continue_pending:
            # The client may still send the content it held back: never read
            # it as the next request.
            self.must_close = True
            force_close = getattr(self.req, "force_close", None)
            if force_close is not None:
                force_close()
        if not self.headers_sent:
            tail = self._head_bytes() + tail
            self.headers_sent = True
        if tail:
            self.sock.sendall(tail)
