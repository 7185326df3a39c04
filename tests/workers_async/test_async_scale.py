"""Concurrency of the greenlet workers: what one worker process holds.

* 1,000 idle keep-alive connections do not stop a new client from being
  answered within 1 s (gevent, eventlet, asgi);
* an application sleeping 1 s (cooperatively) answers 500 concurrent
  clients in about 1-2 s on one gevent worker.
"""

from __future__ import annotations

import resource
import selectors
import socket
import time

import pytest

from tests.support.server import run_server
from tests.workers_async.conftest import APP, ResponseReader, connect, get

IDLE = 1000
CONCURRENT = 500


@pytest.fixture(scope="module", autouse=True)
def enough_descriptors():
    """The test and the server it starts each hold ~1,000 sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if want < 2 * IDLE + 200:
        pytest.skip("needs %d open files, hard limit is %d" % (2 * IDLE + 200, hard))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _open_many(srv, count: int, path: str) -> list[socket.socket]:
    """*count* connections, each with one request for *path* sent (non-blocking sockets)."""
    socks = []
    request = get(path)
    try:
        for _ in range(count):
            s = socket.create_connection((srv.host, srv.port), timeout=10)
            s.sendall(request)
            s.setblocking(False)
            socks.append(s)
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks


def _read_all(socks: list[socket.socket], expect: bytes, timeout: float) -> int:
    """Wait until every socket received a whole response ending in *expect*;
    returns how many did within *timeout* seconds (connections stay open)."""
    sel = selectors.DefaultSelector()
    bufs = {}
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
        bufs[s] = b""
    done = 0
    deadline = time.monotonic() + timeout
    try:
        while done < len(socks):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(left):
                s = key.fileobj
                data = s.recv(65536)
                if not data:
                    sel.unregister(s)
                    continue
                bufs[s] += data
                if bufs[s].endswith(expect):
                    assert bufs[s].startswith(b"HTTP/1.1 200 "), bufs[s][:100]
                    done += 1
                    sel.unregister(s)
    finally:
        sel.close()
    return done


#: the application each worker serves, and what ends its "hello <path>" body
HELLO_APPS = {
    "gevent": (APP, b"\n"),
    "eventlet": (APP, b"\n"),
    "asgi": ("tests.asgi.asgi_apps:app", b""),
}


@pytest.mark.parametrize("worker_name", sorted(HELLO_APPS))
def test_idle_keepalive_connections_do_not_block_a_new_client(worker_name):
    app, end = HELLO_APPS[worker_name]
    with run_server("-k", worker_name, "-w", "1", "--keep-alive", "60",
                    "--worker-connections", str(IDLE + 100), "--backlog", "2048", app) as srv:
        socks = _open_many(srv, IDLE, "/")
        try:
            assert _read_all(socks, b"hello /" + end, 30) == IDLE
            # every connection is now idle, kept alive by the server
            started = time.monotonic()
            with connect(srv, timeout=5) as sock:
                sock.sendall(get("/new"))
                status, _, body = ResponseReader(sock).response()
            elapsed = time.monotonic() - started
            assert (status, body) == (200, b"hello /new" + end)
            assert elapsed < 1.0, "new client answered in %.2fs" % elapsed
            # and the idle ones are still open and served
            for s in socks[:: IDLE // 10]:
                s.setblocking(True)
                s.sendall(get("/again"))
                assert ResponseReader(s).response()[2] == b"hello /again" + end
        finally:
            for s in socks:
                s.close()


def test_sleeping_app_serves_500_clients_at_once_on_one_gevent_worker():
    with run_server("-k", "gevent", "-w", "1", "--backlog", "2048", APP) as srv:
        started = time.monotonic()
        socks = _open_many(srv, CONCURRENT, "/sleep?1")
        try:
            served = _read_all(socks, b"slept\n", 10)
            elapsed = time.monotonic() - started
        finally:
            for s in socks:
                s.close()
        assert served == CONCURRENT
        # serially it would take 500 s; concurrently a little over the 1 s sleep
        assert 1.0 <= elapsed < 3.0, "500 clients took %.2fs" % elapsed
