"""ASGI 3.0 application interface of the ``asgi`` worker.

One module per job, none of them parses or frames HTTP (the protocol cores
in ``gunicorn.http.core`` and ``gunicorn.http2`` do):

* ``scope``: HTTP scopes (ASGI HTTP spec 2.4) and the request/response
  records the hooks and the access log see;
* ``lifespan``: the lifespan protocol (``LifespanManager``);
* ``http1``: ``ASGIProtocol``, the ``asyncio.Protocol`` of one connection,
  feeding a ``ServerConnection`` and running one task per request;
* ``cycle``: ``ASGICycle`` (hooks, errors and access log around every
  request task) and ``HTTP1Cycle``, the ``receive``/``send`` pair of one
  HTTP/1.x request;
* ``http2``: one HTTP/2 connection through ``AsyncHTTP2Connection``, a task
  per stream;
* ``websocket``: the WebSocket handshake and frames (through ``wsproto``).
"""

from __future__ import annotations

__all__: list[str] = []
