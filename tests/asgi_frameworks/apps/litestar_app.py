"""The Litestar app of the framework tests (see fw_common for the markers)."""

from __future__ import annotations

import os
from typing import Any

from fw_common import STREAM_PIECES, mark, upload_summary
from litestar import Litestar, Request, WebSocket, get, post, websocket
from litestar.datastructures import State
from litestar.exceptions import WebSocketDisconnect
from litestar.response import Stream


def startup(app: Litestar) -> None:
    app.state.started_pid = os.getpid()
    mark("litestar", "startup")


def shutdown(app: Litestar) -> None:
    mark("litestar", "shutdown")


@get("/items/{item_id:int}")
async def item(item_id: int, request: Request, q: str | None = None) -> dict[str, Any]:
    return {"item_id": item_id, "q": q, "path": request.url.path}


@post("/echo", status_code=200)
async def echo(data: dict[str, Any]) -> dict[str, Any]:
    return data


@get("/stream", media_type="text/plain")
async def stream() -> Stream:
    async def pieces():
        for piece in STREAM_PIECES:
            yield piece
    return Stream(pieces())


@post("/upload", status_code=200)
async def upload(request: Request) -> dict[str, Any]:
    return upload_summary(await request.body())


@get("/lifespan")
async def lifespan_state(state: State) -> dict[str, Any]:
    return {"started_pid": state.started_pid, "pid": os.getpid()}


@websocket("/ws")
async def ws_echo(socket: WebSocket) -> None:
    await socket.accept()
    try:
        while True:
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                await socket.send_data("echo:" + message["text"], mode="text")
            else:
                await socket.send_data(b"echo:" + message["bytes"], mode="binary")
    except WebSocketDisconnect:
        pass


app = Litestar(route_handlers=[item, echo, stream, upload, lifespan_state, ws_echo],
               on_startup=[startup], on_shutdown=[shutdown])
