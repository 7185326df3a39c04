"""WSGI application used by the end-to-end bad-request tests.

It reads the whole request body before answering (so body framing errors
surface before any response starts) and reports the worker pid, which lets a
test prove that the same worker kept serving after a malformed request.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Answer ``200 OK`` with ``pid=<worker pid> len=<body bytes read>``."""
    body = environ["wsgi.input"].read()
    data = b"pid=%d len=%d\n" % (os.getpid(), len(body))
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
    return [data]
