"""WSGI app for the capture_output test: writes to stdout and stderr per request."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Print the path to stdout and stderr, answer 200 ``ok``."""
    print("app stdout %s" % environ["PATH_INFO"], flush=True)
    sys.stderr.write("app stderr %s\n" % environ["PATH_INFO"])
    sys.stderr.flush()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
