"""gthread: a stopping worker still answers a request sent on a connection
whose previous response announced keep-alive (RFC 9112 section 9.6), with
``Connection: close``, as long as it arrives within the short stop linger."""

from __future__ import annotations

import socket
import threading
import time

from tests.gthread.gthread_client import ResponseReader, get
from tests.support.server import run_server

APP = "tests.gthread.gthread_apps:app"
ARGS = ("-k", "gthread", "--threads", "2", "--max-requests", "2", "--keep-alive", "5",
        "--graceful-timeout", "10")


def _connect(srv) -> socket.socket:
    return socket.create_connection((srv.host, srv.port), timeout=10)


def _assert_next_answered_with_close(sock: socket.socket, reader: ResponseReader) -> None:
    """Send ``GET /next`` on ``sock``: it must be served, with ``Connection: close``."""
    sock.sendall(get("/next"))
    status, headers, body = reader.read_response()
    assert status == 200
    assert body.startswith(b"GET /next ")
    assert headers.get("connection", "").lower() == "close"


def test_idle_keepalive_connection_answered_while_worker_stops():
    with run_server(APP, *ARGS) as srv:
        with _connect(srv) as idle:
            reader = ResponseReader(idle)
            idle.sendall(get("/first"))
            status, headers, _ = reader.read_response()
            assert status == 200
            assert headers.get("connection", "").lower() != "close"

            # the second request of the worker reaches max_requests: it stops
            with _connect(srv) as other:
                other.sendall(get("/other"))
                status, headers, _ = ResponseReader(other).read_response()
                assert status == 200
                assert headers.get("connection", "").lower() == "close"

            # the worker has used up max_requests: it is stopping, inside its linger
            srv.wait_for_output(r"Autorestarting worker after current request")
            _assert_next_answered_with_close(idle, reader)


def test_busy_connection_keeps_its_keepalive_promise_while_worker_stops():
    # debug level: the pre_request line shows when /slow reached the app
    with run_server(APP, *ARGS, "--log-level", "debug") as srv:
        with _connect(srv) as slow:
            reader = ResponseReader(slow)
            first: dict = {}

            def run_slow() -> None:
                slow.sendall(get("/slow?0.6"))
                first["response"] = reader.read_response()

            thread = threading.Thread(target=run_slow)
            thread.start()
            # /slow must be the worker's first request: /other then is its last
            srv.wait_for_output(r"\] GET /slow")
            with _connect(srv) as other:
                other.sendall(get("/other"))
                _, headers, _ = ResponseReader(other).read_response()
                assert headers.get("connection", "").lower() == "close"
            thread.join(10)
            status, headers, _ = first["response"]
            assert status == 200
            assert headers.get("connection", "").lower() != "close"

            _assert_next_answered_with_close(slow, reader)


def test_silent_idle_connection_is_closed_after_the_linger():
    # keep-alive and graceful timeout far above the 2 s linger, so the bound
    # below tells them apart even on a slow host
    with run_server(APP, "-k", "gthread", "--threads", "2", "--max-requests", "2",
                    "--keep-alive", "30", "--graceful-timeout", "30") as srv:
        with _connect(srv) as idle:
            reader = ResponseReader(idle)
            idle.sendall(get("/first"))
            reader.read_response()
            with _connect(srv) as other:
                other.sendall(get("/other"))
                ResponseReader(other).read_response()
            start = time.monotonic()
            assert reader.is_closed(20.0)
            # closed by the linger (about 2 s), not by the 30 s keep-alive
            assert time.monotonic() - start < 12
