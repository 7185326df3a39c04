"""Unit tests of the gthread building blocks (no server process)."""

from __future__ import annotations

import socket
import struct
import threading

import pytest

from gunicorn.config import Config
from gunicorn.http.message import Request
from gunicorn.workers import gthread


def test_take_buffered_returns_pipelined_leftover():
    cfg = Config()
    a, b = socket.socketpair()
    try:
        conn = gthread.TConn(cfg, a, ("127.0.0.1", 1), "s")
        conn.reader.unread(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHo")
        req = Request(cfg, conn.reader, conn.client, 1)
        assert req.path == "/a"
        assert req.body.read() == b""
        assert gthread._take_buffered(conn.reader) == b"GET /b HTTP/1.1\r\nHo"
        assert gthread._take_buffered(conn.reader) == b""
    finally:
        a.close()
        b.close()


def test_pollable_method_queue_runs_callbacks_in_order():
    q = gthread.PollableMethodQueue()
    q.init()
    try:
        seen = []
        for i in range(100):
            q.defer(seen.append, i)
        while len(seen) < 100:
            q.run_callbacks()
        assert seen == list(range(100))
        assert isinstance(q.fileno(), int)
    finally:
        q.close()


def test_thread_pool_runs_work():
    pool = gthread._ThreadPool(3)
    done = threading.Event()
    out = []

    def work(x):
        out.append(x)
        if len(out) == 10:
            done.set()

    for i in range(10):
        pool.submit(work, i)
    assert done.wait(5)
    assert sorted(out) == list(range(10))
    pool.shutdown(wait=True)


def test_epoll_poller_oneshot_rearm():
    if not hasattr(__import__("select"), "epoll"):
        pytest.skip("epoll only")
    a, b = socket.socketpair()
    poller = gthread._EpollPoller()
    try:
        conn = gthread.TConn(Config(), a, "peer", "server")
        poller.arm(conn)
        b.send(b"x")
        assert [fd for fd, _ in poller.poll(1)] == [a.fileno()]
        # one-shot: no second event until re-armed
        assert poller.poll(0.05) == []
        poller.arm(conn)
        assert [fd for fd, _ in poller.poll(1)] == [a.fileno()]
    finally:
        poller.close()
        a.close()
        b.close()


@pytest.mark.parametrize(
    "data,ready",
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True),
        (b"GET / HTTP/1.1\r\nHost: x\r\n", False),
        (b"GET / HTTP/1.1\nHost: x\n\n", True),
        (b"G" * 5000, True),  # request line over the limit: let the parser answer 414
        (b"GET /" + b"a" * 100, False),
    ],
)
def test_head_ready(data, ready):
    w = gthread.ThreadWorker.__new__(gthread.ThreadWorker)
    w._uwsgi = False
    w._max_line = 4094
    w._max_head = 65536
    a, b = socket.socketpair()
    try:
        conn = gthread.TConn(Config(), a, "p", "s")
        conn.pending += data
        assert w._head_ready(conn) is ready
    finally:
        a.close()
        b.close()


def test_timeval_packing():
    assert struct.unpack("@ll", gthread._timeval(1.5)) == (1, 500000)
