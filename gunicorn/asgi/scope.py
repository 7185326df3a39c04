"""HTTP connection scopes (ASGI HTTP spec 2.4) and the records that hooks and
the access log see for an ASGI request.

Nothing here parses HTTP: the scope is built from a request head that a
protocol core already validated (``RequestHead`` for HTTP/1.x,
``HTTP2Request`` for HTTP/2).

The access log (``Logger.access(resp, req, environ, request_time)``) and
the ``pre_request`` / ``post_request`` hooks were written for WSGI.  They
get equivalent objects here: the request head itself as ``req`` (it has
``method``, ``uri``, ``path``, ``query``, ``version``, ``headers`` as
(UPPERCASE, value) pairs), an ``ASGIResponseInfo`` as ``resp`` (``status``,
``status_code``, ``headers``, ``sent``) and a small WSGI-style environ from
:func:`access_environ` holding the keys the access-log atoms read
(REQUEST_METHOD, RAW_URI, PATH_INFO, QUERY_STRING, SERVER_PROTOCOL,
REMOTE_ADDR, REMOTE_PORT, SCRIPT_NAME, wsgi.url_scheme and HTTP_*).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from gunicorn.http.errors import InvalidHeader, InvalidHeaderName
from gunicorn.http.wsgi_fields import INVALID_VALUE_RE, TOKEN_RE

__all__ = ["ASGI_VERSION", "http_scope", "asgi_address", "ASGIResponseInfo", "access_environ",
           "HTTP_VERSIONS", "check_response_headers",
           "server_address"]

#: the ``asgi`` key of every scope: ASGI 3.0, HTTP/WebSocket spec 2.4
ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}

#: (major, minor) -> the scope's ``http_version``
HTTP_VERSIONS = {(1, 0): "1.0", (1, 1): "1.1", (2, 0): "2"}


def asgi_address(addr: Any) -> tuple[str, int] | None:
    """A socket address as the scope's ``client`` / ``server`` value.

    ``(host, port)`` for IPv4 and IPv6 (the flow info and scope id of an
    IPv6 4-tuple are dropped), None for a UNIX socket or an unknown peer
    (ASGI HTTP spec: "Optional; if missing defaults to None").
    """
    if isinstance(addr, tuple) and len(addr) >= 2:
        return (str(addr[0]), int(addr[1]))
    return None


def server_address(addr: Any) -> tuple[str, int | None] | None:
    """The scope's ``server``: ``(host, port)``, or ``(path, None)`` for a
    UNIX socket (ASGI HTTP spec), None when unknown."""
    if isinstance(addr, str) and addr:
        return (addr, None)
    return asgi_address(addr)


def decode_path(path: str) -> str:
    """The scope ``path``: the request path with percent-encoded octets and
    UTF-8 sequences decoded (ASGI HTTP spec; invalid UTF-8 becomes U+FFFD)."""
    if "%" not in path:
        return path
    return unquote(path, encoding="utf-8", errors="replace")


def http_scope(head: Any, *, http_version: str, scheme: str, client: Any, server: Any,
               root_path: str, state: dict[str, Any] | None,
               extensions: dict[str, Any]) -> dict[str, Any]:
    """The ``http`` scope of one request.

    Args:
        head: the parsed request: ``method``, ``path`` (raw, without the
            query), ``query`` (str) and ``headers`` ((name, value) str pairs,
            any case; request headers are latin-1 text).
        http_version: "1.0", "1.1" or "2".
        scheme: "http" or "https" (the transport, or a trusted
            ``secure_scheme_headers`` field; decided by the protocol core).
        client, server: socket addresses (see :func:`asgi_address` and
            :func:`server_address`).
        root_path: the ``root_path`` setting.
        state: a shallow copy of the lifespan state, or None without lifespan.
        extensions: the server extensions offered for this request.
    """
    raw = head.path or "/"
    scope = {
        "type": "http",
        "asgi": dict(ASGI_VERSION),
        "http_version": http_version,
        "method": head.method,
        "scheme": scheme,
        "path": decode_path(raw),
        "raw_path": raw.encode("latin-1"),
        "query_string": head.query.encode("latin-1"),
        "root_path": root_path,
        # ASGI wants lowercased names; values are the received octets
        "headers": [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in head.headers],
        "client": asgi_address(client),
        "server": server_address(server),
        "extensions": extensions,
    }
    if state is not None:
        scope["state"] = state
    return scope


class ASGIResponseInfo:
    """What the access log and ``post_request`` learn about an ASGI response.

    Attributes: ``status`` and ``status_code`` (int, None before the app
    started a response), ``headers`` ((name, value) str pairs as sent by the
    app), ``sent`` (content bytes taken for sending), ``response_length``
    (the same, the WSGI ``Response`` name).
    """

    __slots__ = ("status", "headers", "sent")

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.sent = 0

    @property
    def status_code(self) -> int | None:
        return self.status

    @property
    def response_length(self) -> int:
        return self.sent


def access_environ(head: Any, scope: dict[str, Any], client: Any) -> dict[str, Any]:
    """A WSGI-style environ for the access log and ``post_request`` hook.

    Args:
        head: the request head (``method``, ``uri``, ``path``, ``query``,
            ``version`` as a tuple, ``headers`` as (name, value) str pairs).
        scope: the request's ASGI scope.
        client: the peer address.
    """
    version = head.version
    env: dict[str, Any] = {
        "REQUEST_METHOD": head.method,
        "RAW_URI": head.uri,
        "PATH_INFO": scope["path"],
        "QUERY_STRING": head.query,
        # the WSGI workers' spelling, so access-log lines match ("HTTP/2.0")
        "SERVER_PROTOCOL": "HTTP/%d.%d" % tuple(version),
        "SCRIPT_NAME": scope["root_path"],
        "REMOTE_ADDR": client[0] if isinstance(client, tuple) else (client or ""),
        "REMOTE_PORT": str(client[1]) if isinstance(client, tuple) else "",
        "wsgi.url_scheme": scope["scheme"],
        "asgi.scope": scope,
    }
    for name, value in head.headers:
        key = "HTTP_" + name.upper().replace("-", "_")
        env[key] = "%s,%s" % (env[key], value) if key in env else value
    return env


def check_response_headers(headers: Any) -> list[tuple[str, str]]:
    """ASGI response headers as (name, value) str pairs, validated.

    Args:
        headers: an iterable of (name, value) pairs of bytes (the ASGI
            form; str is accepted too), names in any case.

    Raises InvalidHeaderName for a name that is not a token and InvalidHeader
    for a value holding CR, LF, NUL or other controls (RFC 9110 section 5.5:
    never copied into the response, to rule out response splitting).
    """
    out = []
    checked = _CHECKED
    for pair in headers:
        try:
            # applications send the same fields again and again: a pair of
            # bytes (or str) checked before is not checked twice
            hit = checked.get(pair) if type(pair) is tuple else None
        except TypeError:  # a bytearray inside: unhashable
            hit = None
        if hit is not None:
            out.append(hit)
            continue
        name, value = pair
        cacheable = type(name) in _IMMUTABLE and type(value) in _IMMUTABLE
        if type(name) is not str:
            name = bytes(name).decode("latin-1")
        if type(value) is not str:
            value = bytes(value).decode("latin-1")
        if TOKEN_RE.fullmatch(name) is None:
            raise InvalidHeaderName(name)
        if INVALID_VALUE_RE.search(value) is not None:
            raise InvalidHeader(name)
        item = (name, value)
        out.append(item)
        if cacheable and type(pair) is tuple:
            if len(checked) >= _CHECKED_MAX:
                checked.clear()  # varying values (lengths, cookies): start over
            checked[pair] = item
    return out


#: (name, value) as the application sent them -> the checked str pair
_CHECKED: dict[tuple[Any, Any], tuple[str, str]] = {}
_CHECKED_MAX = 512
_IMMUTABLE = (bytes, str)


def response_start(message: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bool]:
    """(status, headers, trailers) of an ``http.response.start`` message
    (ASGI HTTP spec 2.4): status an int from 200 to 999, headers checked as
    every response's are (``check_response_headers``), whether trailers
    follow.  Raises ValueError for a bad status, the header errors of
    ``check_response_headers`` for bad fields."""
    status = message["status"]
    if type(status) is not int or not 200 <= status <= 999:
        raise ValueError("invalid response status %r" % (status,))
    headers = check_response_headers(message.get("headers", ()))
    return status, headers, bool(message.get("trailers", False))
