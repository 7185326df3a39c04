"""Slow and silent clients must not keep the gthread worker from new ones.

* Small request bodies are received by the event loop before a pool thread
  is taken, so clients sending them slowly hold no thread.
* A pool thread reading a big body that stalls is freed by the read timeout.
* At the ``worker_connections`` cap the worker closes the waiting
  connection nearest its deadline to admit a new client (slowloris).
"""

from __future__ import annotations

import socket
import time

from tests.gthread.gthread_client import ResponseReader, get
from tests.support.server import run_server

APP = "tests.gthread.gthread_apps:app"


def connect(srv, timeout: float = 10.0) -> socket.socket:
    return socket.create_connection((srv.host, srv.port), timeout=timeout)


def timed_get(srv, path: str = "/fresh") -> tuple[int, float, bytes]:
    """GET *path* on a new connection: (status, seconds to the response, body)."""
    start = time.monotonic()
    with connect(srv) as s:
        s.sendall(get(path))
        status, _, body = ResponseReader(s).read_response()
    return status, time.monotonic() - start, body


def test_slow_small_bodies_hold_no_pool_thread():
    # 50 clients, 4 threads: each sends its head and part of a small body
    # (Content-Length or chunked), then stalls
    with run_server(APP, "-k", "gthread", "--threads", "4") as srv:
        slow = []
        try:
            for i in range(50):
                s = connect(srv)
                if i % 2:
                    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
                              + b"a" * 10)
                else:
                    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\n"
                              b"Transfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n")
                slow.append(s)
            status, elapsed, body = timed_get(srv)
            assert status == 200 and body.startswith(b"GET /fresh ")
            assert elapsed < 1.0, elapsed
            # the stalled bodies complete: each is answered with all of it
            for i, s in enumerate(slow):
                if i % 2:
                    s.sendall(b"b" * 90)
                else:
                    s.sendall(b"5\r\nfghij\r\n0\r\nX-Trailer: 1\r\n\r\n")
            for i, s in enumerate(slow):
                status, _, body = ResponseReader(s).read_response()
                assert status == 200
                assert b" len=%d " % (100 if i % 2 else 10) in body, body
        finally:
            for s in slow:
                s.close()


def test_pool_thread_on_a_stalled_big_body_is_freed_by_the_read_timeout():
    # a body too big for the loop goes to the only pool thread, which the
    # client then starves; the read timeout (--timeout) gives the thread back
    with run_server(APP, "-k", "gthread", "--threads", "1", "--timeout", "2") as srv:
        with connect(srv) as stalled:
            stalled.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n"
                            + b"a" * 1000)
            start = time.monotonic()
            status, elapsed, _ = timed_get(srv)
            assert status == 200
            # answered once the stalled read timed out, long before the
            # 10 MB could have arrived at this pace
            assert 1.0 <= time.monotonic() - start < 6.0, elapsed
            # the stalled connection was closed without a response
            stalled.settimeout(5.0)
            assert stalled.recv(65536) == b""


def test_slowloris_at_the_connection_cap_does_not_lock_out_new_clients():
    # 1,100 connections that each send half a head (more than the default
    # worker_connections, 1000): a new client is still answered quickly
    with run_server(APP, "-k", "gthread", "--threads", "4") as srv:
        loris = []
        try:
            for _ in range(1100):
                s = connect(srv)
                s.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n")
                loris.append(s)
            status, elapsed, body = timed_get(srv)
            assert status == 200 and body.startswith(b"GET /fresh ")
            assert elapsed < 1.0, elapsed
        finally:
            for s in loris:
                s.close()


def test_cap_closes_idle_keepalive_before_incomplete_requests():
    # at the cap, an idle keep-alive connection is the first one given up
    with run_server(APP, "-k", "gthread", "--threads", "1", "--worker-connections", "5",
                    "--keep-alive", "20") as srv:
        with connect(srv) as idle, connect(srv) as probe:
            r = ResponseReader(idle)
            idle.sendall(get("/first"))
            assert r.read_response()[0] == 200
            # one pool thread: once the probe is answered, the first
            # connection was handed back to the loop (idle keep-alive)
            probe.sendall(get("/probe"))
            assert ResponseReader(probe).read_response()[0] == 200
            partial = []
            try:
                for _ in range(3):
                    s = connect(srv)
                    s.sendall(b"GET /p HTTP/1.1\r\nHost: x\r\n")
                    partial.append(s)
                status, elapsed, _ = timed_get(srv)
                assert status == 200 and elapsed < 1.0, elapsed
                # the longest-idle keep-alive connection was closed to make room ...
                assert r.is_closed(timeout=5.0)
                # ... and the incomplete requests are still served
                for s in partial:
                    s.sendall(b"\r\n")
                    assert ResponseReader(s).read_response()[0] == 200
            finally:
                for s in partial:
                    s.close()
