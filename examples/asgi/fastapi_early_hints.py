"""FastAPI with ``103 Early Hints`` (RFC 8297) on the asgi worker.

A browser that receives a 103 can start fetching the stylesheet and script
while the application is still building the page.  FastAPI has no API for
interim responses, so a small pure ASGI middleware sends one: the
``http.response.informational`` message (advertised by the server in
``scope["extensions"]``) with the ``Link`` fields of the page, before the
application's own response.  The asgi worker sends it over HTTP/1.1 and
HTTP/2, and skips it for HTTP/1.0 clients, which cannot read one.

Run it (from the repository root; ``pip install fastapi``)::

    gunicorn --worker-class asgi --chdir examples/asgi fastapi_early_hints:app

and look at the 103 before the 200::

    curl -v --http1.1 http://127.0.0.1:8000/
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse

#: path -> the Link field values hinted before its response
PRELOADS: dict[str, list[str]] = {
    "/": ["</static/site.css>; rel=preload; as=style",
          "</static/site.js>; rel=preload; as=script"],
}


class EarlyHints:
    """ASGI middleware: for a path in *preloads* send a 103 with its ``Link``
    values, then run the application.

    Args:
        app: the ASGI application to wrap.
        preloads: path -> list of ``Link`` field values (RFC 8288).
    """

    def __init__(self, app: Any, preloads: dict[str, list[str]]) -> None:
        self.app = app
        self.preloads = {path: [(b"link", link.encode("latin-1")) for link in links]
                         for path, links in preloads.items()}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            links = self.preloads.get(scope["path"])
            # only a server that offers the extension can take the message
            if links and "http.response.informational" in scope.get("extensions", {}):
                await send({"type": "http.response.informational", "status": 103,
                            "headers": links})
        await self.app(scope, receive, send)


app = FastAPI(title="early hints")
app.add_middleware(EarlyHints, preloads=PRELOADS)

PAGE = """<!doctype html>
<html><head><title>Early hints</title>
<link rel="stylesheet" href="/static/site.css"><script src="/static/site.js" defer></script>
</head><body><h1>Early hints</h1><p id="js">JavaScript did not run.</p></body></html>
"""


@app.get("/", response_class=HTMLResponse)
async def index() -> str:
    # the hints are already on their way while the page is prepared
    await asyncio.sleep(0.05)
    return PAGE


@app.get("/static/site.css")
async def stylesheet() -> PlainTextResponse:
    return PlainTextResponse("body { font-family: sans-serif; }\n", media_type="text/css")


@app.get("/static/site.js")
async def script() -> PlainTextResponse:
    return PlainTextResponse(
        "document.getElementById('js').textContent = 'JavaScript ran.';\n",
        media_type="text/javascript")
