"""The PEP 3333 (WSGI 1.0.1) adapter for HTTP/1.x requests.

Workers call::

    resp, environ = wsgi.create(req, sock, client, server, cfg)
    respiter = app(environ, resp.start_response)
    ...  # resp.write_file(respiter) for a FileWrapper, else resp.write(item)
    resp.close()

The pieces live in small modules and are re-exported here under their
gunicorn 25.0 names: environ building (``wsgi_environ``), the response writer
(``wsgi_response``), field validation (``wsgi_fields``), early hints
(``early_hints``) and 100-continue (``wsgi_continue``).
"""

from __future__ import annotations

from typing import Any

from gunicorn.http.early_hints import InvalidEarlyHint, _make_early_hints_callback
from gunicorn.http.errors import ConfigurationProblem, InvalidHeader, InvalidHeaderName
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
        sock: the client socket (``gunicorn.socket``; responses are written to it).
        client: the peer address: (host, port) tuple, or a str for unix peers.
        server: the listener address: (host, port) tuple or a unix socket path.
        cfg: the Config.

    Returns:
        (resp, environ) with every key of PEP 3333 plus ``RAW_URI``,
        ``REMOTE_PORT``, ``gunicorn.socket``, ``wsgi.early_hints`` and the
        PROXY protocol keys.

    Raises:
        ConfigurationProblem: the path does not start with SCRIPT_NAME (500).

    When the request carries ``Expect: 100-continue`` (HTTP/1.1+), ``HTTP/1.1
    100 Continue`` is sent on the application's first ``wsgi.input`` read.
    HTTP/2 requests also get ``HTTP_VERSION`` "2" and the
    ``gunicorn.http2.priority_weight`` / ``priority_depends_on`` keys, and
    never any HTTP/1 interim bytes (early hints go through the stream's
    connection; workers may install their own callback).
    """
    resp = Response(req, sock, cfg)
    environ = default_environ(req, sock, cfg)
    host, script_name = header_environ(environ, req.headers)
    scheme = req.scheme
    environ["wsgi.url_scheme"] = scheme
    server_environ(environ, client, server, host, scheme)
    path_environ(environ, req.path, script_name)
    if getattr(req, "proxy_protocol_info", None):
        environ.update(proxy_environ(req))
    environ["wsgi.early_hints"] = _make_early_hints_callback(req, sock, resp)
    if req.version >= (2, 0):
        # HTTP/2 stream (RFC 9113): priority hints; no HTTP/1 interim bytes.
        environ["HTTP_VERSION"] = "2"
        environ["gunicorn.http2.priority_weight"] = getattr(req, "priority_weight", 16)
        environ["gunicorn.http2.priority_depends_on"] = getattr(req, "priority_depends_on", 0)
    elif getattr(req, "_expected_100_continue", False):
        expect_continue(req, sock, resp)
    return resp, environ
