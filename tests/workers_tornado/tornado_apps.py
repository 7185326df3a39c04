"""Applications the tornado worker tests serve (``--pythonpath tests/workers_tornado``)."""

from __future__ import annotations

import os
import time

import tornado.web


def mark_started():
    """Create ``$TORNADO_TEST_MARK`` (when set): a test waits for it to know a
    request is in progress."""
    path = os.environ.get("TORNADO_TEST_MARK")
    if path:
        with open(path, "w") as f:
            f.write(str(os.getpid()))


def wsgi_app(environ, start_response):
    """WSGI app. Paths: /pid, /sleep?SECONDS, /hints, /big?BYTES, /error,
    /environ (selected keys), anything else: ``ok``."""
    path = environ["PATH_INFO"]
    headers = [("Content-Type", "text/plain")]
    if path == "/pid":
        body = str(os.getpid()).encode()
    elif path == "/sleep":
        mark_started()
        time.sleep(float(environ["QUERY_STRING"] or 1))
        body = b"slept"
    elif path == "/hints":
        environ["wsgi.early_hints"]([("Link", "</style.css>; rel=preload")])
        environ["wsgi.early_hints"]([])
        try:
            environ["wsgi.early_hints"]([("Bad Name", "x")])
        except ValueError:
            body = b"hint-rejected"
        else:
            body = b"hint-accepted"
    elif path == "/big":
        size = int(environ["QUERY_STRING"])
        start_response("200 OK", headers)
        return (b"x" * 8192 for _ in range(size // 8192))
    elif path == "/error":
        raise RuntimeError("boom-secret-detail")
    elif path == "/environ":
        keys = ("SERVER_SOFTWARE", "RAW_URI", "REMOTE_PORT", "wsgi.url_scheme",
                "wsgi.multithread", "SERVER_PROTOCOL")
        body = "\n".join("%s=%s" % (k, environ.get(k)) for k in keys).encode()
    else:
        body = b"ok"
    start_response("200 OK", headers + [("Content-Length", str(len(body)))])
    return [body]


class PidHandler(tornado.web.RequestHandler):
    def get(self):
        self.write(str(os.getpid()))


class SleepHandler(tornado.web.RequestHandler):
    async def get(self):
        import asyncio

        mark_started()
        await asyncio.sleep(float(self.get_query_argument("s", "1")))
        self.write("slept")


class HelloHandler(tornado.web.RequestHandler):
    def get(self):
        self.write("hello tornado")


tornado_app = tornado.web.Application([
    (r"/pid", PidHandler),
    (r"/sleep", SleepHandler),
    (r"/", HelloHandler),
])
