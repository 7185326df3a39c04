"""An application that is slower than the worker timeout.

Run ``gunicorn --timeout 5 --chdir examples timeout:app`` and request ``/``: the
sync worker stops sending heartbeats while it sleeps, so after 5 seconds the
arbiter logs ``WORKER TIMEOUT``, aborts the worker (SIGABRT, the ``worker_abort``
hook runs) and starts a new one. ``/?sleep=1`` answers normally.
"""

import time
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Sleep ``sleep`` seconds from the query string (default 60), then answer."""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    try:
        delay = float(query.get("sleep", ["60"])[0])
    except ValueError:
        delay = 60.0
    time.sleep(delay)
    body = b"slept %.1f seconds\n" % delay
    start_response("200 OK", [
        ("Content-Type", "text/plain"),
        ("Content-Length", str(len(body))),
    ])
    return [body]


application = app
