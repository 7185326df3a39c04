"""Applications the servers behind HAProxy and nginx load.

``app`` (WSGI) and ``asgi_app`` (ASGI; WebSocket scopes go to the echo app of
tests/asgi/asgi_apps.py) answer the same routes:

* ``/info`` and anything not listed: JSON describing what the server put in
  the environ / scope (client address, PROXY keys, scheme, method, path,
  query, selected headers, worker pid) plus the sha256 and length of the
  request body.
* ``/pid``: the serving worker's pid as decimal text.
* ``/load/N``: ``expected_load_body(N)``.
* ``/download?n=BYTES&seed=S``: ``download_blob(BYTES, S)`` with Content-Length.
* ``/hints`` (WSGI only; the ASGI side answers it like ``/info``): one 103 Early Hints, then 200 "after hints".
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

_INFO_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_HOST",
                 "HTTP_TRANSFER_ENCODING", "HTTP_SCRIPT_NAME", "HTTP_X_REAL_IP",
                 "CONTENT_LENGTH")
_PROXY_KEYS = ("PROXY_PROTOCOL", "PROXY_ADDR", "PROXY_PORT")
_READ_SIZE = 256 * 1024


def expected_load_body(n: int) -> bytes:
    """The body ``/load/N`` answers: a few hundred bytes that depend on *n*."""
    return (b"load-%d:" % n) + hashlib.sha256(b"%d" % n).hexdigest().encode() * 8


def download_blob(size: int, seed: int) -> bytes:
    """*size* pseudo-random bytes determined by *seed* (the same in client and server)."""
    return random.Random(seed).randbytes(size)


def _json(start_response: Any, info: dict[str, Any]) -> list[bytes]:
    data = json.dumps(info).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(data)))])
    return [data]


def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """WSGI entry point (routes in the module docstring)."""
    path = environ.get("PATH_INFO", "")
    if path == "/pid":
        body = str(os.getpid()).encode()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]
    if path.startswith("/load/"):
        body = expected_load_body(int(path[6:]))
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    if path == "/download":
        query = parse_qs(environ.get("QUERY_STRING", ""))
        body = download_blob(int(query["n"][0]), int(query.get("seed", ["0"])[0]))
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    if path == "/hints":
        hints = environ.get("wsgi.early_hints")
        if hints is not None:
            hints([("Link", "</style.css>; rel=preload; as=style")])
        body = b"after hints"
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    # /info and the rest: describe the request; the body is hashed as it is read
    digest = hashlib.sha256()
    size = 0
    stream = environ["wsgi.input"]
    while True:
        chunk = stream.read(_READ_SIZE)
        if not chunk:
            break
        digest.update(chunk)
        size += len(chunk)
    info: dict[str, Any] = {
        "remote_addr": environ.get("REMOTE_ADDR"),
        "remote_port": environ.get("REMOTE_PORT"),
        "scheme": environ.get("wsgi.url_scheme"),
        "method": environ.get("REQUEST_METHOD"),
        "script_name": environ.get("SCRIPT_NAME"),
        "path": path,
        "query": environ.get("QUERY_STRING"),
        "protocol": environ.get("SERVER_PROTOCOL"),
        "pid": os.getpid(),
        "body_length": size,
        "body_sha256": digest.hexdigest(),
    }
    for key in _PROXY_KEYS + _INFO_HEADERS:
        info[key.lower()] = environ.get(key)
    if environ.get("REQUEST_METHOD") == "HEAD":
        # same headers as GET, no body (RFC 9110 section 9.3.2)
        data = json.dumps(info).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(data)))])
        return []
    return _json(start_response, info)


async def _send_bytes(send: Any, body: bytes, content_type: bytes = b"text/plain") -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", content_type),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """ASGI entry point: the same HTTP routes as ``app``; WebSocket and lifespan
    scopes go to ``tests.asgi.asgi_apps.ws_app``."""
    if scope["type"] != "http":
        from tests.asgi.asgi_apps import ws_app

        await ws_app(scope, receive, send)
        return
    path = scope["path"]
    if path == "/pid":
        await _send_bytes(send, str(os.getpid()).encode())
        return
    if path.startswith("/load/"):
        await _send_bytes(send, expected_load_body(int(path[6:])))
        return
    if path == "/download":
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        body = download_blob(int(query["n"][0]), int(query.get("seed", ["0"])[0]))
        await _send_bytes(send, body, b"application/octet-stream")
        return
    digest = hashlib.sha256()
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        digest.update(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            break
    client = scope.get("client") or (None, None)
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    info: dict[str, Any] = {
        "remote_addr": client[0],
        "remote_port": None if client[1] is None else str(client[1]),
        "scheme": scope.get("scheme"),
        "method": scope.get("method"),
        "script_name": scope.get("root_path"),
        "path": path,
        "query": scope.get("query_string", b"").decode("latin-1"),
        "protocol": "HTTP/" + scope.get("http_version", "1.1"),
        "pid": os.getpid(),
        "body_length": size,
        "body_sha256": digest.hexdigest(),
    }
    for key in _PROXY_KEYS:
        info[key.lower()] = None
    for key in _INFO_HEADERS:
        name = key[5:] if key.startswith("HTTP_") else key
        info[key.lower()] = headers.get(name.lower().replace("_", "-"))
    await _send_bytes(send, json.dumps(info).encode(), b"application/json")
