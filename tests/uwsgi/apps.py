"""Applications the uWSGI tests serve: they answer with what they received."""

from __future__ import annotations

import hashlib
import json

ENVIRON_KEYS = (
    "REQUEST_METHOD", "PATH_INFO", "SCRIPT_NAME", "QUERY_STRING", "RAW_URI", "REQUEST_URI",
    "REMOTE_ADDR", "REMOTE_PORT", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL",
    "CONTENT_TYPE", "CONTENT_LENGTH", "DOCUMENT_ROOT", "REQUEST_SCHEME", "HTTPS",
    "wsgi.url_scheme", "X_CUSTOM",
)


def app(environ, start_response):
    """WSGI: a path ending in ``/stream`` answers without Content-Length (close-delimited on
    uWSGI), ``/fail`` raises, anything else echoes the request as JSON."""
    body = environ["wsgi.input"].read()
    path = environ["PATH_INFO"]
    if path == "/fail":
        raise RuntimeError("boom")
    if path.endswith("/stream"):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"part1-", b"part2-", hashlib.sha256(body).hexdigest().encode()]
    info = {k: environ[k] for k in ENVIRON_KEYS if k in environ}
    info["headers"] = {k: v for k, v in environ.items() if k.startswith("HTTP_")}
    info["sha256"] = hashlib.sha256(body).hexdigest()
    info["length"] = len(body)
    data = json.dumps(info).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(data)))])
    return [data]


async def asgi_app(scope, receive, send):
    """ASGI: the same answers from the scope (``/fail`` raises)."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["path"] == "/fail":
        raise RuntimeError("boom")
    digest = hashlib.sha256()
    length = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        digest.update(chunk)
        length += len(chunk)
        if not message.get("more_body"):
            break
    if scope["path"].endswith("/stream"):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain")]})
        for part in (b"part1-", b"part2-"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": digest.hexdigest().encode()})
        return
    info = {
        "method": scope["method"], "path": scope["path"],
        "raw_path": scope["raw_path"].decode("latin-1"),
        "query_string": scope["query_string"].decode("latin-1"),
        "scheme": scope["scheme"], "http_version": scope["http_version"],
        "client": list(scope["client"]) if scope["client"] else None,
        "server": list(scope["server"]) if scope["server"] else None,
        "headers": [[n.decode("latin-1"), v.decode("latin-1")] for n, v in scope["headers"]],
        "sha256": digest.hexdigest(), "length": length,
    }
    data = json.dumps(info).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})
