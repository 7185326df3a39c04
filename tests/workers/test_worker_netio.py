"""What every worker shares about sockets (``gunicorn.workers.netio`` and the
``Worker`` methods over it): the one classification of errors that end a
connection, request counting, listener setup and accept() errors."""

from __future__ import annotations

import errno
import socket
import ssl
import sys
import threading

import pytest

from gunicorn.http import errors as http_errors
from gunicorn.workers import netio
from gunicorn.workers.base import Worker
from gunicorn.workers.loop import PoolHandoff


def _ssl_error_with_reason(reason: str) -> ssl.SSLError:
    exc = ssl.SSLError(1, "[SSL: %s] %s" % (reason, reason.lower()))
    exc.reason = reason
    return exc


QUIET = [
    (ssl.SSLEOFError(ssl.SSL_ERROR_EOF, "EOF occurred in violation of protocol"),
     "ssl connection closed"),
    (ssl.SSLZeroReturnError(ssl.SSL_ERROR_ZERO_RETURN, "TLS/SSL connection has been closed"),
     "ssl connection closed"),
    (ssl.SSLError(ssl.SSL_ERROR_EOF, "EOF"), "ssl connection closed"),
    (_ssl_error_with_reason("UNEXPECTED_EOF_WHILE_READING"), "ssl connection closed"),
    (ssl.SSLWantReadError(ssl.SSL_ERROR_WANT_READ, "read would block"), "TLS connection timed out"),
    (ssl.SSLWantWriteError(ssl.SSL_ERROR_WANT_WRITE, "write would block"),
     "TLS connection timed out"),
    (TimeoutError("timed out"), "Socket timeout"),
    (BrokenPipeError(errno.EPIPE, "Broken pipe"), "Ignoring connection error"),
    (ConnectionResetError(errno.ECONNRESET, "reset"), "Ignoring connection error"),
    (OSError(errno.ENOTCONN, "not connected"), "Ignoring connection error"),
    (OSError(errno.ETIMEDOUT, "timed out"), "Socket timeout"),  # TimeoutError subclass
    (BlockingIOError(errno.EAGAIN, "SO_RCVTIMEO expired"), "Ignoring connection error"),
    (http_errors.NoMoreData(b"GET / HT"), "Ignored premature client disconnection"),
    (StopIteration(), "Connection closed before a request"),
]

LOUD = [
    _ssl_error_with_reason("WRONG_VERSION_NUMBER"),
    ssl.SSLError(ssl.SSL_ERROR_SSL, "certificate verify failed"),
    # an SSL_ERROR_* code that is also a peer-gone errno number must not count
    ssl.SSLError(errno.EAGAIN, "an SSL code, not an errno"),
    FileNotFoundError(errno.ENOENT, "No such file"),
    OSError(errno.EBADF, "Bad file descriptor"),
    RuntimeError("boom"),
    http_errors.InvalidRequestLine("GARBAGE"),
]


@pytest.mark.parametrize("exc,reason", QUIET, ids=[type(e).__name__ for e, _ in QUIET])
def test_quiet_disconnects(exc, reason):
    assert netio.disconnect_reason(exc) == reason
    assert netio.is_client_disconnect(exc) is not isinstance(exc, StopIteration)


@pytest.mark.parametrize("exc", LOUD, ids=[type(e).__name__ for e in LOUD])
def test_everything_else_is_answered(exc):
    assert netio.disconnect_reason(exc) is None
    assert not netio.is_client_disconnect(exc)


def test_tls_eof_forms():
    assert netio.is_tls_eof(ssl.SSLEOFError())
    assert netio.is_tls_eof(ssl.SSLZeroReturnError())
    assert netio.is_tls_eof(ssl.SSLError(ssl.SSL_ERROR_EOF, "x"))
    assert netio.is_tls_eof(_ssl_error_with_reason("UNEXPECTED_EOF_WHILE_READING"))
    assert not netio.is_tls_eof(ssl.SSLError(ssl.SSL_ERROR_SSL, "x"))
    assert not netio.is_tls_eof(ConnectionResetError())


class _Log:
    def __init__(self):
        self.lines: list[tuple[str, str]] = []

    def _add(self, level, msg, *args, **kwargs):
        self.lines.append((level, msg % args if args else str(msg)))

    def debug(self, msg, *args, **kwargs):
        self._add("debug", msg, *args)

    def info(self, msg, *args, **kwargs):
        self._add("info", msg, *args)

    def warning(self, msg, *args, **kwargs):
        self._add("warning", msg, *args)

    def exception(self, msg, *args, **kwargs):
        self._add("exception", msg, *args)

    def levels(self):
        return [level for level, _ in self.lines]


def _worker(max_requests=sys.maxsize):
    w = Worker.__new__(Worker)
    w.log = _Log()
    w.alive = True
    w.nr = 0
    w.max_requests = max_requests
    w._nr_lock = threading.Lock()
    return w


def test_connection_error_quiet_is_one_debug_line():
    w = _worker()
    answered = []
    w.handle_error = lambda *a: answered.append(a)
    w.handle_connection_error(None, None, ("127.0.0.1", 5), ssl.SSLEOFError(8, "EOF"))
    assert answered == []
    assert w.log.levels() == ["debug"]
    assert "ssl connection closed" in w.log.lines[0][1]


def test_connection_error_other_goes_to_handle_error():
    w = _worker()
    answered = []
    w.handle_error = lambda req, client, addr, exc: answered.append(exc)
    exc = http_errors.InvalidRequestLine("GARBAGE")
    w.handle_connection_error("req", "client", ("127.0.0.1", 5), exc)
    assert answered == [exc]


def test_connection_error_never_raises():
    w = _worker()

    def broken(*args):
        raise RuntimeError("while answering")

    w.handle_error = broken
    w.handle_connection_error(None, None, None, RuntimeError("app"))
    assert w.log.levels() == ["exception"]


def test_count_request_is_exact_across_threads_and_restarts_once():
    w = _worker(max_requests=1000)
    last = []

    def count():
        for _ in range(250):
            if w.count_request():
                last.append(1)

    threads = [threading.Thread(target=count) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert w.nr == 2000
    # the 1000th request and every later one must close their connection
    assert len(last) == 1001
    assert w.alive is False
    assert [m for _, m in w.log.lines] == ["Autorestarting worker after current request."]


def test_count_request_below_budget():
    w = _worker(max_requests=3)
    assert [w.count_request() for _ in range(3)] == [False, False, True]
    assert w.alive is False


def test_accept_errors():
    w = _worker()
    assert w.handle_accept_error(OSError(errno.ECONNABORTED, "aborted")) == 0.0
    assert w.handle_accept_error(OSError(errno.EPROTO, "protocol")) == 0.0
    assert w.log.lines == []
    for code in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
        assert w.handle_accept_error(OSError(code, "exhausted")) == netio.ACCEPT_BACKOFF
    assert w.log.levels() == ["warning"] * 4
    other = OSError(errno.EBADF, "bad fd")
    with pytest.raises(OSError) as info:
        w.handle_accept_error(other)
    assert info.value is other


def test_prepare_tcp_listener():
    lsock = socket.socket()
    try:
        lsock.bind(("127.0.0.1", 0))
        lsock.listen()
        lsock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        info = netio.prepare_listener(lsock)
        assert lsock.getblocking() is False
        assert info.fd == lsock.fileno()
        assert info.server == lsock.getsockname()
        with pytest.raises(BlockingIOError):
            info.accept()
        # Linux copies TCP_NODELAY to accepted sockets
        assert info.nodelay is (not sys.platform.startswith("linux"))
        client = socket.create_connection(info.server)
        try:
            conn, peer = info.accept()
            assert peer == client.getsockname()
            assert conn.getblocking() is True
            assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            conn.close()
        finally:
            client.close()
        lsock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
        assert netio.prepare_listener(lsock).nodelay is True
    finally:
        lsock.close()


def test_prepare_unix_listener(tmp_path):
    path = str(tmp_path / "s.sock")
    lsock = socket.socket(socket.AF_UNIX)
    try:
        lsock.bind(path)
        lsock.listen()
        info = netio.prepare_listener(lsock)
        assert info.server == path
        assert info.nodelay is False
    finally:
        lsock.close()


def test_pool_handoff_counts_units_in_flight():
    started = threading.Event()
    release = threading.Event()

    class Pool:
        def submit(self, fn, *args):
            threading.Thread(target=fn, args=args).start()

    handoff = PoolHandoff(Pool())

    def work(tag):
        started.set()
        release.wait(5)
        handoff.done()

    handoff.submit(work, "a")
    assert started.wait(5)
    assert handoff.busy == 1
    release.set()
    for _ in range(500):
        if handoff.busy == 0:
            break
        threading.Event().wait(0.01)
    assert handoff.busy == 0
