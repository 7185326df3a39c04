"""The response writer behind a WSGI ``start_response`` (PEP 3333).

It validates what the application gives and keeps the gunicorn 25.0
attributes; the bytes are produced by the protocol connection through a
``gunicorn.http.stream`` stream.  For HTTP/1.x that connection frames the
content as RFC 9112 section 6 says: ``Content-Length`` when the application
gives one, chunked transfer coding for HTTP/1.1+ otherwise, close-delimited
for HTTP/1.0, and no content for HEAD and 1xx/204/304 responses (RFC 9110
sections 6.4.1, 9.3.2, 15.3.5, 15.4.5).
"""

from __future__ import annotations

import io
import logging
import os
import stat
import time  # noqa: F401 - tests patch gunicorn.http.wsgi_response.time.time
from typing import Any

from gunicorn import SERVER
from gunicorn.http.core.framing import BODY_CHUNKED, BODY_NONE
from gunicorn.http.core.serialize import (
    CONNECTION_LINES,
    TE_CHUNKED_LINE,
    date_line,
    http_date_cached,
    server_line,
    status_line,
)
from gunicorn.http.early_hints import check_early_hint
from gunicorn.http.stream import HTTP1Stream
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


_STATUS_CACHE_MAX = 256
# validated status strings -> (status code, reason-phrase); statuses come
# from applications, so the table is bounded
_STATUS_CODES: dict[str, tuple[int, str]] = {}


def _reraise(exc_info: Any) -> None:
    value = exc_info[1]
    if value is None:
        value = exc_info[0]()
    if value.__traceback__ is not exc_info[2]:
        raise value.with_traceback(exc_info[2])
    raise value


class Response:
    """One HTTP/1.x response, sent through a stream as the application produces it.

    Args:
        req: the parsed Request (``version``, ``method``, ``should_close()``).
        sock: the client socket (``gunicorn.socket``; also where the bytes
            go when no *stream* is given).
        cfg: the Config (``is_ssl``, ``sendfile``); may be None in tests.
        stream: the ``gunicorn.http.stream`` stream to send through; by
            default an ``HTTP1Stream`` over the request's connection writing
            to *sock*.

    Attributes (gunicorn 25.0 names): ``req, sock, cfg, version`` ("gunicorn",
    the Server header), ``status`` (str or None), ``status_code`` (int or
    None), ``chunked``, ``must_close``, ``headers`` (list of (name, value)
    kept from the application), ``headers_sent``, ``response_length``
    (the application's Content-Length or None), ``sent`` (content bytes
    written), ``upgrade`` (``Connection: upgrade`` was given); ``stream``.
    """

    headers: list[tuple[str, str]]
    # Nothing decided or written yet: start_response() and the writes set
    # these (class-level defaults keep a response cheap to build).
    version = SERVER
    status: str | None = None
    status_code: int | None = None
    response_length: int | None = None
    must_close = False
    upgrade = False
    headers_sent = False
    sent = 0
    _reason = ""
    # content on a no-content response (HEAD, 1xx except 101, 204, 304) was
    # logged once
    _omits_body_warned = False

    def __init__(self, req: Any, sock: Any, cfg: Any, stream: Any = None) -> None:
        self.req, self.sock, self.cfg = req, sock, cfg
        self.stream = stream if stream is not None else HTTP1Stream.for_request(req, sock)
        self.headers = []

    @property
    def chunked(self) -> bool:
        """True when the content goes out with chunked transfer coding
        (decided by the connection from the status and Content-Length)."""
        return self.is_chunked()

    @property
    def _omits_body(self) -> bool:
        """True when the response carries no content (HEAD, 1xx except 101,
        204, 304: RFC 9110 sections 6.4.1, 15.3.5, 15.4.5)."""
        code = self.status_code
        if code is None:
            return False
        return self.stream.response_framing(code, self.response_length) == BODY_NONE

    # ------------------------------------------------------------ state

    def force_close(self) -> None:
        """Make this the last response on the connection (``Connection: close``)."""
        self.must_close = True
        self.stream.request_close()

    def should_close(self) -> bool:
        """True when the connection must close after this response.

        The connection decides (RFC 9112 section 9.3): forced, asked by the
        request, an ``Expect: 100-continue`` left unanswered, content
        delimited by closing (no Content-Length and not chunked, unless the
        response has no content), Content-Length not fully sent.
        """
        if self.must_close:
            return True
        stream = self.stream
        code = self.status_code
        if self.headers_sent or code is None:
            return not stream.keep_alive
        return not stream.plan_response(code, self.response_length)[1]

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

        parsed = _STATUS_CODES.get(status) if type(status) is str else None
        if parsed is None:
            code = parse_status(status)
            parsed = (code, status[4:])
            if type(status) is str and len(_STATUS_CODES) < _STATUS_CACHE_MAX:
                _STATUS_CODES[status] = parsed
        code = parsed[0]
        if self.status is not None:
            # exc_info given before the head went out: the error response
            # replaces the earlier status and fields.
            self.headers = []
            self.response_length = None
            self.upgrade = False
        self.process_headers(headers)
        self.status = status
        self.status_code = code
        self._reason = parsed[1]
        if code < 200 or code == 204:
            # RFC 9110 section 8.6: 1xx and 204 never carry Content-Length
            # (HEAD and 304 keep the application's, it describes the GET).
            if self.response_length is not None:
                self.headers = [kv for kv in self.headers if kv[0].lower() != "content-length"]
                self.response_length = None
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
        if code is None:
            return False
        return self.stream.response_framing(code, self.response_length) == BODY_CHUNKED

    # ------------------------------------------------------------ head

    def default_headers(self) -> list[str]:
        """The status line and server fields as CRLF-terminated str lines:
        status line (request version), Server, Date, Connection and, when
        chunked, ``Transfer-Encoding: chunked`` (what the connection adds to
        the application's fields)."""
        connection = ("upgrade" if self.upgrade
                      else "close" if self.should_close() else "keep-alive")
        version = getattr(getattr(self.stream, "conn", None), "http_version", (1, 1))
        lines = [
            status_line(version, self.status_code, self._reason),
            server_line(self.version),
            date_line(),
            CONNECTION_LINES[connection],
        ]
        if self.chunked:
            lines.append(TE_CHUNKED_LINE)
        return lines

    def send_early_hints(self, headers: Any) -> None:
        """``wsgi.early_hints``: send a 103 Early Hints response (RFC 8297)
        with *headers*, (name, value) pairs of str or bytes.

        Raises InvalidEarlyHint (a ValueError) before sending anything when
        a pair is bad.  Nothing is sent once the final head went out, nor to
        an HTTP/1.0 client (RFC 9110 section 15.2).
        """
        pairs = [check_early_hint(pair) for pair in headers]
        if not self.headers_sent:
            # an empty list still sends a bare 103 (the application asked for one)
            self.stream.send_informational(103, pairs)

    def _warn_dropped_content(self) -> None:
        if not self._omits_body_warned:
            self._omits_body_warned = True
            log.warning("WSGI application sent content on a no-body response "
                        "(method=%s status=%s); dropped (RFC 9110 section 6.4.1)",
                        self.req.method, self.status_code)

    def _head_bytes(self) -> bytes:
        """The head as the connection would send it now (for inspection;
        nothing is sent and no state changes)."""
        lines = self.default_headers()
        lines += [f"{k}: {v}\r\n" for k, v in self.headers]
        lines.append("\r\n")
        return "".join(lines).encode("latin-1")

    def _start(self, end: bool = False) -> None:
        """Hand the head to the stream (held there until content follows;
        with *end*, the whole response goes out)."""
        code = self.status_code
        reason = self._reason
        if code is None:
            # no start_response: nothing valid to announce but an error
            code, reason = 500, "Internal Server Error"
        self.stream.send_head(code, self.headers, reason,
                              content_length=self.response_length, close=self.must_close,
                              upgrade=self.upgrade, server=self.version, end=end)
        self.headers_sent = True

    def send_headers(self) -> None:
        """Write the response head now (once)."""
        if self.headers_sent:
            return
        self._start()
        self.stream.flush()

    # ------------------------------------------------------------ content

    def write(self, arg: bytes) -> None:
        """Write a piece of content (the PEP 3333 ``write`` callable).

        The head goes out first, in the same write for small pieces.
        Content beyond Content-Length is dropped, empty pieces are skipped,
        and nothing is sent for responses without content.

        Raises TypeError when ``arg`` is not bytes-like.
        """
        if type(arg) is not bytes:
            if not isinstance(arg, (bytes, bytearray, memoryview)):
                raise TypeError("%r is not a byte" % (arg,))
            arg = bytes(arg)
        if self.headers_sent:
            taken = self.stream.send_data(arg)
        else:
            code = self.status_code
            if code is None:
                self._start()
                taken = self.stream.send_data(arg)
            else:
                # the head and this first piece in one write
                taken = self.stream.send_head(code, self.headers, self._reason,
                                              self.response_length, self.must_close,
                                              self.upgrade, self.version, False, arg)
                self.headers_sent = True
                if not arg:
                    # an empty first write sends the head now (streaming
                    # applications use it to flush the head)
                    self.stream.flush()
        if taken:
            self.sent += taken
        elif arg and self._omits_body:
            self._warn_dropped_content()

    def can_sendfile(self) -> bool:
        """True unless ``sendfile`` is disabled (``--no-sendfile``)."""
        cfg = self.cfg
        return cfg is None or cfg.sendfile is not False

    def sendfile(self, respiter: Any) -> bool:
        """Send a FileWrapper's file with ``socket.sendfile`` (zero copy).

        Used only when TLS is off, sendfile is allowed, the wrapped file has
        a real descriptor of a regular file opened in binary mode and the
        stream's socket is blocking.  Sends from the current file position,
        at most Content-Length bytes (minus what was already written); the
        connection writes the chunk framing when chunked.

        Returns False (nothing written) when sendfile cannot be used, so the
        caller falls back to iterating the wrapper.
        """
        cfg = self.cfg
        if cfg is not None and (cfg.is_ssl or cfg.sendfile is False):
            return False
        filelike = getattr(respiter, "filelike", None)
        if filelike is None or "b" not in getattr(filelike, "mode", "b"):
            return False
        try:
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
        stream = self.stream
        if not stream.can_sendfile():
            return False
        if not self.headers_sent:
            self._start()
        sent = stream.sendfile(filelike, offset, nbytes)
        if sent is None:
            return False
        if self._omits_body and nbytes:
            self._warn_dropped_content()
        self.sent += sent
        if sent < nbytes and not self._omits_body:
            # The file shrank: the announced framing cannot be honoured.
            self.must_close = True
        return True

    def write_file(self, respiter: Any) -> None:
        """Send a ``wsgi.file_wrapper`` response: sendfile when possible, else
        iterate it and ``write`` each block."""
        if not self.sendfile(respiter):
            for item in respiter:
                self.write(item)

    def close(self) -> None:
        """Finish the response: send the head if the application wrote no
        content, and the end of the content (the last-chunk when chunked,
        RFC 9112 section 7.1).

        If fewer bytes than Content-Length were written, the connection will
        close, since the client would wait for the rest.
        """
        if self.headers_sent:
            self.stream.end()
        else:
            self._start(end=True)
