"""ASGI applications for the WebSocket-over-HTTP/2 (RFC 8441) and
``websocket.http.response`` denial tests.

``app`` routes WebSocket scopes by path:

* ``/echo``: accepts the last offered subprotocol (None without offers),
  echoes text as "echo:TEXT" and bytes unchanged; "close:CODE" makes the
  server close with CODE and reason "bye"; "scope" answers the scope as
  JSON; every ``websocket.disconnect`` is recorded in the file named by
  ``WS_EVENTS`` as "PATH disconnect CODE";
* ``/server-close``: accepts, sends "hi", closes with 4001 "done";
* ``/deny``: denies with 418, a custom header and a two-part body;
* ``/deny-empty``: denies with 401 and no body;
* ``/reject``: ``websocket.close`` before accept (403);
* ``/hold``: accepts, then calls ``receive()`` only once the file
  ``WS_EVENTS + ".release"`` exists (backpressure), then acts as ``/echo``;
* ``/wait``: accepts, then records what ``receive()`` returns (for the
  RST_STREAM test).

HTTP scopes get "http PATH" as text/plain.
"""

from __future__ import annotations

import asyncio
import json
import os


def _record(line: str) -> None:
    path = os.environ.get("WS_EVENTS")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


def _jsonable(value):
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


async def _http(scope, receive, send):
    body = ("http " + scope["path"]).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"),
                            (b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http":
        await _http(scope, receive, send)
        return
    path = scope["path"]
    message = await receive()
    assert message["type"] == "websocket.connect"
    if path == "/deny":
        await send({"type": "websocket.http.response.start", "status": 418,
                    "headers": [(b"content-type", b"text/plain"), (b"x-denied", b"yes")]})
        await send({"type": "websocket.http.response.body", "body": b"no websocket ",
                    "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"for you"})
        return
    if path == "/deny-empty":
        await send({"type": "websocket.http.response.start", "status": 401,
                    "headers": [(b"www-authenticate", b"Bearer")]})
        await send({"type": "websocket.http.response.body", "body": b""})
        return
    if path == "/reject":
        await send({"type": "websocket.close", "code": 1000})
        return
    protocols = scope["subprotocols"]
    await send({"type": "websocket.accept", "subprotocol": protocols[-1] if protocols else None,
                "headers": [(b"x-ws", b"accepted")]})
    if path == "/server-close":
        await send({"type": "websocket.send", "text": "hi"})
        await send({"type": "websocket.close", "code": 4001, "reason": "done"})
        return
    if path == "/hold":
        # do not call receive() until the test creates WS_EVENTS + ".release"
        release = os.environ.get("WS_EVENTS", "") + ".release"
        while not os.path.exists(release):
            await asyncio.sleep(0.02)
        path = "/echo"
    elif path == "/wait":
        _record("/wait accepted")
        message = await receive()
        _record("/wait %s %s" % (message["type"], message.get("code")))
        return
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            _record("%s disconnect %s" % (path, message["code"]))
            return
        text = message.get("text")
        if text is None:
            await send({"type": "websocket.send", "bytes": message["bytes"]})
        elif text.startswith("close:"):
            await send({"type": "websocket.close", "code": int(text[6:]), "reason": "bye"})
            return
        elif text == "scope":
            scope_copy = {k: v for k, v in scope.items() if k != "state"}
            await send({"type": "websocket.send", "text": json.dumps(_jsonable(scope_copy))})
        else:
            await send({"type": "websocket.send", "text": "echo:" + text})
