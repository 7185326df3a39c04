"""Run the WSGI application for one parsed request (PEP 3333).

Shared by the sync and gthread workers, which differ only in how they own
connections: each passes a ``before_app(resp, environ)`` callback that
counts the request and decides whether the connection may stay open.

The runner talks to a ``gunicorn.http.stream.Stream`` only
(``WSGICall.call_stream``); ``WSGICall.__call__(req, sock, ...)`` wraps the
socket in an ``HTTP1Stream`` over the request's connection, for workers
that still hand over a socket.
"""

from __future__ import annotations

import errno
from datetime import datetime
from typing import Any, Callable

from gunicorn.http import wsgi
from gunicorn.http.stream import HTTP1Stream, Stream
from gunicorn.settings import hooks as default_hooks
from gunicorn.workers.netio import is_client_disconnect

__all__ = ["PEER_GONE", "WSGICall"]

# errno values that only mean the client went away (or stalled past the
# socket timeout): worth a debug line, never an error page
PEER_GONE = frozenset((
    errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.ECONNABORTED, errno.ESHUTDOWN,
    errno.EAGAIN, errno.ETIMEDOUT,
))


def _noop(*args: Any) -> None:
    return None


def _send_body(resp: Any, body: Any, file_wrapper: type) -> None:
    """Write the application's response body and finish the response.

    A ``wsgi.file_wrapper`` body goes through ``resp.write_file`` (sendfile
    when possible); any other iterable is written chunk by chunk.
    """
    if isinstance(body, file_wrapper):
        resp.write_file(body)
    else:
        write = resp.write
        for chunk in body:
            write(chunk)
    resp.close()


class WSGICall:
    """The request/response cycle of one worker, with its hooks cached.

    Args:
        worker: the ``Worker``; ``worker.wsgi`` must be loaded.  Its ``cfg``
            (``pre_request`` / ``post_request`` hooks) is read once here:
            settings cannot change without a new worker.
    """

    __slots__ = ("worker", "cfg", "log", "pre_request", "post_request")

    def __init__(self, worker: Any) -> None:
        self.worker = worker
        self.cfg = worker.cfg
        self.log = worker.log
        self.pre_request = self._effective_pre_request(worker)
        post = self.cfg.post_request
        # the default post_request does nothing: skip the call
        self.post_request = None if post is default_hooks.post_request else post

    @staticmethod
    def _effective_pre_request(worker: Any) -> Callable[..., Any]:
        """The pre_request hook, or a no-op when it is the default and its
        only effect (a debug line) would be filtered out anyway."""
        hook = worker.cfg.pre_request
        if hook is not default_hooks.pre_request:
            return hook
        error_log = getattr(worker.log, "error_log", None)
        is_enabled = getattr(error_log, "isEnabledFor", None)
        if is_enabled is not None and not is_enabled(10):  # logging.DEBUG
            return _noop
        return hook

    def __call__(self, req: Any, sock: Any, client: Any, server: Any,
                 before_app: Callable[[Any, dict[str, Any]], None]) -> Any:
        """``call_stream`` for a request answered on a socket: the response
        goes through an ``HTTP1Stream`` over the request's connection
        writing to *sock* (the client socket, TLS-wrapped when TLS is on).
        Same arguments, result and errors as ``call_stream``."""
        return self.call_stream(req, HTTP1Stream.for_request(req, sock), client, server,
                                before_app)

    def call_stream(self, req: Any, stream: Stream, client: Any, server: Any,
                    before_app: Callable[[Any, dict[str, Any]], None]) -> Any:
        """Build the environ, call the application and write its response.

        Args:
            req: the parsed ``gunicorn.http.message.Request``.
            stream: the ``gunicorn.http.stream.Stream`` the response goes
                through (``stream.socket`` is ``gunicorn.socket``).
            client: the peer address; server: the listener address.
            before_app: ``before_app(resp, environ)``, called after the
                request is counted as started and before the application
                runs (count the request, ``resp.force_close()`` ...).

        Returns:
            The ``Response`` (``resp.should_close()`` tells whether the
            connection may be reused), or None when the application failed
            after the response head was sent: the error was logged and the
            connection shut down, so it must be closed.

        Raises:
            The application's exception when nothing was sent yet (the
            caller answers 500 through ``Worker.handle_error``), and OSError
            with an errno in ``PEER_GONE`` (or ``ssl.SSLEOFError`` ...) when
            the client went away (``netio.is_client_disconnect``).
        """
        worker = self.worker
        environ: dict[str, Any] = {}
        resp = None
        try:
            self.pre_request(worker, req)
            request_start = datetime.now()
            resp, environ = wsgi.create(req, stream, client, server, self.cfg)
            before_app(resp, environ)
            body = worker.wsgi(environ, resp.start_response)
            try:
                _send_body(resp, body, environ["wsgi.file_wrapper"])
            finally:
                self.log.access(resp, req, environ, datetime.now() - request_start)
                # PEP 3333: close() is called however the iteration ended
                release = getattr(body, "close", None)
                if release is not None:
                    release()
            return resp
        except Exception as e:
            if is_client_disconnect(e):
                # peer gone, TLS EOF included: the worker logs it at debug
                raise
            if resp is not None and resp.headers_sent:
                # too late for an error page: log and cut the connection
                self.log.exception("Error handling request")
                stream.abort()
                return None
            raise
        finally:
            if self.post_request is not None:
                try:
                    self.post_request(worker, req, environ, resp)
                except Exception:
                    self.log.exception("Exception in post_request hook")
