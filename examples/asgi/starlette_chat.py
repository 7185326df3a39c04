"""A WebSocket chat room with Starlette on the asgi worker.

Every message a client sends is broadcast to all clients connected to the
same worker process, with ``* NAME joined`` / ``* NAME left`` notices.  The
room lives in the worker's memory, so run a single worker (``-w 1``); more
workers would each hold a room of their own (a shared broker such as Redis
would be needed then).

Run it (from the repository root; ``pip install starlette``)::

    gunicorn --worker-class asgi -w 1 --chdir examples/asgi starlette_chat:app

then open http://127.0.0.1:8000/ in two browser tabs, or connect with any
WebSocket client to ``ws://127.0.0.1:8000/ws?name=alice``.
"""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

#: longest accepted message, in characters (longer ones are cut)
MAX_MESSAGE = 1000


class Room:
    """The connected clients of this worker and the broadcast to them."""

    def __init__(self) -> None:
        self.members: dict[WebSocket, str] = {}

    async def broadcast(self, text: str) -> None:
        """Send *text* to every member; members whose connection is gone are dropped."""
        members = list(self.members)
        results = await asyncio.gather(*(ws.send_text(text) for ws in members),
                                       return_exceptions=True)
        for ws, result in zip(members, results, strict=True):
            if isinstance(result, Exception):
                self.members.pop(ws, None)

    async def serve(self, ws: WebSocket, name: str) -> None:
        """Take *ws* into the room until it disconnects."""
        self.members[ws] = name
        await self.broadcast("* %s joined" % name)
        try:
            while True:
                text = await ws.receive_text()
                await self.broadcast("%s: %s" % (name, text[:MAX_MESSAGE]))
        except WebSocketDisconnect:
            pass
        finally:
            self.members.pop(ws, None)
            await self.broadcast("* %s left" % name)


room = Room()

PAGE = """<!doctype html>
<html><head><title>Chat</title></head><body>
<h1>WebSocket chat</h1>
<form id="f"><input id="name" placeholder="name" value="guest">
<input id="msg" placeholder="message" autocomplete="off"><button>Send</button></form>
<ul id="log"></ul>
<script>
let ws = null;
const log = (text) => {
  const li = document.createElement("li"); li.textContent = text;
  document.getElementById("log").appendChild(li);
};
document.getElementById("f").onsubmit = (event) => {
  event.preventDefault();
  if (ws === null) {
    const name = encodeURIComponent(document.getElementById("name").value);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${scheme}://${location.host}/ws?name=${name}`);
    ws.onmessage = (e) => log(e.data);
    ws.onclose = () => { log("* disconnected"); ws = null; };
    ws.onopen = () => ws.send(document.getElementById("msg").value);
  } else {
    ws.send(document.getElementById("msg").value);
  }
  document.getElementById("msg").value = "";
};
</script></body></html>
"""


async def index(request) -> HTMLResponse:
    return HTMLResponse(PAGE)


async def chat(ws: WebSocket) -> None:
    name = ws.query_params.get("name", "").strip()[:32] or "guest"
    await ws.accept()
    await room.serve(ws, name)


app = Starlette(routes=[Route("/", index), WebSocketRoute("/ws", chat)])
