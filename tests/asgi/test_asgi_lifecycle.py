"""Lifespan, graceful stop, max_requests and signals of the asgi worker."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx
import pytest

from tests.asgi.asgi_support import asgi_server, connect, recv_until, wait_for
from tests.support.client import parse_response_head, read_until_close


@pytest.mark.parametrize("mode", ["auto", "on"])
def test_lifespan_state_reaches_requests(mode, tmp_path):
    marker = tmp_path / "shutdown"
    with asgi_server("--asgi-lifespan", mode, "--graceful-timeout", "5",
                     env={"ASGI_SHUTDOWN_MARKER": str(marker)}) as srv:
        scope = httpx.get(srv.url + "/scope").json()
        assert scope["state"] == {"started": "yes"}
        srv.signal(signal.SIGTERM)
        assert srv.proc.wait(15) == 0
    # lifespan.shutdown ran when the worker stopped
    assert marker.read_text() == "shutdown"


def test_lifespan_off_gives_no_state():
    with asgi_server("--asgi-lifespan", "off") as srv:
        scope = httpx.get(srv.url + "/scope").json()
        assert scope["state"] is None


def test_lifespan_auto_tolerates_apps_without_it():
    with asgi_server("--asgi-lifespan", "auto", app="asgi_apps:no_lifespan_app") as srv:
        assert httpx.get(srv.url + "/").json() == {"has_state": False}


def test_lifespan_on_startup_failure_is_a_boot_failure():
    with asgi_server("--asgi-lifespan", "on", app="asgi_apps:failing_startup_app",
                     wait_ready=False) as srv:
        assert srv.proc.wait(20) == 3  # the master halts: worker failed to boot
        out = srv.output()
        assert "database unreachable" in out
        assert "Worker failed to boot." in out


def test_lifespan_auto_serves_after_startup_failure():
    with asgi_server("--asgi-lifespan", "auto", app="asgi_apps:failing_startup_app") as srv:
        assert httpx.get(srv.url + "/").text == "served without lifespan"
        srv.wait_for_output(r"ASGI lifespan startup failed .*database unreachable")


def test_graceful_term_finishes_request_in_flight():
    with asgi_server("--graceful-timeout", "10", "--log-level", "debug") as srv:
        result = {}

        def slow():
            result["r"] = httpx.get(srv.url + "/slow?1.5", timeout=15)

        t = threading.Thread(target=slow)
        t.start()
        srv.wait_for_output(r"GET /slow")
        srv.signal(signal.SIGTERM)
        t.join(15)
        assert result["r"].status_code == 200
        assert result["r"].text == "slow done"
        assert result["r"].headers["connection"] == "close"
        assert srv.proc.wait(15) == 0


def _closed_without_answer(s) -> bool:
    s.settimeout(10)
    try:
        return read_until_close(s) == b""
    except ConnectionResetError:
        return True


def test_graceful_timeout_bounds_the_drain():
    with asgi_server("--graceful-timeout", "1", "--log-level", "debug") as srv:
        with connect(srv) as s:
            s.sendall(b"GET /slow?30 HTTP/1.1\r\nHost: a\r\n\r\n")
            srv.wait_for_output(r"GET /slow")
            srv.signal(signal.SIGTERM)
            # the worker gives up on the request after ~1 s and the master exits
            assert srv.proc.wait(15) == 0
            assert _closed_without_answer(s)


def test_quick_exit_on_int():
    with asgi_server("--graceful-timeout", "30", "--log-level", "debug") as srv:
        with connect(srv) as s:
            s.sendall(b"GET /slow?30 HTTP/1.1\r\nHost: a\r\n\r\n")
            srv.wait_for_output(r"GET /slow")
            pid = wait_for(lambda: srv.worker_pids())[0]
            started = time.monotonic()
            os.kill(pid, signal.SIGINT)
            assert _closed_without_answer(s)
            # not the 30 s graceful drain
            assert time.monotonic() - started < 10


def test_max_requests_restarts_worker():
    with asgi_server("--max-requests", "2") as srv:
        with connect(srv) as s:
            s.sendall(b"GET /pid HTTP/1.1\r\nHost: a\r\n\r\n")
            first = recv_until(s, b"\r\n\r\n")
            _, _, headers, body = parse_response_head(first)
            length = int(dict((k.lower(), v) for k, v in headers)["content-length"])
            while len(body) < length:
                body += s.recv(100)
            pid1 = body.decode()
            s.sendall(b"GET /pid HTTP/1.1\r\nHost: a\r\n\r\n")
            data = read_until_close(s)
        _, _, headers, body = parse_response_head(data)
        # the second request used up the budget: Connection: close, same worker
        assert ("Connection", "close") in headers
        assert body.decode() == pid1
        srv.wait_for_output(r"Autorestarting worker after current request.")

        def new_pid():
            try:
                pid = httpx.get(srv.url + "/pid", timeout=2).text
            except httpx.HTTPError:
                return None
            return pid if pid != pid1 else None
        assert wait_for(new_pid, timeout=15)


@pytest.mark.parametrize("grace", ["0", "1"])
def test_task_cancelled_after_disconnect_grace_period(grace):
    with asgi_server("--asgi-disconnect-grace-period", grace, "--log-level", "debug") as srv:
        s = connect(srv)
        s.sendall(b"GET /slow?30 HTTP/1.1\r\nHost: a\r\n\r\n")
        srv.wait_for_output(r"GET /slow")
        lost_at = time.monotonic()
        s.close()
        srv.wait_for_output(r"ASGI task cancelled after the client .* went away")
        waited = time.monotonic() - lost_at
        assert waited < 10
        if grace == "1":
            assert waited >= 0.9


def test_hooks_and_access_log_atoms(tmp_path):
    conf = tmp_path / "hooks.conf.py"
    conf.write_text(
        "def pre_request(worker, req):\n"
        "    print('PRE %s %s' % (req.method, req.path), flush=True)\n"
        "def post_request(worker, req, environ, resp):\n"
        "    print('POST %s %s %s' % (req.path, resp.status, environ['REQUEST_METHOD']),"
        " flush=True)\n")
    fmt = ('%(h)s|%(m)s|%(U)s|%(q)s|%(H)s|%(s)s|%(b)s|%({x-custom}i)s|'
           '%({content-type}o)s|%(r)s|%(u)s')
    with asgi_server("--config", str(conf), "--access-logfile", "-",
                     "--access-logformat", fmt) as srv:
        r = httpx.get(srv.url + "/atoms?k=v", headers={"X-Custom": "c1"}, auth=("alice", "pw"))
        assert r.status_code == 200
        srv.wait_for_output(r"PRE GET /atoms")
        srv.wait_for_output(r"POST /atoms 200 GET")
        srv.wait_for_output(
            r"127\.0\.0\.1\|GET\|/atoms\|k=v\|HTTP/1\.1\|200\|12\|c1\|text/plain\|"
            r"GET /atoms\?k=v HTTP/1\.1\|alice")
