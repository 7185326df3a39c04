"""WSGI applications served by the greenlet-worker tests (PEP 3333).

``app`` dispatches on PATH_INFO:

* ``/`` and anything unknown: ``hello <path>`` with Content-Length;
* ``/echo``: the request content, read through ``wsgi.input``;
* ``/env``: a few environ keys and the worker pid as ``key=value`` lines;
* ``/hints``: two ``wsgi.early_hints`` calls (RFC 8297), then 200;
* ``/sleep?S``: cooperative ``time.sleep(S)`` (patched by the worker), then 200;
  with an ``X-Announce`` header it first prints ``request in flight: <value>``;
* ``/spin?S``: S seconds of busy CPU that never yields (blocks the whole worker);
* ``/taken``: writes its own response on ``gunicorn.socket`` and returns
  ``ALREADY_HANDLED``;
* ``/file``: ``FILE_SIZE`` bytes through ``wsgi.file_wrapper`` (sendfile).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

FILE_SIZE = 2 * 1024 * 1024
def _open_file():
    """A new file of ``FILE_SIZE`` known octets, open for reading and already
    unlinked (the open descriptor keeps it for sendfile; nothing is left
    behind in the temporary directory)."""
    block = bytes(range(256)) * 4096
    f = tempfile.TemporaryFile()
    for _ in range(FILE_SIZE // len(block)):
        f.write(block)
    f.flush()
    f.seek(0)
    return f


def _reply(start_response, body: bytes, status: str = "200 OK"):
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def app(environ, start_response):
    path = environ["PATH_INFO"]
    query = environ.get("QUERY_STRING", "")
    if path == "/echo":
        return _reply(start_response, environ["wsgi.input"].read())
    if path == "/env":
        keys = ("wsgi.multithread", "wsgi.multiprocess", "RAW_URI", "SERVER_PROTOCOL",
                "REMOTE_ADDR", "PROXY_ADDR", "wsgi.url_scheme")
        lines = ["%s=%s" % (k, environ.get(k)) for k in keys]
        lines.append("pid=%d" % os.getpid())
        lines.append("socket=%s" % ("gunicorn.socket" in environ or "gunicorn.sock" in environ))
        lines.append("hints=%s" % ("wsgi.early_hints" in environ))
        return _reply(start_response, ("\n".join(lines) + "\n").encode())
    if path == "/hints":
        hints = environ["wsgi.early_hints"]
        hints([("Link", "</style.css>; rel=preload; as=style")])
        hints([("Link", "</app.js>; rel=preload; as=script")])
        return _reply(start_response, b"hinted\n")
    if path == "/sleep":
        if environ.get("HTTP_X_ANNOUNCE"):
            # lets a test wait until this request is in flight
            print("request in flight: %s" % environ["HTTP_X_ANNOUNCE"], file=sys.stderr, flush=True)
        time.sleep(float(query or 1))
        return _reply(start_response, b"slept\n")
    if path == "/spin":
        end = time.monotonic() + float(query or 1)
        while time.monotonic() < end:
            pass
        return _reply(start_response, b"spun\n")
    if path == "/taken":
        # the application answers on the socket itself (as WebSocket servers do)
        from gunicorn.workers.base_async import ALREADY_HANDLED

        environ["gunicorn.socket"].sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n"
                                           b"Connection: close\r\n\r\ntaken\n")
        return ALREADY_HANDLED
    if path == "/file":
        f = _open_file()
        start_response("200 OK", [("Content-Length", str(FILE_SIZE))])
        return environ["wsgi.file_wrapper"](f)
    return _reply(start_response, ("hello %s\n" % path).encode())
