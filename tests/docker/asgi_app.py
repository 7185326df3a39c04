"""ASGI 3.0 application for the ``-k asgi`` service of docker-compose.yml.

HTTP: ``/`` and ``/health`` answer ``ok``; ``/scope`` answers JSON with the
scope's ``scheme``, ``http_version``, ``client`` and request headers.
WebSocket on ``/ws``: accepts, sends the scope's ``scheme`` as the first text
message, then echoes every message (text as text, bytes as bytes) until the
client closes.  Other paths: 404 (HTTP) or a refused handshake (WebSocket).
"""

from __future__ import annotations

import json
from typing import Any


async def _http(scope: dict[str, Any], receive: Any, send: Any) -> None:
    while True:  # read the request body to its end
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            break
    if scope["path"] in ("/", "/health"):
        status, body, ctype = 200, b"ok\n", b"text/plain"
    elif scope["path"] == "/scope":
        info = {"scheme": scope["scheme"], "http_version": scope["http_version"],
                "client": list(scope["client"]) if scope.get("client") else None,
                "headers": {k.decode("latin-1"): v.decode("latin-1")
                            for k, v in scope["headers"]}}
        status, body, ctype = 200, json.dumps(info, sort_keys=True).encode(), b"application/json"
    else:
        status, body, ctype = 404, b"not found\n", b"text/plain"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _websocket(scope: dict[str, Any], receive: Any, send: Any) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    if scope["path"] != "/ws":
        await send({"type": "websocket.close", "code": 1008})
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": scope["scheme"]})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message.get("bytes") or b""})


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The ASGI 3.0 entry point."""
    if scope["type"] == "http":
        await _http(scope, receive, send)
    elif scope["type"] == "websocket":
        await _websocket(scope, receive, send)
    elif scope["type"] == "lifespan":
        await _lifespan(receive, send)
