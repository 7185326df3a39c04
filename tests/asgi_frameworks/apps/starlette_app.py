"""The Starlette app of the framework tests (see fw_common for the markers)."""

from __future__ import annotations

import contextlib
import os

from fw_common import STREAM_PIECES, EarlyHintsMiddleware, mark, upload_summary
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocketDisconnect


@contextlib.asynccontextmanager
async def lifespan(app):
    mark("starlette", "startup")
    yield {"started_pid": os.getpid()}
    mark("starlette", "shutdown")


async def item(request):
    return JSONResponse({"item_id": request.path_params["item_id"],
                         "q": request.query_params.get("q"), "path": request.url.path})


async def echo(request):
    return JSONResponse(await request.json())


async def stream(request):
    async def pieces():
        for piece in STREAM_PIECES:
            yield piece
    return StreamingResponse(pieces(), media_type="text/plain")


async def upload(request):
    return JSONResponse(upload_summary(await request.body()))


async def lifespan_state(request):
    return JSONResponse({"started_pid": request.state.started_pid, "pid": os.getpid()})


async def hints(request):
    return PlainTextResponse("hinted")


async def ws_echo(websocket):
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                await websocket.send_text("echo:" + message["text"])
            else:
                await websocket.send_bytes(b"echo:" + message["bytes"])
    except WebSocketDisconnect:
        pass


app = Starlette(
    routes=[
        Route("/items/{item_id:int}", item),
        Route("/echo", echo, methods=["POST"]),
        Route("/stream", stream),
        Route("/upload", upload, methods=["POST"]),
        Route("/lifespan", lifespan_state),
        Route("/hints", hints),
        WebSocketRoute("/ws", ws_echo),
    ],
    middleware=[Middleware(EarlyHintsMiddleware)],
    lifespan=lifespan,
)
