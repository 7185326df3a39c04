"""Small WSGI applications used by the gthread worker tests."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from gunicorn.workers.gthread import ThreadWorker


def echo(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Answer with ``METHOD PATH?QUERY``, the body length read, pid and thread flags."""
    body = b""
    if environ.get("QUERY_STRING") != "noread":
        body = environ["wsgi.input"].read()
    text = "%s %s %s len=%d pid=%d mt=%s" % (
        environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("QUERY_STRING", ""),
        len(body), os.getpid(), environ["wsgi.multithread"],
    )
    data = text.encode("utf-8")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
    return [data]


def slow(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Sleep ``?seconds`` (default 1) then answer; records the thread name."""
    seconds = float(environ.get("QUERY_STRING") or 1)
    time.sleep(seconds)
    data = ("slept %s in %s" % (seconds, threading.current_thread().name)).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
    return [data]


def streaming(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """A chunked response of ``?n`` pieces (default 5)."""
    n = int(environ.get("QUERY_STRING") or 5)
    start_response("200 OK", [("Content-Type", "text/plain")])
    for i in range(n):
        yield b"piece %d\n" % i


def big(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """``?n`` bytes (default 32 MiB, more than socket buffers hold) with a
    Content-Length, written 64 KiB at a time."""
    size = int(environ.get("QUERY_STRING") or 32 << 20)
    piece = b"x" * 65536
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(size))])
    for sent in range(0, size, len(piece)):
        yield piece[:size - sent]


def boom(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Raise before starting the response."""
    raise RuntimeError("boom")


def missing_file(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Raise an OSError from the application itself."""
    with open("/nonexistent/file/for/gthread/test"):
        pass
    return []


def route(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Dispatch on the first path segment: /slow, /stream, /big, /boom, else echo."""
    path = environ["PATH_INFO"]
    if path.startswith("/slow"):
        return slow(environ, start_response)
    if path.startswith("/stream"):
        return streaming(environ, start_response)
    if path.startswith("/big"):
        return big(environ, start_response)
    if path.startswith("/boom"):
        return boom(environ, start_response)
    if path.startswith("/oserror"):
        return missing_file(environ, start_response)
    return echo(environ, start_response)


app = route


class ExecutorWorker(ThreadWorker):
    """gthread with a ``concurrent.futures`` pool (get_thread_pool override)."""

    def get_thread_pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self.cfg.threads)
