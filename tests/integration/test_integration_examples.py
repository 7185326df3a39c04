"""The small single-file examples under ``examples/``, each run for real."""

from __future__ import annotations

import hashlib
import os
import sys

import httpx
import pytest

from tests.integration.integration_support import EXAMPLES
from tests.support.client import parse_response_head, raw_request
from tests.support.server import run_server


def test_echo_returns_body():
    blob = os.urandom(300_000)
    with run_server("--chdir", EXAMPLES, "echo:app") as srv:
        resp = httpx.post(srv.url + "/", content=blob, timeout=10,
                          headers={"Content-Type": "application/x-test"})
        assert resp.status_code == 200
        assert resp.headers["content-type"] == "application/x-test"
        assert hashlib.sha256(resp.content).digest() == hashlib.sha256(blob).digest()
        # chunked request body
        resp = httpx.post(srv.url + "/", content=iter([b"abc", b"def"]), timeout=10)
        assert resp.content == b"abcdef"


def test_early_hints_before_final_response():
    with run_server("--chdir", EXAMPLES, "early_hints:app") as srv:
        data = raw_request(srv.host, srv.port,
                           b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 103 Early Hints\r\n"), data[:200]
        hints, _, final = data.partition(b"\r\n\r\n")
        assert b"Link: </style.css>; rel=preload; as=style" in hints
        assert b"Link: </app.js>; rel=preload; as=script" in hints
        status, _, headers, body = parse_response_head(final)
        assert status == 200
        assert b"<h1>Early hints</h1>" in body
        # HTTP/1.0 clients do not understand 1xx: the hints are skipped
        data = raw_request(srv.host, srv.port, b"GET / HTTP/1.0\r\n\r\n")
        assert b" 103 " not in data.split(b"\r\n", 1)[0]
        assert data.split(b"\r\n", 1)[0].endswith(b" 200 OK")


@pytest.mark.parametrize("extra", [[], ["--no-sendfile"]], ids=["sendfile", "no-sendfile"])
def test_sendfile_serves_own_source(extra):
    with open(os.path.join(EXAMPLES, "sendfile.py"), "rb") as f:
        source = f.read()
    with run_server("--chdir", EXAMPLES, *extra, "sendfile:app") as srv:
        resp = httpx.get(srv.url + "/", timeout=10)
        assert resp.status_code == 200
        assert resp.content == source
        assert resp.headers["content-length"] == str(len(source))


def test_timeout_kills_slow_worker():
    with run_server("--chdir", EXAMPLES, "--timeout", "2", "--graceful-timeout", "1",
                    "timeout:app") as srv:
        assert httpx.get(srv.url + "/?sleep=0.1", timeout=10).text == "slept 0.1 seconds\n"
        # the worker is aborted mid-request: the client gets a 500 or a dropped connection
        try:
            status = httpx.get(srv.url + "/?sleep=30", timeout=20).status_code
        except httpx.HTTPError:
            status = None
        assert status in (None, 500)
        srv.wait_for_output(r"WORKER TIMEOUT \(pid:\d+\)", timeout=15)
        # a replacement worker answers again
        srv.wait_for_output(r"(?s)WORKER TIMEOUT.*Booting worker with pid", timeout=15)
        assert httpx.get(srv.url + "/?sleep=0", timeout=10).status_code == 200


def test_boot_fail_stops_the_arbiter():
    with run_server("--chdir", EXAMPLES, "boot_fail:app", wait_ready=False) as srv:
        srv.wait_for_output(r"RuntimeError: boot_fail.py refuses to load", timeout=15)
        srv.wait_for_output(r"Reason: Worker failed to boot", timeout=15)
        assert srv.proc.wait(15) == 3


def test_example_config_hooks_run():
    config = os.path.join(EXAMPLES, "example_config.py")
    with run_server("-c", config, "--workers", "1", "--chdir", EXAMPLES, "hello:app",
                    env={"GUNICORN_WORKERS": "1"}) as srv:
        assert httpx.get(srv.url + "/", timeout=10).status_code == 200
        for line in ("on_starting: master is starting",
                     "when_ready: server is ready",
                     "post_fork: worker spawned",
                     "post_worker_init: worker",
                     "nworkers_changed: None -> 1"):
            srv.wait_for_output(line, timeout=10)
        # the config turns on the access log with a custom format
        srv.wait_for_output(r'"GET / HTTP/1.1" 200 14 .*ms', timeout=10)
        mark = len(srv.output())
        srv.stop()
        tail = srv.output()[mark:]
        assert "worker_exit: worker" in tail
        assert "on_exit: master is exiting" in tail


def test_standalone_application():
    with run_server(bind=None, python=sys.executable,
                    module_args=[os.path.join(EXAMPLES, "standalone_app.py"),
                                 "127.0.0.1:0"]) as srv:
        resp = httpx.get(srv.url + "/some/where", timeout=10)
        assert resp.status_code == 200
        assert resp.text == "You asked for /some/where\n"
        srv.wait_workers(2)
