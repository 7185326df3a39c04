"""``Expect: 100-continue`` for WSGI requests (RFC 9110 section 10.1.1).

The interim ``100 Continue`` response is sent when the application first
reads ``wsgi.input``, not before: an application that answers without
reading the content (a 401, a 413) spares the client the upload.  Whether
the client still waits for it, and the bytes, come from the protocol
connection through the request's stream; it is never sent after the final
response head.  If the application never reads, the connection closes after
the response, because the client may or may not send the content later.
"""

from __future__ import annotations

from typing import Any

from gunicorn.http.core.serialize import CONTINUE_100

__all__ = ["CONTINUE", "expect_continue"]

CONTINUE = CONTINUE_100


class _ContinueReader:
    """Stands in for the body's reader until the first read, then puts the
    real reader back so later reads cost nothing extra."""

    __slots__ = ("_body", "_reader", "_stream")

    def __init__(self, body: Any, reader: Any, stream: Any) -> None:
        self._body = body
        self._reader = reader
        self._stream = stream

    def read(self, *args: Any, **kwargs: Any) -> Any:
        # Callers may hold on to this bound method for a whole loop.
        stream = self._stream
        if stream is not None:
            self._stream = None
            self._body.reader = self._reader
            stream.send_continue()
        return self._reader.read(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


def expect_continue(req: Any, sock: Any, resp: Any) -> None:
    """Arrange for ``100 Continue`` to be sent on the first body read.

    Args:
        req: a request that carries ``Expect: 100-continue`` (HTTP/1.1+).
        sock: the client socket (used only when *resp* has no stream).
        resp: the Response; its ``stream`` sends the interim response.

    When the body's reader cannot be wrapped, ``100 Continue`` is sent at once.
    """
    stream = getattr(resp, "stream", None)
    if stream is None:
        from gunicorn.http.stream import HTTP1Stream

        stream = HTTP1Stream.for_request(req, sock)
    body = getattr(req, "body", None)
    reader = getattr(body, "reader", None)
    if reader is None or not callable(getattr(reader, "read", None)):
        stream.send_continue()
        return
    if getattr(reader, "length", None) == 0:
        # No content announced: nothing to wait for (RFC 9110 10.1.1 lets the
        # server omit the interim response).
        return
    body.reader = _ContinueReader(body, reader, stream)  # type: ignore[union-attr]
