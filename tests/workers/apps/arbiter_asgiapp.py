"""ASGI apps for the third-party (uvicorn) worker tests.

``app``: ``/pid`` answers the worker pid, anything else ``asgi ok``.
``startup_fails``: the lifespan startup fails (uvicorn then exits with
WORKER_BOOT_ERROR). Importing ``arbiter_asgi_broken`` raises.
"""

import os


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = str(os.getpid()).encode() if scope["path"] == "/pid" else b"asgi ok"
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def startup_fails(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "arb startup refused"})
        return
    await app(scope, receive, send)
