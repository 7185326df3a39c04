"""The FastAPI app of the framework tests (see fw_common for the markers)."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse, StreamingResponse
from fw_common import STREAM_PIECES, EarlyHintsMiddleware, mark, upload_summary


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    mark("fastapi", "startup")
    yield {"started_pid": os.getpid()}
    mark("fastapi", "shutdown")


app = FastAPI(lifespan=lifespan)
app.add_middleware(EarlyHintsMiddleware)


@app.get("/items/{item_id}")
async def item(item_id: int, request: Request, q: str | None = None) -> dict[str, Any]:
    return {"item_id": item_id, "q": q, "path": request.url.path}


@app.post("/echo")
async def echo(payload: dict[str, Any]) -> dict[str, Any]:
    return payload


@app.get("/stream")
async def stream() -> StreamingResponse:
    async def pieces():
        for piece in STREAM_PIECES:
            yield piece
    return StreamingResponse(pieces(), media_type="text/plain")


@app.post("/upload")
async def upload(request: Request) -> dict[str, Any]:
    return upload_summary(await request.body())


@app.get("/lifespan")
def lifespan_state(request: Request) -> dict[str, Any]:
    # a sync endpoint: FastAPI runs it in a thread pool
    return {"started_pid": request.state.started_pid, "pid": os.getpid()}


@app.get("/hints", response_class=PlainTextResponse)
async def hints() -> str:
    return "hinted"


@app.get("/version")
async def version(request: Request) -> dict[str, Any]:
    return {"http_version": request.scope["http_version"], "scheme": request.url.scheme}


@app.websocket("/ws")
async def ws_echo(websocket: WebSocket) -> None:
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
