"""The PEP 3333 (WSGI 1.0.1) adapter for HTTP/1.x requests.

Workers call::

    resp, environ = wsgi.create(req, stream_or_sock, client, server, cfg)
    respiter = app(environ, resp.start_response)
    ...  # resp.write_file(respiter) for a FileWrapper, else resp.write(item)
    resp.close()

``stream_or_sock`` is a ``gunicorn.http.stream.Stream`` (the protocol
connection's side of one exchange) or, as in gunicorn 25.0, the client
socket.  The pieces live in small modules and are re-exported here under
their gunicorn 25.0 names: environ building (``wsgi_environ``), the response writer
(``wsgi_response``), field validation (``wsgi_fields``), early hints
(``early_hints``) and 100-continue (``wsgi_continue``).
"""

from __future__ import annotations

from typing import Any

from gunicorn.http.core.connection import ServerConnection
from gunicorn.http.early_hints import InvalidEarlyHint, _make_early_hints_callback
from gunicorn.http.errors import ConfigurationProblem, InvalidHeader, InvalidHeaderName
from gunicorn.http.stream import HTTP1Stream, Stream, connection_of
from gunicorn.http.wsgi_continue import expect_continue
from gunicorn.http.wsgi_environ import (
    FileWrapper,
    WSGIErrorsWrapper,
    base_environ,
    default_environ,
    header_environ,
    path_environ,
    proxy_environ,
    server_environ,
)
from gunicorn.http.wsgi_fields import (
    HOP_BY_HOP,
    TOKEN_RE,
    InvalidResponseHeader,
    InvalidResponseHeaderName,
    InvalidResponseStatus,
)
from gunicorn.http.wsgi_response import Response

__all__ = [
    "FileWrapper",
    "WSGIErrorsWrapper",
    "Response",
    "base_environ",
    "default_environ",
    "proxy_environ",
    "create",
    "_make_early_hints_callback",
    "ConfigurationProblem",
    "InvalidHeader",
    "InvalidHeaderName",
    "InvalidResponseHeader",
    "InvalidResponseHeaderName",
    "InvalidResponseStatus",
    "InvalidEarlyHint",
    "HOP_BY_HOP",
    "TOKEN_RE",
]


def create(req: Any, sock: Any, client: Any, server: Any, cfg: Any) -> tuple[Response, dict[str, Any]]:
    """Build the Response and the environ for one parsed request.

    Args:
        req: a ``gunicorn.http.message.Request`` (or an HTTP/2 request object
            with the same attributes and ``version == (2, 0)``).
        sock: the ``gunicorn.http.stream.Stream`` to answer through, or the
            client socket (then an ``HTTP1Stream`` over the request's
            connection writes to it).
        client: the peer address: (host, port) tuple, or a str for unix peers.
        server: the listener address: (host, port) tuple or a unix socket path.
        cfg: the Config.

    Returns:
        (resp, environ) with every key of PEP 3333 plus ``RAW_URI``,
        ``REMOTE_PORT``, ``gunicorn.socket``, ``wsgi.early_hints`` and the
        PROXY protocol keys; for a uWSGI request also what its vars say
        (``gunicorn.uwsgi.message.uwsgi_environ``).

    Raises:
        ConfigurationProblem: the path does not start with SCRIPT_NAME (500).

    When the request carries ``Expect: 100-continue`` (HTTP/1.1+), ``HTTP/1.1
    100 Continue`` is sent on the application's first ``wsgi.input`` read.
    Request content cut short by the peer raises ClientDisconnected from
    ``wsgi.input`` (RFC 9112 section 8).  HTTP/2 requests also get
    ``HTTP_VERSION`` "2" and the ``gunicorn.http2.priority_weight`` /
    ``priority_depends_on`` keys, and never any HTTP/1 interim bytes (early
    hints go through the stream's connection; workers may install their own
    callback).
    """
    if isinstance(sock, Stream):
        stream = sock
        sock = stream.socket
    else:
        conn = getattr(req, "connection", None)
        stream = HTTP1Stream(conn if type(conn) is ServerConnection else connection_of(req), sock)
    resp = Response(req, sock, cfg, stream)
    environ = default_environ(req, sock, cfg)
    host, script_name = header_environ(environ, req.headers)
    scheme = req.scheme
    environ["wsgi.url_scheme"] = scheme
    server_environ(environ, client, server, host, scheme)
    uwsgi_vars = getattr(req, "uwsgi_vars", None)
    if uwsgi_vars is None:
        path_environ(environ, req.path, script_name)
    else:
        # a uWSGI request: the front end's CGI vars (gunicorn.uwsgi.message)
        from gunicorn.uwsgi.message import uwsgi_environ

        if not uwsgi_environ(environ, uwsgi_vars):
            path_environ(environ, req.path, script_name)
    if getattr(req, "proxy_protocol_info", None):
        environ.update(proxy_environ(req))
    version = req.version
    if version >= (2, 0):
        environ["wsgi.early_hints"] = _make_early_hints_callback(req, sock, resp)
        # HTTP/2 stream (RFC 9113): priority hints; no HTTP/1 interim bytes.
        environ["HTTP_VERSION"] = "2"
        environ["gunicorn.http2.priority_weight"] = getattr(req, "priority_weight", 16)
        environ["gunicorn.http2.priority_depends_on"] = getattr(req, "priority_depends_on", 0)
        return resp, environ
    # validated, sent through the stream; nothing for HTTP/1.0 or after the head
    environ["wsgi.early_hints"] = resp.send_early_hints
    if getattr(req, "_expected_100_continue", False):
        expect_continue(req, sock, resp)
    return resp, environ


# gunicorn 25.0 names other code imports from this module
from gunicorn import SERVER, SERVER_SOFTWARE  # noqa: E402, F401, I001
BLKSIZE = 0x3FFFFFFF  # largest byte count one sendfile() call is asked for
