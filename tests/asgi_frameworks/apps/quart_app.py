"""The Quart app of the framework tests (see fw_common for the markers)."""

from __future__ import annotations

import os

from fw_common import STREAM_PIECES, mark, upload_summary
from quart import Quart, jsonify, request, websocket

app = Quart(__name__)
started: dict[str, int] = {}


@app.before_serving
async def startup() -> None:
    started["pid"] = os.getpid()
    mark("quart", "startup")


@app.after_serving
async def shutdown() -> None:
    mark("quart", "shutdown")


@app.get("/items/<int:item_id>")
async def item(item_id: int):
    return jsonify({"item_id": item_id, "q": request.args.get("q"), "path": request.path})


@app.post("/echo")
async def echo():
    return jsonify(await request.get_json())


@app.get("/stream")
async def stream():
    async def pieces():
        for piece in STREAM_PIECES:
            yield piece
    return pieces(), 200, {"Content-Type": "text/plain"}


@app.post("/upload")
async def upload():
    return jsonify(upload_summary(await request.get_data(as_text=False)))


@app.get("/lifespan")
async def lifespan_state():
    return jsonify({"started_pid": started.get("pid"), "pid": os.getpid()})


@app.websocket("/ws")
async def ws_echo():
    while True:
        data = await websocket.receive()
        if isinstance(data, str):
            await websocket.send("echo:" + data)
        else:
            await websocket.send(b"echo:" + data)
