"""Unit tests of the gthread building blocks (no server process)."""

from __future__ import annotations

import socket
import struct
import threading

import pytest

from gunicorn.config import Config
from gunicorn.http.message import Request
from gunicorn.workers import base, gthread, loop
from gunicorn.workers.gthread_http1 import HTTP1Driver
from gunicorn.workers.netio import Listener


def test_take_buffered_returns_pipelined_leftover():
    cfg = Config()
    a, b = socket.socketpair()
    try:
        conn = gthread.TConn(cfg, a, ("127.0.0.1", 1), "s")
        conn.reader.unread(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHo")
        req = Request(cfg, conn.reader, conn.client, 1)
        assert req.path == "/a"
        assert req.body.read() == b""
        assert conn.reader.take_buffered() == b"GET /b HTTP/1.1\r\nHo"
        assert conn.reader.take_buffered() == b""
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
    pool = loop.ThreadPool(3)
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
    poller = loop.EpollPoller()
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


def _loop_worker(cfg=None):
    return HTTP1Driver(cfg or Config())


@pytest.mark.parametrize(
    "data,found",
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "ready"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n", "wait"),
        (b"GET /" + b"a" * 100, "wait"),
        (b"\r\nGET / HTTP/1.1\r\n", "wait"),
        # a small body is received by the loop before a pool thread is taken
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab", "wait"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde", "ready"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n",
         "wait"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"2\r\nab\r\n0\r\n\r\n", "ready"),
        # a client waiting for 100 Continue, and a body too big to hold: at once
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
         "ready"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\nab", "ready"),
    ],
)
def test_data_received(data, found):
    w = _loop_worker()
    a, b = socket.socketpair()
    try:
        conn = gthread.TConn(Config(), a, "p", "s")
        conn.h1.receive_data(data)
        assert w.data_received(conn) == found
    finally:
        a.close()
        b.close()


def test_data_received_chunked_preload():
    w = _loop_worker()
    a, b = socket.socketpair()
    try:
        conn = gthread.TConn(Config(), a, "p", "s")
        conn.h1.receive_data(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"3\r\nabc\r\n")
        assert w.data_received(conn) == "wait"
        conn.h1.receive_data(b"2\r\nde\r\n0\r\nX-T: 1\r\n\r\n")
        assert w.data_received(conn) == "ready"
        assert b"".join(conn.preload) == b"abcde"
        assert conn.preload_end.trailers == [("X-T", "1")]
    finally:
        a.close()
        b.close()


def test_data_received_close_between_requests():
    w = _loop_worker()
    a, b = socket.socketpair()
    try:
        conn = gthread.TConn(Config(), a, "p", "s")
        conn.h1.receive_data(b"")
        assert w.data_received(conn) == "close"
    finally:
        a.close()
        b.close()


def _limits(**kw):
    cfg = Config()
    for k, v in kw.items():
        cfg.set(k, v)
    return cfg


@pytest.mark.parametrize(
    "cfg,data,exc",
    [
        # request line over limit_request_line: 414 before any CRLF
        (_limits(), b"G" * 5000, "LimitRequestLine"),
        # one field line over limit_request_field_size, no terminator yet
        (_limits(limit_request_field_size=100), b"GET / HTTP/1.1\r\nX-Big: " + b"z" * 200,
         "LimitRequestHeaders"),
        # a flood of small fields over the header buffer bound
        (_limits(limit_request_fields=5, limit_request_field_size=20),
         b"GET / HTTP/1.1\r\n" + b"X: 1\r\n" * 40, "LimitRequestHeaders"),
        # a bare LF in the request line: 400 at once
        (_limits(), b"GET / HTTP/1.1\nHost", "InvalidRequestLine"),
        (_limits(), b"GET / HTTP/1.1\nHost: x\n\n", "InvalidRequestLine"),
        (_limits(), b"GET / HTTP/1.1\r\nHost: x\nX", "InvalidHeader"),
        # the peer closed in the middle of a head
        (_limits(), b"GET / HTTP/1.1\r\nHost: x\r\n", "NoMoreData"),
    ],
)
def test_data_received_raises_on_partial_head(cfg, data, exc):
    from gunicorn.http import errors

    w = _loop_worker(cfg)
    a, b = socket.socketpair()
    try:
        conn = gthread.TConn(cfg, a, "p", "s", w.connection("p"))
        # bytes arriving in pieces: the error shows once they prove it
        with pytest.raises(getattr(errors, exc)):
            for i in range(0, len(data), 7):
                conn.h1.receive_data(data[i:i + 7])
                assert w.data_received(conn) == "wait"
            conn.h1.receive_data(b"")
            w.data_received(conn)
    finally:
        a.close()
        b.close()


def test_data_received_skips_proxy_prefix():
    cfg = _limits(proxy_protocol="v1", proxy_allow_ips="*")
    w = _loop_worker(cfg)
    a, b = socket.socketpair()
    try:
        conn = gthread.TConn(cfg, a, ("127.0.0.1", 1), "s", w.connection(("127.0.0.1", 1)))
        conn.h1.receive_data(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET / HTTP/1.1\r\nHost: x\r\n")
        assert w.data_received(conn) == "wait"
        conn.h1.receive_data(b"\r\n")
        assert w.data_received(conn) == "ready"
        assert conn.h1.proxy_protocol_info["client_addr"] == "1.2.3.4"
    finally:
        a.close()
        b.close()


def test_timeval_packing():
    assert struct.unpack("@ll", loop.timeval(1.5)) == (1, 500000)


class _RecordingLog:
    def __init__(self):
        self.warnings = []

    def warning(self, msg, *args):
        self.warnings.append(msg % args)


def _accepting_worker(acceptor):
    w = gthread.ThreadWorker.__new__(gthread.ThreadWorker)
    w._acceptors = {"listener": Listener("listener", -1, None, acceptor, False)}
    w._conns = {}
    w._listeners = {}
    w._accepting = True
    w._accept_resume_at = 0.0
    w.worker_connections = 10
    w.log = _RecordingLog()
    return w


def test_accept_pauses_when_out_of_descriptors():
    # EMFILE used to return with the listener still polled: the loop spun
    # and logged a warning per iteration until a descriptor was freed
    import errno
    import time

    calls = []

    def acceptor():
        calls.append(1)
        raise OSError(errno.EMFILE, "Too many open files")

    w = _accepting_worker(acceptor)
    w.accept("listener")
    assert calls == [1]
    assert w._accepting is False
    assert w._accept_resume_at > time.monotonic()
    assert len(w.log.warnings) == 1


def test_accept_skips_an_aborted_connection_and_goes_on():
    import errno

    outcomes = [OSError(errno.ECONNABORTED, "aborted"), BlockingIOError()]
    calls = []

    def acceptor():
        calls.append(1)
        raise outcomes.pop(0)

    w = _accepting_worker(acceptor)
    w.accept("listener")
    assert len(calls) == 2
    assert w._accepting is True
    assert w.log.warnings == []


def test_handle_quit_leaves_the_pool_alone(monkeypatch):
    # the handler runs in the loop thread, maybe inside tpool.submit(): a
    # ThreadPoolExecutor's shutdown() would wait on the lock submit() holds
    shutdowns = []

    class Pool:
        def shutdown(self, *args, **kwargs):
            shutdowns.append(args)

    w = gthread.ThreadWorker.__new__(gthread.ThreadWorker)
    w.tpool = Pool()
    exits = []
    monkeypatch.setattr(base.Worker, "handle_quit",
                        lambda self, sig, frame: exits.append(sig))
    w.handle_quit(3, None)
    assert exits == [3]
    assert shutdowns == []


def test_deferred_rearm_skips_or_closes_a_connection_gone_meanwhile():
    # selector fallback: a pool thread queues the re-arm; by the time the
    # loop runs it the connection may be closed, which used to raise out of
    # run_callbacks() and end the worker
    w = gthread.ThreadWorker.__new__(gthread.ThreadWorker)
    w.poller = loop.SelectorPoller()
    w._selector_fallback = True
    w._conns = {}
    w._idle = set()
    a, b = socket.socketpair()
    c, d = socket.socketpair()
    try:
        closed = gthread.TConn(Config(), a, "p", "s")
        closed.close()
        w._rearm(closed)  # already closed by the loop: nothing to do
        assert not closed.armed

        broken = gthread.TConn(Config(), c, "p", "s")
        w._conns[broken.fd] = broken
        w._idle.add(broken)
        c.close()  # the fd is gone under the still-listed connection
        w._rearm(broken)
        assert broken.state == gthread.CLOSED
        assert broken.fd not in w._conns and broken not in w._idle
    finally:
        w.poller.close()
        for s in (a, b, c, d):
            s.close()
