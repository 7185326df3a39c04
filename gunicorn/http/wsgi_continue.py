"""``Expect: 100-continue`` for WSGI requests (RFC 9110 section 10.1.1).

The interim ``HTTP/1.1 100 Continue`` response is sent when the application
first reads ``wsgi.input``, not before: an application that answers without
reading the content (a 401, a 413) spares the client the upload.  It is never
sent after the final response head.  If the application never reads, the
response is marked so that the connection closes, because the client may or
may not send the content after the final response.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CONTINUE", "expect_continue"]

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class _ContinueReader:
    """Stands in for the body's reader until the first read, then puts the
    real reader back so later reads cost nothing extra."""

    __slots__ = ("_body", "_reader", "_sock", "_resp", "_answered")

    def __init__(self, body: Any, reader: Any, sock: Any, resp: Any) -> None:
        self._body = body
        self._reader = reader
        self._sock = sock
        self._resp = resp
        self._answered = False

    def read(self, *args: Any, **kwargs: Any) -> Any:
        # Callers may hold on to this bound method for a whole loop.
        if not self._answered:
            self._answered = True
            self._body.reader = self._reader
            resp = self._resp
            if not resp.headers_sent:
                self._sock.sendall(CONTINUE)
                resp._continue_pending = False
        return self._reader.read(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


def expect_continue(req: Any, sock: Any, resp: Any) -> None:
    """Arrange for ``100 Continue`` to be sent on the first body read.

    Args:
        req: a request whose ``_expected_100_continue`` is set (HTTP/1.1+).
        sock: the client socket.
        resp: the Response; its ``_continue_pending`` stays True until the
            interim response is sent, which makes ``should_close()`` True.

    When the body's reader cannot be wrapped, ``100 Continue`` is sent at once.
    """
    body = getattr(req, "body", None)
    reader = getattr(body, "reader", None)
    if reader is None or not callable(getattr(reader, "read", None)):
        sock.sendall(CONTINUE)
        return
    if getattr(reader, "length", None) == 0:
        # No content announced: nothing to wait for (RFC 9110 10.1.1 lets the
        # server omit the interim response).
        return
    resp._continue_pending = True
    body.reader = _ContinueReader(body, reader, sock, resp)
