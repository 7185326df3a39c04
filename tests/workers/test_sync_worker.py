"""SyncWorker behaviour against a real server: errors, limits, Connection: close."""

import os
import socket
import time

import pytest

from tests.support.client import parse_response_head, raw_request, read_until_close
from tests.support.server import run_server

APP = ("--pythonpath", "tests/workers/apps", "arbiter_testapp:app")


def req(srv, target="/", extra=b""):
    data = raw_request(srv.host, srv.port,
                       b"GET " + target.encode() + b" HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n")
    return parse_response_head(data)


def header(headers, name):
    for k, v in headers:
        if k.lower() == name.lower():
            return v
    return None


@pytest.fixture(scope="module")
def srv():
    with run_server(*APP, "-w", "1", "--max-requests", "0") as s:
        yield s


def test_connection_close_and_server_header(srv):
    status, _, headers, body = req(srv)
    assert status == 200 and body == b"ok"
    assert header(headers, "Connection") == "close"
    assert header(headers, "Server") == "gunicorn"


def test_keepalive_request_still_closed(srv):
    data = raw_request(srv.host, srv.port,
                       b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /pid HTTP/1.1\r\nHost: x\r\n\r\n")
    assert data.count(b"HTTP/1.1 200") == 1


def test_app_exception_is_500_and_worker_keeps_serving(srv):
    pid = req(srv, "/pid")[3]
    status, reason, _, body = req(srv, "/error")
    assert status == 500 and reason == "Internal Server Error"
    assert b"boom-secret-detail" not in body
    assert req(srv, "/pid")[3] == pid
    srv.wait_for_output(r"Error handling request /error")
    assert "RuntimeError: boom-secret-detail" in srv.output()


def test_exception_after_headers_closes_connection(srv):
    pid = req(srv, "/pid")[3]
    data = raw_request(srv.host, srv.port, b"GET /partial HTTP/1.1\r\nHost: x\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert req(srv, "/pid")[3] == pid


def test_malformed_request_gets_400_then_next_connection_served(srv):
    pid = req(srv, "/pid")[3]
    data = raw_request(srv.host, srv.port, b"GARBAGE\r\n\r\n")
    status, _, headers, _ = parse_response_head(data)
    assert status == 400
    assert header(headers, "Connection") == "close"
    srv.wait_for_output(r"Invalid request from ip=127\.0\.0\.1")
    assert req(srv, "/pid")[3] == pid


def test_header_limit_gets_431(srv):
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
    status = req(srv, "/", many)[0]
    assert status == 431


def test_client_disconnect_is_harmless(srv):
    pid = req(srv, "/pid")[3]
    with socket.create_connection((srv.host, srv.port)) as s:
        s.sendall(b"GET / HTTP/1.1\r\n")
    with socket.create_connection((srv.host, srv.port)):
        pass
    assert req(srv, "/pid")[3] == pid


def test_expect_100_continue():
    # an application that reads the body: the server sends 100 Continue, then waits for it
    with run_server("--chdir", "examples", "echo:app", "-w", "1") as echo, \
            socket.create_connection((echo.host, echo.port), timeout=10) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        interim = b""
        while b"\r\n\r\n" not in interim:
            chunk = s.recv(4096)
            assert chunk, "closed before 100 Continue: %r" % interim
            interim += chunk
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"abc")
        data = read_until_close(s)
    status, _, headers, body = parse_response_head(data)
    assert (status, body) == (200, b"abc")
    assert header(headers, "Connection") == "close"


def test_max_requests_restarts_worker():
    with run_server(*APP, "-w", "1", "--max-requests", "3") as srv:
        pids = [req(srv, "/pid")[3] for _ in range(3)]
        assert len(set(pids)) == 1
        srv.wait_for_output(r"Autorestarting worker after current request\.")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if srv.worker_pids() and int(pids[0]) not in srv.worker_pids():
                break
            time.sleep(0.05)
        assert req(srv, "/pid")[3] != pids[0]


def test_several_listeners_served_by_one_worker():
    with run_server(*APP, "-w", "1", "-b", "127.0.0.1:0") as srv:
        ports = [int(u.rsplit(":", 1)[1]) for u in srv.urls]
        assert len(ports) == 2
        for port in ports * 2:
            data = raw_request("127.0.0.1", port, b"GET / HTTP/1.0\r\n\r\n")
            assert data.startswith(b"HTTP/1.0 200") and data.endswith(b"ok")


def test_access_log_line():
    with run_server(*APP, "-w", "1", "--access-logfile", "-") as srv:
        req(srv, "/pid?x=1")
        srv.wait_for_output(r'"GET /pid\?x=1 HTTP/1\.1" 200 \d+')


@pytest.mark.parametrize("engine", ["auto", "poll", "inotify"])
def test_reload_syntax_error_serves_500_then_recovers(tmp_path, engine):
    appfile = tmp_path / "arb_reload_app.py"
    appfile.write_text("def app(e, s):\n    s('200 OK', [('Content-Length', '2')])\n"
                       "    return [b'v1']\n")
    with run_server("--reload", "--reload-engine", engine, "--pythonpath", str(tmp_path),
                    "-w", "1", "arb_reload_app:app") as srv:
        assert req(srv)[3] == b"v1"
        [pid] = srv.wait_workers(1)
        time.sleep(1.1)
        appfile.write_text("def app(e, s)\n    broken\n")
        deadline = time.monotonic() + 10
        status = None
        while time.monotonic() < deadline:
            try:
                status, _, _, body = req(srv)
            except OSError:
                status = None
            if status == 500:
                break
            time.sleep(0.2)
        assert status == 500
        assert b"SyntaxError" in body
        time.sleep(1.1)
        appfile.write_text("def app(e, s):\n    s('200 OK', [('Content-Length', '2')])\n"
                           "    return [b'v2']\n")
        deadline = time.monotonic() + 10
        body = None
        while time.monotonic() < deadline:
            try:
                body = req(srv)[3]
            except OSError:
                body = None
            if body == b"v2":
                break
            time.sleep(0.2)
        assert body == b"v2"
        assert "Worker reloading:" in srv.output()




@pytest.mark.parametrize("engine", ["poll", "inotify"])
def test_reload_extra_file_change_restarts_worker(tmp_path, engine):
    """A change to a --reload-extra-file restarts the worker (globs: see the unit tests;
    the setting's validator still requires existing paths)."""
    extra = tmp_path / "settings.cfg"
    extra.write_text("a")
    with run_server("--reload", "--reload-engine", engine, "--reload-extra-file", str(extra),
                    "-w", "1", *APP) as srv:
        [pid] = srv.wait_workers(1)
        assert req(srv, "/pid")[3] == str(pid).encode()
        deadline = time.monotonic() + 10
        n = 0
        # the poll engine needs one check (1 s) to record the first mtime: touch until seen
        while "Worker reloading: %s modified" % extra not in srv.output():
            assert time.monotonic() < deadline, srv.output()
            n += 1
            extra.write_text("a" * (n + 1))
            os.utime(extra, (time.time() + n, time.time() + n))
            time.sleep(0.3)
        deadline = time.monotonic() + 10
        while not (srv.worker_pids() and pid not in srv.worker_pids()):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert req(srv, "/")[0] == 200
