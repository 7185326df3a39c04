"""HTTP/1.x request parsing: blocking facades over the sans-IO core in ``gunicorn.http.core``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .message import Message, Request
    from .parser import RequestParser

__all__ = ["Message", "Request", "RequestParser", "get_parser"]


def get_parser(cfg: Any, source: Any, source_addr: Any, http2_connection: bool = False) -> Any:
    """Return the request parser for a connection.

    ``HTTP2ServerConnection`` when *http2_connection* is true, ``UWSGIParser``
    when ``cfg.protocol == "uwsgi"``, else ``RequestParser``; both optional
    modules are imported lazily.
    """
    if http2_connection:
        from gunicorn.http2.connection import HTTP2ServerConnection

        return HTTP2ServerConnection(cfg, source, source_addr)
    if getattr(cfg, "protocol", "http") == "uwsgi":
        from gunicorn.uwsgi import UWSGIParser

        return UWSGIParser(cfg, source, source_addr)
    from .parser import RequestParser

    return RequestParser(cfg, source, source_addr)


def __getattr__(name: str) -> Any:
    # the blocking facades load on first use: importing the sans-IO core
    # (gunicorn.http.core) or the error classes does not load them
    if name in ("Message", "Request"):
        from . import message

        return getattr(message, name)
    if name == "RequestParser":
        from . import parser

        return parser.RequestParser
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
