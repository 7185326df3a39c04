"""The gthread worker against real server processes on 127.0.0.1."""

from __future__ import annotations

import re
import signal
import socket
import threading
import time

import pytest

from tests.gthread.gthread_client import ResponseReader, get
from tests.support.server import run_server

APP = "tests.gthread.gthread_apps:app"


def connect(srv, timeout: float = 10.0) -> socket.socket:
    return socket.create_connection((srv.host, srv.port), timeout=timeout)


def test_keepalive_1000_requests_one_connection():
    with run_server(APP, "-k", "gthread", "--threads", "2", "--keep-alive", "5") as srv:
        with connect(srv) as s:
            r = ResponseReader(s)
            pids = set()
            for i in range(1000):
                s.sendall(get("/n%d" % i))
                status, headers, body = r.read_response()
                assert status == 200
                assert body.startswith(b"GET /n%d " % i)
                assert headers.get("connection", "keep-alive").lower() != "close"
                pids.add(body.split(b"pid=")[1].split()[0])
            assert len(pids) == 1
            assert b"mt=True" in body


def test_idle_keepalive_connection_closed_after_timeout():
    with run_server(APP, "-k", "gthread", "--keep-alive", "1") as srv:
        with connect(srv) as s:
            r = ResponseReader(s)
            s.sendall(get("/"))
            assert r.read_response()[0] == 200
            start = time.monotonic()
            assert r.is_closed(timeout=4.0)
            elapsed = time.monotonic() - start
            assert 0.7 <= elapsed <= 2.6, elapsed


def test_keepalive_zero_closes_after_response():
    with run_server(APP, "-k", "gthread", "--keep-alive", "0") as srv:
        with connect(srv) as s:
            r = ResponseReader(s)
            s.sendall(get("/"))
            status, headers, _ = r.read_response()
            assert status == 200
            assert headers["connection"].lower() == "close"
            assert r.is_closed(timeout=2.0)


def test_pipelined_requests_answered_in_order():
    with run_server(APP, "-k", "gthread", "--threads", "4") as srv:
        with connect(srv) as s:
            r = ResponseReader(s)
            body = b"hello"
            data = (
                get("/one")
                + b"POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n" + body
                + b"POST /three?noread HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                + get("/four")
            )
            s.sendall(data)
            got = [r.read_response()[2].split(b" pid=")[0] for _ in range(4)]
            assert got == [b"GET /one  len=0", b"POST /two  len=5",
                           b"POST /three noread len=0", b"GET /four  len=0"]
            # the connection is still usable afterwards, also byte by byte
            for ch in get("/five"):
                s.send(bytes([ch]))
            assert r.read_response()[2].startswith(b"GET /five")


def test_unread_body_is_drained_for_keepalive():
    with run_server(APP, "-k", "gthread") as srv:
        with connect(srv) as s:
            r = ResponseReader(s)
            big = b"x" * 200_000
            s.sendall(b"POST /?noread HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(big))
            s.sendall(big)
            assert r.read_response()[0] == 200
            s.sendall(get("/after"))
            assert r.read_response()[2].startswith(b"GET /after")


def test_chunked_request_and_streamed_response():
    with run_server(APP, "-k", "gthread") as srv:
        with connect(srv) as s:
            r = ResponseReader(s)
            s.sendall(b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
            assert b"len=7" in r.read_response()[2]
            s.sendall(get("/stream?3"))
            status, headers, body = r.read_response()
            assert headers["transfer-encoding"] == "chunked"
            assert body == b"piece 0\npiece 1\npiece 2\n"


def test_worker_connections_limit_serves_all_clients():
    results: list[int] = []
    errors: list[BaseException] = []
    with run_server(APP, "-k", "gthread", "--threads", "4", "--worker-connections", "50") as srv:

        def client(i: int) -> None:
            try:
                with connect(srv, timeout=20) as s:
                    r = ResponseReader(s)
                    s.sendall(get("/c%d" % i, extra="Connection: close\r\n"))
                    results.append(r.read_response()[0])
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(200)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert not errors, errors[:3]
    assert results.count(200) == 200


def test_worker_connections_pauses_accept_while_every_connection_is_served():
    # every slot holds a request being served (none waiting that could be
    # closed to make room): a new client waits until a slot frees
    with run_server(APP, "-k", "gthread", "--threads", "3", "--worker-connections", "3",
                    "--keep-alive", "30", "--log-level", "debug") as srv:
        held = []
        try:
            for i in range(3):
                s = connect(srv)
                s.sendall(get("/slow%d?%d" % (i, 3 + i), extra="Connection: close\r\n"))
                held.append(s)
            for i in range(3):
                srv.wait_for_output(r"\] GET /slow%d\b" % i)  # in flight
            extra = connect(srv)
            extra.sendall(get("/extra"))
            extra.settimeout(0.7)
            with pytest.raises((TimeoutError, socket.timeout)):
                extra.recv(1)
            # the first slow request ends (3 s) and its connection closes
            extra.settimeout(10)
            assert ResponseReader(extra).read_response()[0] == 200
            extra.close()
            assert ResponseReader(held[0]).read_response()[0] == 200
        finally:
            for s in held:
                s.close()


@pytest.mark.parametrize("kind", ["idle", "slow"])
def test_many_idle_or_slow_connections_do_not_block_new_client(kind):
    with run_server(APP, "-k", "gthread", "--threads", "1", "--keep-alive", "10") as srv:
        stop = threading.Event()
        one_pass = threading.Event()
        socks = [connect(srv) for _ in range(300)]
        trickler = None
        try:
            if kind == "slow":
                partial = get("/slow-client")[:-2]

                def trickle() -> None:
                    # one byte to every connection, then pause; never finish a head
                    for pos in range(len(partial)):
                        for s in socks:
                            if stop.is_set():
                                return
                            try:
                                s.send(partial[pos:pos + 1])
                            except OSError:
                                pass
                        one_pass.set()
                        stop.wait(0.05)

                trickler = threading.Thread(target=trickle, daemon=True)
                trickler.start()
                # every connection has begun its head
                assert one_pass.wait(10)
            start = time.monotonic()
            with connect(srv, timeout=5) as s:
                s.sendall(get("/fresh"))
                status, _, body = ResponseReader(s).read_response()
            elapsed = time.monotonic() - start
            assert status == 200 and body.startswith(b"GET /fresh")
            # not held up by the 300 others (keep-alive and read timeout are 10 s or more)
            assert elapsed < 5.0, elapsed
        finally:
            stop.set()
            if trickler:
                trickler.join(5)
            for s in socks:
                s.close()


def test_threads_serve_requests_concurrently():
    with run_server(APP, "-k", "gthread", "--threads", "4") as srv:
        out: list[bytes] = []

        def client() -> None:
            with connect(srv) as s:
                s.sendall(get("/slow?1.5"))
                out.append(ResponseReader(s).read_response()[2])

        start = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert len(out) == 4
        # one after another would take 6 s
        assert time.monotonic() - start < 4.5
        assert len({b.split(b" in ")[1] for b in out}) == 4


def test_bad_request_gets_400_and_worker_survives():
    with run_server(APP, "-k", "gthread") as srv:
        pid_before = srv.worker_pids()
        with connect(srv) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
            status, headers, _ = ResponseReader(s).read_response()
            assert status == 400
        with connect(srv) as s:
            s.sendall(get("/ok"))
            assert ResponseReader(s).read_response()[0] == 200
        assert srv.worker_pids() == pid_before


@pytest.mark.parametrize("worker", ["sync", "gthread"])
@pytest.mark.parametrize("half_close", [False, True])
def test_over_limit_partial_head_is_answered(worker, half_close):
    """Limits apply as bytes arrive: no terminator is needed for 414/431/400."""
    cases = [
        (b"GET /" + b"a" * 5000, 414),
        (b"GET / HTTP/1.1\r\nX-Big: " + b"z" * 300, 431),
        (b"GET / HTTP/1.1\r\n" + b"X: 1\r\n" * 200, 431),  # over the 1024-byte buffer bound
        (b"GET / HTTP/1.1\r\nHost: x\nX", 400),
    ]
    with run_server(APP, "-k", worker, "--limit-request-field_size", "100",
                    "--limit-request-fields", "10") as srv:
        pid_before = srv.worker_pids()
        for data, code in cases:
            with connect(srv, timeout=5.0) as s:
                s.sendall(data)
                if half_close:
                    s.shutdown(socket.SHUT_WR)
                status, headers, _ = ResponseReader(s).read_response()
                assert status == code, (data[:40], status)
                assert headers["connection"].lower() == "close"
        with connect(srv) as s:
            s.sendall(get("/ok"))
            assert ResponseReader(s).read_response()[0] == 200
        assert srv.worker_pids() == pid_before


def test_partial_head_then_eof_closes_quietly():
    with run_server(APP, "-k", "gthread") as srv:
        with connect(srv) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            s.shutdown(socket.SHUT_WR)
            assert s.recv(100) == b""
        with connect(srv) as s:
            s.sendall(get("/ok"))
            assert ResponseReader(s).read_response()[0] == 200
        assert "Traceback" not in srv.output()


def test_app_error_gives_500_and_connection_closed():
    with run_server(APP, "-k", "gthread") as srv:
        with connect(srv) as s:
            s.sendall(get("/boom"))
            r = ResponseReader(s)
            assert r.read_response()[0] == 500
            assert r.is_closed(2.0)
        srv.wait_for_output(r"Error handling request")


def test_max_requests_restarts_worker():
    with run_server(APP, "-k", "gthread", "--max-requests", "5") as srv:
        first = srv.wait_workers(1)
        for _ in range(6):
            with connect(srv) as s:
                s.sendall(get("/", extra="Connection: close\r\n"))
                ResponseReader(s).read_response()
        srv.wait_for_output(r"Autorestarting worker after current request")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pids = srv.worker_pids()
            if pids and pids != first:
                break
            time.sleep(0.1)
        assert srv.worker_pids() != first


def test_graceful_term_finishes_inflight_and_idle_does_not_hold_up():
    with run_server(APP, "-k", "gthread", "--threads", "2", "--graceful-timeout", "10",
                    "--keep-alive", "30", "--log-level", "debug") as srv:
        idle = connect(srv)
        idle.sendall(get("/idle"))
        ResponseReader(idle).read_response()
        busy = connect(srv)
        busy.sendall(get("/slow?1.5"))
        srv.wait_for_output(r"\] GET /slow")  # in flight (pre_request debug line)
        start = time.monotonic()
        srv.signal(signal.SIGTERM)
        status, _, body = ResponseReader(busy).read_response()
        assert status == 200 and body.startswith(b"slept 1.5")
        assert srv.proc.wait(10) == 0
        # exit after the in-flight request and the 2 s stop linger, not after
        # the 30 s keep-alive or the 10 s graceful timeout
        assert time.monotonic() - start < 8.0
        assert ResponseReader(idle).is_closed(1.0)
        idle.close()
        busy.close()


def _alive(pid: int) -> bool:
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", ["KILL", "TERM"])
def test_worker_does_not_outlive_master(sig):
    """Parent death (SIGKILL: the PDEATHSIG SIGTERM) or a master TERM: the
    busy gthread worker drains within graceful_timeout and exits."""
    with run_server(APP, "-k", "gthread", "--graceful-timeout", "1", "--log-level", "debug") as srv:
        (worker,) = srv.wait_workers(1)
        s = connect(srv)
        try:
            s.sendall(get("/slow?30"))
            srv.wait_for_output(r"\] GET /slow")  # in flight (pre_request debug line)
            srv.signal(getattr(signal, "SIG" + sig))
            srv.proc.wait(10)
            gone_at = time.monotonic()
            deadline = gone_at + 5
            while _alive(worker) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert not _alive(worker)
            # graceful_timeout (1 s) plus margin for a loaded host; the request takes 30 s
            assert time.monotonic() - gone_at < 5.0
        finally:
            s.close()


def test_graceful_timeout_bounds_the_drain():
    with run_server(APP, "-k", "gthread", "--graceful-timeout", "1", "--log-level", "debug") as srv:
        busy = connect(srv)
        busy.sendall(get("/slow?20"))
        srv.wait_for_output(r"\] GET /slow")  # in flight (pre_request debug line)
        start = time.monotonic()
        srv.signal(signal.SIGTERM)
        srv.proc.wait(15)
        # graceful_timeout is 1 s, the request 20 s
        assert time.monotonic() - start < 10.0
        busy.close()


def test_heartbeat_continues_during_long_request():
    # a request longer than --timeout does not get the worker killed
    with run_server(APP, "-k", "gthread", "--timeout", "2") as srv:
        pids = srv.wait_workers(1)
        with connect(srv) as s:
            s.sendall(get("/slow?3.5"))
            status, _, _ = ResponseReader(s).read_response()
        assert status == 200
        assert srv.worker_pids() == pids
        assert not re.search(r"WORKER TIMEOUT", srv.output())


def test_app_oserror_gives_500():
    with run_server(APP, "-k", "gthread") as srv:
        with connect(srv) as s:
            s.sendall(get("/oserror"))
            assert ResponseReader(s).read_response()[0] == 500
        with connect(srv) as s:
            s.sendall(get("/fine"))
            assert ResponseReader(s).read_response()[0] == 200


def test_thread_pool_override_with_executor():
    with run_server(APP, "-k", "tests.gthread.gthread_apps.ExecutorWorker", "--threads", "3") as srv:
        with connect(srv) as s:
            r = ResponseReader(s)
            for i in range(50):
                s.sendall(get("/e%d" % i))
                assert r.read_response()[2].startswith(b"GET /e%d" % i)


def test_http10_keepalive_and_close():
    with run_server(APP, "-k", "gthread") as srv:
        with connect(srv) as s:
            r = ResponseReader(s)
            s.sendall(b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            assert r.read_response()[0] == 200
            s.sendall(b"GET /b HTTP/1.0\r\n\r\n")
            status, headers, body = r.read_response()
            assert body.startswith(b"GET /b")
            assert r.is_closed(2.0)


def test_unix_socket_listener(tmp_path):
    path = str(tmp_path / "g.sock")
    with run_server(APP, "-k", "gthread", "--bind", "unix:" + path, bind=None) as srv:
        assert srv.urls and "unix:" in srv.urls[0]
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(path)
            r = ResponseReader(s)
            for i in range(3):
                s.sendall(get("/u%d" % i))
                assert r.read_response()[2].startswith(b"GET /u%d" % i)


def test_expect_100_continue_on_keepalive_connection():
    """Each request on a kept-alive connection gets its own 100 Continue (RFC 9110 10.1.1)."""
    with run_server(APP, "-k", "gthread", "--threads", "2", "--keep-alive", "5") as srv:
        with connect(srv) as s:
            r = ResponseReader(s)
            for i in range(3):
                s.sendall(b"POST /e%d HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                          b"Expect: 100-continue\r\n\r\n" % i)
                status, _, _ = r.read_response(head_only=True)
                assert status == 100
                s.sendall(b"hello")
                status, headers, body = r.read_response()
                assert status == 200
                assert headers["connection"] == "keep-alive"
                assert body.startswith(b"POST /e%d  len=5 " % i)
