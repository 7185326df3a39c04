"""Applications for tests/tls/test_proxy_before_tls.py: each answers one line
``CLIENT_HOST CLIENT_PORT SCHEME HTTP_VERSION`` naming the client the server
believes in (REMOTE_ADDR/REMOTE_PORT, or the ASGI scope ``client``)."""

from __future__ import annotations

from typing import Any


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """WSGI: REMOTE_ADDR, REMOTE_PORT, wsgi.url_scheme, SERVER_PROTOCOL."""
    body = ("%s %s %s %s" % (environ.get("REMOTE_ADDR"), environ.get("REMOTE_PORT"),
                             environ["wsgi.url_scheme"], environ["SERVER_PROTOCOL"])).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """ASGI: the scope's client, scheme and http_version."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    client = scope.get("client") or (None, None)
    body = ("%s %s %s HTTP/%s" % (client[0], client[1], scope["scheme"],
                                  scope["http_version"])).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"),
                            (b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})
