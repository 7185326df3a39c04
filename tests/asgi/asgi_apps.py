"""Small ASGI applications the tests/asgi server processes load."""

from __future__ import annotations

import asyncio
import json
import os
import sys


async def _body(receive):
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionResetError("client went away")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _text(send, status, text, headers=()):
    body = text.encode() if isinstance(text, str) else text
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain"),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


_BIG = bytes(range(256)) * 4096
_BIG_SERVED: list[bytes] = []


async def app(scope, receive, send):
    """Routes on the path; see each branch."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                scope["state"]["started"] = "yes"
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                marker = os.environ.get("ASGI_SHUTDOWN_MARKER")
                if marker:
                    with open(marker, "w") as f:
                        f.write("shutdown")
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path == "/scope" or path.startswith("/scope/"):
        info = {k: v for k, v in scope.items() if k not in ("headers", "state", "extensions")}
        info = {k: (v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in info.items()}
        info["headers"] = [[n.decode(), v.decode()] for n, v in scope["headers"]]
        info["state"] = dict(scope.get("state") or {}) if "state" in scope else None
        info["extensions"] = sorted(scope.get("extensions") or {})
        await _text(send, 200, json.dumps(info))
    elif path == "/modules":
        # which of the modules named in the query string this worker has imported
        names = scope["query_string"].decode().split(",")
        await _text(send, 200, json.dumps({n: n in sys.modules for n in names}))
    elif path == "/echo":
        body = await _body(receive)
        await _text(send, 200, body)
    elif path == "/stream-echo":
        # echoes each received piece as its own chunk (no content-length)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        total = 0
        while True:
            message = await receive()
            body = message.get("body", b"")
            total += len(body)
            if body:
                await send({"type": "http.response.body", "body": body, "more_body": True})
            if not message.get("more_body"):
                break
        await send({"type": "http.response.body", "body": b""})
    elif path == "/stream":
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain")]})
        for i in range(5):
            await send({"type": "http.response.body", "body": b"part%d\n" % i, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    elif path == "/trailers":
        await _body(receive)
        await send({"type": "http.response.start", "status": 200, "trailers": True,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"data", "more_body": False})
        await send({"type": "http.response.trailers",
                    "headers": [(b"x-checksum", b"abc123")], "more_trailers": False})
    elif path == "/hints":
        await send({"type": "http.response.informational", "status": 103,
                    "headers": [(b"link", b"</style.css>; rel=preload; as=style")]})
        await asyncio.sleep(0.05)
        await _text(send, 200, "after hints")
    elif path == "/status":
        code = int(scope["query_string"] or b"204")
        await send({"type": "http.response.start", "status": code,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ignored-body"})
    elif path == "/slow":
        # answers after the delay in the query string (seconds)
        await asyncio.sleep(float(scope["query_string"] or b"1"))
        await _text(send, 200, "slow done")
    elif path == "/wait-disconnect":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"waiting\n", "more_body": True})
        message = await receive()
        while message["type"] != "http.disconnect":
            message = await receive()
        marker = os.environ.get("ASGI_DISCONNECT_MARKER")
        if marker:
            with open(marker, "w") as f:
                f.write("disconnect")
    elif path == "/bad-header":
        # a response header that would split the response, or a bad length
        name, value = (b"x-bad", b"a\r\nInjected: 1") if scope["query_string"] != b"cl" \
            else (b"content-length", b"abc")
        await send({"type": "http.response.start", "status": 200, "headers": [(name, value)]})
        await send({"type": "http.response.body", "body": b"x"})
    elif path == "/error":
        raise RuntimeError("boom")
    elif path == "/noresponse":
        return
    elif path == "/late-read":
        # reads nothing until the marker file exists, then counts the body
        marker = scope["query_string"].decode()
        while not os.path.exists(marker):
            await asyncio.sleep(0.02)
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await _text(send, 200, str(size))
    elif path == "/loop":
        await _text(send, 200, type(asyncio.get_running_loop()).__module__)
    elif path == "/pid":
        await _text(send, 200, str(os.getpid()))
    elif path == "/big":
        # 1 MiB in one message; counts the requests served (see /served)
        _BIG_SERVED.append(scope["query_string"])
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"%d" % len(_BIG))]})
        await send({"type": "http.response.body", "body": _BIG})
    elif path == "/served":
        await _text(send, 200, str(len(_BIG_SERVED)))
    else:
        await _text(send, 200, "hello " + path)


async def no_lifespan_app(scope, receive, send):
    """An application without lifespan support (raises on that scope)."""
    if scope["type"] != "http":
        raise RuntimeError("unsupported scope %s" % scope["type"])
    await _text(send, 200, json.dumps({"has_state": "state" in scope}))


async def failing_startup_app(scope, receive, send):
    """Lifespan startup fails with a message."""
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "database unreachable"})
        return
    await _text(send, 200, "served without lifespan")


async def ws_app(scope, receive, send):
    """WebSocket routes: /echo (accepts the first offered subprotocol, echoes
    text and bytes, "close:CODE" closes with CODE), /reject (close before
    accept), /crash (raises after accept); HTTP requests get ``app``."""
    if scope["type"] != "websocket":
        await app(scope, receive, send)
        return
    message = await receive()
    assert message["type"] == "websocket.connect"
    if scope["path"] == "/reject":
        await send({"type": "websocket.close", "code": 1000})
        return
    protocols = scope["subprotocols"]
    await send({"type": "websocket.accept", "subprotocol": protocols[0] if protocols else None})
    if scope["path"] == "/crash":
        raise RuntimeError("ws boom")
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            marker = os.environ.get("ASGI_DISCONNECT_MARKER")
            if marker:
                with open(marker, "w") as f:
                    f.write(str(message["code"]))
            return
        text = message.get("text")
        if text is not None and text.startswith("close:"):
            await send({"type": "websocket.close", "code": int(text[6:]), "reason": "bye"})
            return
        if text is not None:
            await send({"type": "websocket.send", "text": "echo:" + text})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"][::-1]})
