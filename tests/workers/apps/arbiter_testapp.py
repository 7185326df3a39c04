"""WSGI app for the arbiter and worker process tests.

Paths: ``/sleep?s=N`` sleeps N seconds, ``/pid`` returns the worker pid,
``/env?k=NAME`` returns an environment variable, ``/error`` raises,
``/partial`` raises after sending headers, anything else returns ``ok``.
"""

import os
import time
from urllib.parse import parse_qs


def app(environ, start_response):
    path = environ["PATH_INFO"]
    qs = parse_qs(environ.get("QUERY_STRING", ""))
    if path == "/sleep":
        delay = float(qs.get("s", ["1"])[0])
        time.sleep(delay)
        body = b"slept %.1f" % delay
    elif path == "/pid":
        body = str(os.getpid()).encode()
    elif path == "/env":
        body = os.environ.get(qs["k"][0], "<unset>").encode()
    elif path == "/error":
        raise RuntimeError("boom-secret-detail")
    elif path == "/partial":
        start_response("200 OK", [("Content-Type", "text/plain")])

        def gen():
            yield b"first"
            raise RuntimeError("after headers")

        return gen()
    else:
        body = b"ok"
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
