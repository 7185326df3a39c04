"""Logging through a real server process: access lines, error log file, USR1, statsd."""

from __future__ import annotations

import base64
import http.client
import os
import re
import signal
import socket
import time
from pathlib import Path

import pytest

from tests.support.server import run_server

APP = "examples.hello:app"  # 200, "Hello, World!\n" (14 bytes)
WORKERS = ["sync", "gthread"]


def get(srv: object, target: str, headers: dict[str, str] | None = None) -> int:
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=10)  # type: ignore[attr-defined]
    try:
        conn.request("GET", target, headers=headers or {})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def wait_for_file_text(path: Path, pattern: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if re.search(pattern, text):
            return text
        time.sleep(0.05)
    raise AssertionError("%r not found in %s:\n%s" % (pattern, path, text))


@pytest.mark.parametrize("worker", WORKERS)
def test_access_log_stdout_default_format(worker: str) -> None:
    with run_server("--access-logfile", "-", "--worker-class", worker, APP) as srv:
        status = get(srv, "/some/path?x=1&y=%22q%22",
                     {"User-Agent": 'curl/8 "quoted"', "Referer": "http://ref.example/"})
        assert status == 200
        m = srv.wait_for_output(r'127\.0\.0\.1 - - \[(?P<t>[^\]]+)\] '
                                r'"GET /some/path\?x=1&y=%22q%22 HTTP/1\.1" 200 14 '
                                r'"http://ref\.example/" "curl/8 \\"quoted\\""')
        assert re.fullmatch(r"\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}", m.group("t"))


@pytest.mark.parametrize("worker", WORKERS)
def test_custom_access_log_format(worker: str) -> None:
    fmt = ("%(m)s|%(U)s|%(q)s|%(H)s|%(s)s|%(b)s|%(B)s|%(u)s|%({x-request-id}i)s|"
           "%({content-type}o)s|%({REMOTE_ADDR}e)s|%(p)s|%(T)s|%(M)s|%(D)s|%(L)s|%(missing)s")
    auth = "Basic " + base64.b64encode(b"alice:secret").decode()
    with run_server("--access-logfile", "-", "--access-logformat", fmt,
                    "--worker-class", worker, APP) as srv:
        assert get(srv, "/fmt?k=v", {"X-Request-Id": "req-42", "Authorization": auth}) == 200
        m = srv.wait_for_output(
            r"GET\|/fmt\|k=v\|HTTP/1\.1\|200\|14\|14\|alice\|req-42\|text/plain\|127\.0\.0\.1\|"
            r"<(\d+)>\|(\d+)\|(\d+)\|(\d+)\|(\d+\.\d{6})\|-")
        worker_pid = int(m.group(1))
        assert worker_pid != srv.pid
        assert int(m.group(2)) == 0 and int(m.group(4)) >= int(m.group(3))


def test_error_logfile_with_debug_level(tmp_path: Path) -> None:
    errlog = tmp_path / "error.log"
    with run_server("--error-logfile", str(errlog), "--log-level", "debug", APP,
                    wait_ready=False) as srv:
        text = wait_for_file_text(errlog, r"Booting worker with pid")
        m = re.search(r"Listening at: http://127\.0\.0\.1:(\d+) \((\d+)\)", text)
        assert m is not None and int(m.group(2)) == srv.pid
        line = re.compile(r"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}\] \[(\d+)\] "
                          r"\[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\] ", re.M)
        levels = {lvl for _, lvl in line.findall(text)}
        assert {"DEBUG", "INFO"} <= levels
        assert "[INFO] Starting gunicorn 25.0.3" in text
        assert "[INFO] Using worker: sync" in text
        assert "[DEBUG] Current configuration:" in text
        srv.stop()
        assert "Shutting down" in errlog.read_text()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_log_level_warning_hides_info(tmp_path: Path) -> None:
    # No "Listening at" line at this level, so bind a known port.
    errlog = tmp_path / "error.log"
    port = free_port()
    with run_server("--error-logfile", str(errlog), "--log-level", "warning", APP,
                    bind="127.0.0.1:%d" % port, wait_ready=False) as srv:
        srv.host, srv.port = "127.0.0.1", port
        deadline = time.monotonic() + 15
        while True:
            try:
                assert get(srv, "/") == 200
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        srv.stop()
    text = errlog.read_text()
    assert "[INFO]" not in text and "Starting gunicorn" not in text


@pytest.mark.parametrize("worker", WORKERS)
def test_usr1_reopens_rotated_access_log(tmp_path: Path, worker: str) -> None:
    access = tmp_path / "access.log"
    with run_server("--access-logfile", str(access), "--access-logformat", "%(U)s",
                    "--workers", "2", "--worker-class", worker, APP) as srv:
        srv.wait_workers(2)
        assert get(srv, "/before") == 200
        wait_for_file_text(access, r"/before")
        rotated = tmp_path / "access.log.1"
        os.rename(access, rotated)
        assert get(srv, "/still-old") == 200
        wait_for_file_text(rotated, r"/still-old")
        srv.signal(signal.SIGUSR1)
        srv.wait_for_output(r"Handling signal: usr1")
        # the master forwards USR1 to both workers; requests land on either, so keep
        # asking until four of them reached the reopened file
        deadline = time.monotonic() + 20
        while not (access.exists() and access.read_text().count("/after") >= 4):
            assert time.monotonic() < deadline, "no reopened access log after USR1"
            assert get(srv, "/after") == 200
            time.sleep(0.05)
        new_text = access.read_text()
        assert "/after" in new_text and "/before" not in new_text
        old_text = rotated.read_text()
        assert "/before" in old_text and "/still-old" in old_text


def test_statsd_metrics_from_server() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(10)
    try:
        with run_server("--statsd-host", "127.0.0.1:%d" % sock.getsockname()[1],
                        "--statsd-prefix", "e2e", APP) as srv:
            assert get(srv, "/metrics") == 200
            seen: list[str] = []
            wanted = ("e2e.gunicorn.request.status.200:", "e2e.gunicorn.workers:")
            deadline = time.monotonic() + 10
            # the arbiter's gauge may come before or after the request metrics
            while time.monotonic() < deadline and not all(
                    any(s.startswith(w) for s in seen) for w in wanted):
                seen.append(sock.recv(1000).decode())
            assert "e2e.gunicorn.requests:1|c|@1.0" in seen
            assert "e2e.gunicorn.request.status.200:1|c|@1.0" in seen
            assert any(re.fullmatch(r"e2e\.gunicorn\.request\.duration:[\d.]+\|ms", s)
                       for s in seen)
            assert any(s.startswith("e2e.gunicorn.workers:1|g") for s in seen)
    finally:
        sock.close()


def test_capture_output_into_error_log(tmp_path: Path) -> None:
    errlog = tmp_path / "error.log"
    with run_server("--error-logfile", str(errlog), "--capture-output",
                    "tests.logging.glogging_print_app:app", wait_ready=False) as srv:
        text = wait_for_file_text(errlog, r"Listening at: http://127\.0\.0\.1:\d+")
        m = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
        assert m is not None
        srv.host, srv.port = "127.0.0.1", int(m.group(1))
        wait_for_file_text(errlog, r"Booting worker")
        assert get(srv, "/captured") == 200
        text = wait_for_file_text(errlog, r"app stderr /captured")
        assert "app stdout /captured" in text
    assert "app stdout" not in srv.output()


def test_hup_does_not_duplicate_access_lines(tmp_path: Path) -> None:
    access = tmp_path / "access.log"
    with run_server("--access-logfile", str(access), "--access-logformat", "%(U)s",
                    APP) as srv:
        old = srv.wait_workers(1)
        srv.signal(signal.SIGHUP)
        srv.wait_for_output(r"Hang up")
        deadline = time.monotonic() + 15
        while True:
            pids = srv.worker_pids()
            if len(pids) == 1 and pids != old:
                break
            assert time.monotonic() < deadline, "no replacement worker after HUP: %r" % pids
            time.sleep(0.05)
        srv.wait_for_output(r"Booting worker with pid: (?!%d)\d+" % old[0])
        assert get(srv, "/after-hup") == 200
        # the single worker logs each request completely before it serves the next one:
        # once the marker's line is written, every copy of the first line is too
        assert get(srv, "/marker") == 200
        text = wait_for_file_text(access, r"/marker")
        assert text.count("/after-hup") == 1, text
        assert text.count("/marker") == 1, text


def test_syslog_from_server() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(10)
    try:
        with run_server("--log-syslog", "--log-syslog-to",
                        "udp://127.0.0.1:%d" % sock.getsockname()[1],
                        "--log-syslog-prefix", "e2e", "--log-syslog-facility", "local0",
                        "--access-logformat", "%(m)s %(U)s", APP) as srv:
            assert get(srv, "/via-syslog") == 200
            seen: list[str] = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not any("/via-syslog" in s for s in seen):
                seen.append(sock.recv(4096).decode().rstrip("\x00"))
        # local0 (16) * 8 + info (6) = 134
        assert "<134>gunicorn.e2e.error: [%d] Starting gunicorn 25.0.3" % srv.pid in seen
        assert any(re.fullmatch(r"<134>gunicorn\.e2e\.access: \[\d+\] GET /via-syslog", s)
                   for s in seen), seen
    finally:
        sock.close()
