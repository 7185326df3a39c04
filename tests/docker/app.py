"""WSGI application served by the gunicorn services of docker-compose.yml.

Routes:

* ``/`` and ``/health``: a short text body;
* ``/echo``: the request content sent back (any method);
* ``/headers``: JSON with the environ keys a proxy scenario checks
  (``REMOTE_ADDR``, ``PROXY_*``, ``wsgi.url_scheme``, ``SERVER_PROTOCOL``,
  the query string) and every ``HTTP_*`` request header;
* ``/early-hints``: two ``103 Early Hints`` responses (``Link`` preload
  fields) before the final ``200``;
* ``/large?size=N``: ``N`` bytes (default 1 MiB, at most 64 MiB);
* ``/stream?chunks=N``: ``N`` chunks of 1 KiB, no Content-Length.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs

ENVIRON_KEYS = ("REMOTE_ADDR", "REMOTE_PORT", "PROXY_PROTOCOL", "PROXY_ADDR", "PROXY_PORT",
                "REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "SERVER_PROTOCOL",
                "CONTENT_TYPE", "CONTENT_LENGTH", "wsgi.url_scheme")
MAX_SIZE = 64 * 1024 * 1024


def _text(start_response: Any, status: str, body: bytes,
          content_type: str = "text/plain") -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _stream(chunks: int) -> Iterator[bytes]:
    for i in range(chunks):
        yield (b"%06d" % i) + b"." * 1018


def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """The WSGI entry point (PEP 3333)."""
    path = environ.get("PATH_INFO", "/")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if path in ("/", "/health"):
        return _text(start_response, "200 OK", b"ok\n")
    if path == "/echo":
        body = environ["wsgi.input"].read()
        return _text(start_response, "200 OK", body,
                     environ.get("CONTENT_TYPE") or "application/octet-stream")
    if path == "/headers":
        info = {k: environ.get(k) for k in ENVIRON_KEYS}
        info["headers"] = {k[5:].replace("_", "-").lower(): v
                           for k, v in environ.items() if k.startswith("HTTP_")}
        return _text(start_response, "200 OK", json.dumps(info, sort_keys=True).encode(),
                     "application/json")
    if path == "/early-hints":
        hints = environ.get("wsgi.early_hints")
        if hints is not None:
            hints([("Link", "</style.css>; rel=preload; as=style")])
            hints([("Link", "</app.js>; rel=preload; as=script")])
        return _text(start_response, "200 OK", b"early hints sent\n" if hints else b"no hints\n")
    if path == "/large":
        size = min(int(query.get("size", ["1048576"])[0]), MAX_SIZE)
        return _text(start_response, "200 OK", b"x" * size, "application/octet-stream")
    if path == "/stream":
        chunks = min(int(query.get("chunks", ["10"])[0]), 10000)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _stream(chunks)
    return _text(start_response, "404 Not Found", b"not found\n")
