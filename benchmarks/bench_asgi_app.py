"""The ASGI application the ``asgi`` rows of the benchmarks serve.

The same routes as ``bench_app.py``, chosen by the scope's ``path``:

* ``/`` (and any unknown path): a fixed 14-byte ``text/plain`` body;
* ``/64k``: a fixed 65,536-byte body in one ``http.response.body`` message
  (``Content-Length`` set);
* ``/echo``: the request body (every ``http.request`` message until
  ``more_body`` is false) sent back with its length.

It answers the lifespan protocol (startup and shutdown complete at once) so
every server runs it without a lifespan warning.  Only ASGI 3.0 is used, so
upstream gunicorn's ``-k asgi``, uvicorn, hypercorn and this project serve
it alike; the benchmarks copy this file to a temporary directory and serve
``bench_asgi_app:app`` from there.
"""

from collections.abc import Awaitable, Callable
from typing import Any

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_HELLO = b"Hello, World!\n"
_BIG = b"x" * 65536
_HELLO_START = {"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"),
                            (b"content-length", str(len(_HELLO)).encode())]}
_BIG_START = {"type": "http.response.start", "status": 200,
              "headers": [(b"content-type", b"application/octet-stream"),
                          (b"content-length", str(len(_BIG)).encode())]}
_HELLO_BODY = {"type": "http.response.body", "body": _HELLO}
_BIG_BODY = {"type": "http.response.body", "body": _BIG}


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _echo(receive: Receive, send: Send) -> None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect: nobody to answer
            return
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/octet-stream"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """ASGI 3.0 application: dispatch ``http`` scopes on ``path`` to the routes above."""
    kind = scope["type"]
    if kind == "lifespan":
        await _lifespan(receive, send)
        return
    if kind != "http":
        return
    path = scope["path"]
    if path == "/echo":
        await _echo(receive, send)
    elif path == "/64k":
        await send(_BIG_START)
        await send(_BIG_BODY)
    else:
        await send(_HELLO_START)
        await send(_HELLO_BODY)
