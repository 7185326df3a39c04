"""Applications served by the HTTP/2 conformance tests.

Both answer every request alike: they read the whole request content, then
send ``200`` with ``BODY`` (a content-length, no trailers).  ``app`` is the
WSGI one, ``asgi_app`` the ASGI 3.0 one (HTTP only).
"""

from __future__ import annotations

#: what every response carries: long enough that the flow-control cases
#: (a one-octet window) see more than one DATA frame
BODY = b"conformance " * 24


def app(environ, start_response):
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(BODY)))])
    return [BODY]


async def asgi_app(scope, receive, send):
    if scope["type"] != "http":
        return  # no lifespan support: the worker goes on without it
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"),
                            (b"content-length", b"%d" % len(BODY))]})
    await send({"type": "http.response.body", "body": BODY})
