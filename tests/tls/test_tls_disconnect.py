"""A client that goes away while its response is being written is a quiet
disconnect (one debug line), on every worker, over TLS and plain TCP.

Over TLS the write then fails with ``ssl.SSLEOFError`` (the peer closed the
transport without close_notify, RFC 8446 section 6.1), which used to be
logged as an error with a traceback.
"""

from __future__ import annotations

import re
import socket

import pytest

from tests.support.server import run_server
from tests.tls.tls_support import make_tls_files

APP = "tests.gthread.gthread_apps:app"
WORKERS = ["sync", "gthread"]
# what a quiet disconnect logs (gunicorn.workers.netio.disconnect_reason)
QUIET = r"\[DEBUG\] (ssl connection closed|Ignoring connection error|Socket timeout)"


@pytest.fixture()
def files(tmp_path):
    return make_tls_files(str(tmp_path))


def _connect(srv, ctx):
    raw = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    if ctx is None:
        return raw
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def _read_response(sock) -> bytes:
    """Read one Content-Length response (head and body) from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk
        body += chunk
    return head + b"\r\n\r\n" + body


@pytest.mark.parametrize("use_tls", [True, False], ids=["tls", "plain"])
@pytest.mark.parametrize("worker", WORKERS)
def test_client_gone_mid_response_is_quiet(files, worker, use_tls):
    args = ["-k", worker, "--log-level", "debug"]
    if use_tls:
        args += ["--certfile", files.cert_path, "--keyfile", files.key_path]
    ctx = files.client_context() if use_tls else None
    with run_server(APP, *args) as srv:
        pids = srv.wait_workers(1)
        start = len(srv.output())
        s = _connect(srv, ctx)
        try:
            # 32 MiB: far more than the socket buffers hold, so the worker
            # is still writing when the connection goes
            s.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            first = s.recv(65536)
            assert first.startswith(b"HTTP/1.1 200")
        finally:
            # a plain close: Python sends no close_notify (only unwrap() does),
            # and with unread data queued the kernel resets the connection
            s.close()
        # the worker's verdict on the failed write: quiet, or (the fault) an error
        srv.wait_for_output(QUIET + r"|\[ERROR\]", timeout=20, start=start)
        # the worker is unharmed and keeps serving
        with _connect(srv, ctx) as again:
            again.sendall(b"GET /big?1000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            reply = _read_response(again)
        assert reply.startswith(b"HTTP/1.1 200")
        assert reply.endswith(b"x" * 1000)
        assert srv.worker_pids() == pids
        log = srv.output()[start:]
        assert "Traceback" not in log, log
        assert "[ERROR]" not in log, log
        assert re.search(QUIET, log), log
