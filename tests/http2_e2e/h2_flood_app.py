"""WSGI application served by the HTTP/2 flood end-to-end tests.

* ``/big?N``: N octets (a repeating 0..255 pattern) with a content-length;
* ``/echo``: reads the request content, answers its length in decimal;
* anything else: the worker's pid in decimal, so that a test can tell which
  worker process answered.
"""

from __future__ import annotations

import os

_PATTERN = bytes(range(256))


def pattern(size: int) -> bytes:
    """The body of ``/big?size``: *size* octets of 0, 1, ..., 255, 0, 1, ..."""
    return (_PATTERN * (size // 256 + 1))[:size]


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/big":
        body = pattern(int(environ.get("QUERY_STRING") or 1024))
    elif path == "/echo":
        body = b"%d" % len(environ["wsgi.input"].read())
    else:
        body = b"%d" % os.getpid()
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(len(body)))])
    return [body]
