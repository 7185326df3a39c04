"""Serve this file's own source through ``wsgi.file_wrapper``.

When the wrapper is used and ``sendfile`` is enabled (the default; turn it off with
``--no-sendfile``), the server hands the file to ``os.sendfile`` instead of copying
it through Python.
"""

import os
from collections.abc import Callable, Iterable

_PATH = os.path.abspath(__file__)


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Stream the source of this module as ``text/plain``."""
    size = os.path.getsize(_PATH)
    start_response("200 OK", [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(size)),
    ])
    handle = open(_PATH, "rb")  # closed by the wrapper's close()
    wrapper = environ.get("wsgi.file_wrapper")
    if wrapper is not None:
        return wrapper(handle, 64 * 1024)
    return iter(lambda: handle.read(64 * 1024), b"")


application = app
