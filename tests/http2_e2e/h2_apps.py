"""WSGI applications served by the HTTP/2 end-to-end tests."""

from __future__ import annotations

import contextvars
import hashlib
import json
import threading
import time

# /rendezvous/<n>: the n-th request waits for the (n xor 1)-th, so pairs of
# streams only complete when both run at the same time
_events: dict[str, threading.Event] = {}
_events_lock = threading.Lock()


def _event(name: str) -> threading.Event:
    with _events_lock:
        ev = _events.get(name)
        if ev is None:
            ev = _events[name] = threading.Event()
        return ev


# /context?<value>: answers what this request saw in _request_var (before it
# sets it to <value>): "fresh" unless a context leaked from another request
_request_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_var",
                                                                   default="fresh")


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/leak-timeout":
        # a greenlet library's timeout started and never cancelled (an
        # application bug): it fires into this greenlet after 0.3 s
        library = environ.get("QUERY_STRING")
        if library == "gevent":
            import gevent

            gevent.Timeout(0.3).start()
        elif library == "eventlet":
            import eventlet

            eventlet.Timeout(0.3)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"leaked"]
    if path == "/context":
        seen = _request_var.get()
        _request_var.set(environ.get("QUERY_STRING") or "set")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [seen.encode()]
    if path == "/echo":
        body = environ["wsgi.input"].read()
        digest = hashlib.sha256(body).hexdigest()
        out = json.dumps({
            "length": len(body), "sha256": digest,
            "protocol": environ["SERVER_PROTOCOL"], "version": environ.get("HTTP_VERSION"),
            "host": environ.get("HTTP_HOST"), "scheme": environ["wsgi.url_scheme"],
            "weight": environ.get("gunicorn.http2.priority_weight"),
            "depends_on": environ.get("gunicorn.http2.priority_depends_on"),
            "trailers": environ["gunicorn.http2.request_trailers"](),
        }).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(out)))])
        return [out]
    if path == "/slowread":
        # a slow consumer: the peer may only send as fast as this reads
        inp = environ["wsgi.input"]
        h = hashlib.sha256()
        total = 0
        while True:
            chunk = inp.read(65536)
            if not chunk:
                break
            h.update(chunk)
            total += len(chunk)
            time.sleep(0.002)
        out = json.dumps({"length": total, "sha256": h.hexdigest()}).encode()
        start_response("200 OK", [("Content-Length", str(len(out)))])
        return [out]
    if path == "/big":
        size = int(environ.get("QUERY_STRING") or 1 << 20)
        block = bytes(range(256)) * 64  # 16 KiB
        start_response("200 OK", [("Content-Type", "application/octet-stream")])

        def gen():
            left = size
            while left > 0:
                chunk = block[:left]
                left -= len(chunk)
                yield chunk
        return gen()
    if path.startswith("/rendezvous/"):
        n = int(path.rsplit("/", 1)[1])
        _event("r%d" % n).set()
        ok = _event("r%d" % (n ^ 1)).wait(20)
        body = (b"ok" if ok else b"timeout")
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]
    if path == "/piecewise":
        # the second piece is made only once /release-piece was requested
        start_response("200 OK", [("Content-Type", "application/octet-stream")])

        def pieces():
            yield b"a" * 20000
            yield b"b" * 20000 if _event("piece").wait(20) else b"timeout"
        return pieces()
    if path == "/release-piece":
        _event("piece").set()
        start_response("200 OK", [])
        return [b"done"]
    if path == "/block":
        # holds its thread until /release is requested
        ok = _event("release").wait(20)
        start_response("200 OK", [])
        return [b"released" if ok else b"timeout"]
    if path == "/release":
        _event("release").set()
        start_response("200 OK", [])
        return [b"done"]
    if path == "/hints":
        environ["wsgi.early_hints"]([("Link", "</style.css>; rel=preload; as=style")])
        environ["wsgi.early_hints"]([("Link", "</app.js>; rel=preload; as=script")])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hinted"]
    if path == "/trailers":
        environ["gunicorn.http2.send_trailers"]([("x-checksum", "abc123"), ("grpc-status", "0")])
        start_response("200 OK", [("Content-Type", "text/plain"), ("Trailer", "x-checksum")])
        return [b"body with trailers"]
    if path == "/slow":
        # a long response, written slowly: a reset must stop it early
        start_response("200 OK", [("Content-Type", "application/octet-stream")])

        def slow():
            for i in range(200):
                yield b"x" * 16384
                time.sleep(0.05)
                with open(environ["QUERY_STRING"] or "/dev/null", "a") as f:
                    f.write("%d\n" % i)
        return slow()
    if path == "/sleep":
        secs, _, marker = (environ.get("QUERY_STRING") or "1").partition(":")
        if marker:
            open(marker, "w").close()
        time.sleep(float(secs))
        start_response("200 OK", [])
        return [b"slept"]
    if path == "/fail-late":
        start_response("200 OK", [("Content-Type", "text/plain")])

        def fail():
            yield b"part"
            raise RuntimeError("late failure")
        return fail()
    if path == "/error":
        raise RuntimeError("boom")
    if path == "/dated":
        start_response("200 OK", [("Date", "Sun, 06 Nov 1994 08:49:37 GMT")])
        return [b"old"]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]
