"""The WSGI side of the tornado worker: :class:`WSGIContainer` runs a WSGI
application (PEP 3333) for tornado's HTTPServer, with gunicorn's environ
keys, header checks, error page and access log.

The application runs on the event-loop thread, one request at a time (as
tornado's own container does by default), so a hung application stops the
worker's heartbeat and the arbiter's ``timeout`` applies.  Tornado's HTTP/1
connection writes one response head per request, so interim responses
(103 Early Hints) cannot be sent: ``wsgi.early_hints`` validates and does
nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import Callable, Iterable
from typing import Any

import tornado
import tornado.wsgi
from tornado import httputil, iostream

from gunicorn import __version__
from gunicorn.http.early_hints import encode_early_hints
from gunicorn.http.wsgi import base_environ
from gunicorn.http.wsgi_fields import check_name, check_value, parse_status
from gunicorn.util import HOP_HEADERS

__all__ = ["SERVER_HEADER", "WSGIContainer"]

#: ``Server`` field of every response the worker writes (gunicorn 25 appends
#: the same suffix to tornado's)
SERVER_HEADER = "TornadoServer/%s (Gunicorn/%s)" % (tornado.version, __version__)
# buffered body bytes after which a WSGI response starts streaming
_STREAM_AFTER = 64 * 1024
# connection-specific fields the application may not set (RFC 9110 section
# 7.6.1); tornado owns the framing.  An application's Server and Date win.
_CONNECTION_FIELDS = HOP_HEADERS - {"server", "date"}
_ERROR_PAGE = (b"<html><head><title>Internal Server Error</title></head><body>"
               b"<h1><p>Internal Server Error</p></h1></body></html>")


def _skip_early_hints(headers: Iterable[Any]) -> None:
    """``wsgi.early_hints`` here: validates, sends nothing.

    Args:
        headers: (name, value) pairs of str or bytes, as for every worker.

    Raises InvalidEarlyHint (a ValueError) for a bad pair, so an application
    learns of bad hints whatever the worker.  Tornado's HTTP/1 connection
    writes only one response head per request, so no 103 goes out (RFC 8297
    makes hints optional).
    """
    encode_early_hints(headers)


class Logged:
    """What ``Logger.access`` reads of a response: ``status`` ("200 OK" or an
    int), ``sent`` (body bytes, or None when unknown) and ``headers`` (pairs)."""

    __slots__ = ("status", "sent", "headers")

    def __init__(self, status: Any, sent: int | None, headers: list[tuple[str, str]]) -> None:
        self.status, self.sent, self.headers = status, sent, headers


def elapsed(request: httputil.HTTPServerRequest) -> datetime.timedelta:
    """Time since ``request`` started (tornado's ``request_time()``, seconds)."""
    return datetime.timedelta(seconds=request.request_time())


class _Output:
    """One WSGI response on its way to tornado's HTTP/1 connection.

    The body is buffered and sent with a Content-Length (as tornado's own
    WSGIContainer does) unless it grows past ``_STREAM_AFTER`` bytes; then it
    streams (chunked on HTTP/1.1 when no length was given), each write
    awaited so a slow client holds back the application, not memory.
    """

    def __init__(self, request: httputil.HTTPServerRequest, closing: bool) -> None:
        self.conn: Any = request.connection
        self.version = request.version
        self.head = request.method == "HEAD"
        self.closing = closing
        self.status: str | None = None
        self.code = 0
        self.headers: list[tuple[str, str]] = []
        self.length: int | None = None  # the application's Content-Length
        self.pending: list[bytes] = []
        self.size = 0
        self.sent = 0
        self.started = False

    def start_response(self, status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[Any], Any]:
        """PEP 3333 ``start_response``; validates like the other workers.

        Raises TypeError / InvalidResponseStatus / InvalidResponseHeaderName /
        InvalidResponseHeader for bad values, AssertionError when called twice
        without ``exc_info``, and re-raises ``exc_info`` once the head is sent.
        """
        if exc_info is not None:
            try:
                if self.started:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("Response headers already set!")
        code = parse_status(status)
        kept = []
        for name, value in headers:
            check_value(value, check_name(name))
            lower = name.lower()
            if lower == "content-length":
                self.length = int(value)
                if self.length < 0:
                    raise ValueError("negative Content-Length %r" % value)
            if lower not in _CONNECTION_FIELDS:
                kept.append((name, value))
        self.status, self.code, self.headers = status, code, kept
        return self.add  # the PEP 3333 write(): buffered like the iterable

    @property
    def bodyless(self) -> bool:
        """HEAD, 1xx, 204 and 304 responses carry no content (RFC 9110 6.4.1)."""
        return self.head or self.code < 200 or self.code in (204, 304)

    def _head(self, length: int | None) -> httputil.HTTPHeaders:
        fields = httputil.HTTPHeaders()
        for name, value in self.headers:
            fields.add(name, value)
        if length is not None and self.length is None and self.code not in (204, 304):
            fields["Content-Length"] = str(length)
        if "Content-Type" not in fields and self.code != 304:
            fields["Content-Type"] = "text/html; charset=UTF-8"  # WSGIContainer's default
        fields.setdefault("Server", SERVER_HEADER)
        fields.setdefault("Date", httputil.format_timestamp(time.time()))
        if self.closing:
            fields["Connection"] = "close"
        return fields

    def _take(self) -> bytes:
        """The buffered body, cut at the application's Content-Length."""
        data = b"".join(self.pending)
        self.pending, self.size = [], 0
        if self.bodyless:
            return b""
        if self.length is not None:
            data = data[:max(self.length - self.sent, 0)]
        self.sent += len(data)
        return data

    def add(self, chunk: Any) -> bool:
        """Buffer one body chunk; True when it is time to stream."""
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise TypeError("WSGI response body items must be bytes, not %s"
                            % type(chunk).__name__)
        if chunk:
            self.pending.append(bytes(chunk))
            self.size += len(chunk)
        streamable = self.length is not None or self.version == "HTTP/1.1"
        return self.size >= _STREAM_AFTER and streamable

    async def flush(self) -> None:
        """Send the head (first time) and the buffered body so far."""
        if self.status is None:
            raise AssertionError("WSGI app did not call start_response")
        if not self.started:
            self.started = True
            reason = self.status.partition(" ")[2]
            line = httputil.ResponseStartLine("HTTP/1.1", self.code, reason)
            await self.conn.write_headers(line, self._head(None), self._take())
            return
        data = self._take()
        if data:
            await self.conn.write(data)

    def finish(self) -> None:
        """Send what is left and end the response."""
        if self.status is None:
            raise AssertionError("WSGI app did not call start_response")
        if not self.started:
            self.started = True
            reason = self.status.partition(" ")[2]
            length = self.size if self.length is None else self.length
            line = httputil.ResponseStartLine("HTTP/1.1", self.code, reason)
            self.conn.write_headers(line, self._head(length), self._take())
        elif self.pending:
            self.conn.write(self._take())
        self.conn.finish()

    def fail(self) -> None:
        """The application failed: a 500 page if nothing was sent, else close."""
        if self.started:
            self.conn.close()
            return
        self.started = True
        self.status, self.code = "500 Internal Server Error", 500
        self.headers, self.length, self.sent = [("Content-Type", "text/html")], None, 0
        self.pending, self.closing = [_ERROR_PAGE], True
        line = httputil.ResponseStartLine("HTTP/1.1", 500, "Internal Server Error")
        self.conn.write_headers(line, self._head(len(_ERROR_PAGE)), self._take())
        self.conn.finish()


class WSGIContainer(tornado.wsgi.WSGIContainer):
    """``tornado.wsgi.WSGIContainer`` with gunicorn's environ, errors and access log.

    Args:
        wsgi_application: the WSGI callable (PEP 3333).
        worker: the ``TornadoWorker`` (its ``cfg``, ``log`` and ``alive`` are used).

    The environ is tornado's plus the per-server keys of ``base_environ``
    (``wsgi.errors``, ``wsgi.file_wrapper``, ``SERVER_SOFTWARE`` ...),
    ``RAW_URI``, ``REMOTE_PORT`` and a validating no-op ``wsgi.early_hints``.
    An application error is logged with its traceback and answered with a
    500 page (never the traceback); each response gets one access-log line
    through the gunicorn logger (``--access-logfile``, ``--access-logformat``).
    """

    def __init__(self, wsgi_application: Any, worker: Any) -> None:
        super().__init__(wsgi_application)
        self.worker = worker
        self.base = base_environ(worker.cfg)

    def environ(self, request: httputil.HTTPServerRequest) -> dict[str, Any]:
        """The PEP 3333 environ for ``request`` (see the class docstring)."""
        environ = super().environ(request)
        environ.update(self.base)
        environ["RAW_URI"] = request.uri
        address = getattr(getattr(request.connection, "context", None), "address", None)
        if isinstance(address, tuple) and len(address) > 1:
            environ["REMOTE_PORT"] = str(address[1])
        environ["wsgi.early_hints"] = _skip_early_hints
        return environ

    async def handle_request(self, request: httputil.HTTPServerRequest) -> None:
        """Run the application for ``request`` and write its response; never raises."""
        worker = self.worker
        environ = self.environ(request)
        out = _Output(request, closing=not worker.alive)
        try:
            result = self.wsgi_application(environ, out.start_response)
            try:
                for chunk in result:
                    if out.add(chunk):
                        await out.flush()
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            out.finish()
        except iostream.StreamClosedError:
            worker.log.debug("Client %s went away during %s", request.remote_ip, request.uri)
            out.conn.close()
        except Exception:
            worker.log.exception("Error handling request %s", request.uri)
            with contextlib.suppress(Exception):
                out.fail()
        worker.log.access(Logged(out.status, out.sent, out.headers), request,
                          environ, elapsed(request))
