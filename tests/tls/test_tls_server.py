"""TLS listeners on the sync and gthread workers, with real clients."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time

import httpx
import pytest

from tests.support.client import read_until_close
from tests.support.server import run_server
from tests.tls.tls_support import make_tls_files, pem_to_der, reissue_server_cert

WORKERS = ["sync", "gthread"]
HELLO = "examples.hello:app"
HINTS = "examples.early_hints:app"


@pytest.fixture()
def files(tmp_path):
    return make_tls_files(str(tmp_path))


def tls_args(files, *extra: str) -> list[str]:
    return ["--certfile", files.cert_path, "--keyfile", files.key_path, *extra]


def https_url(srv) -> str:
    return "https://127.0.0.1:%d/" % srv.port


def served_cert(files, port: int) -> bytes:
    ctx = files.client_context()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.getpeercert(binary_form=True)


@pytest.mark.parametrize("worker", WORKERS)
def test_https_with_httpx_and_curl(files, worker):
    with run_server(HELLO, "-k", worker, *tls_args(files)) as srv:
        assert srv.url.startswith("https://")
        r = httpx.get(https_url(srv), verify=files.client_context())
        assert r.status_code == 200 and r.text == "Hello, World!\n"
        with httpx.Client(verify=files.client_context()) as client:
            for _ in range(20):
                assert client.get(https_url(srv)).status_code == 200
        out = subprocess.run(
            ["curl", "-sS", "--cacert", files.ca_path, https_url(srv), https_url(srv)],
            capture_output=True, timeout=20,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout == b"Hello, World!\n" * 2


@pytest.mark.parametrize("worker", WORKERS)
def test_url_scheme_is_https(files, worker):
    with run_server("tests.gthread.gthread_apps:app", "-k", worker, *tls_args(files)) as srv:
        r = httpx.post(https_url(srv) + "x", content=b"abc", verify=files.client_context())
        assert r.status_code == 200 and b"len=3" in r.content


@pytest.mark.parametrize("worker", WORKERS)
def test_client_certificate_required(files, worker):
    args = tls_args(files, "--cert-reqs", "2", "--ca-certs", files.ca_path)
    with run_server(HELLO, "-k", worker, *args) as srv:
        ok = httpx.get(https_url(srv), verify=files.client_context(with_client_cert=True))
        assert ok.status_code == 200
        with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
            httpx.get(https_url(srv), verify=files.client_context())
        # the worker survived the refused handshake
        again = httpx.get(https_url(srv), verify=files.client_context(with_client_cert=True))
        assert again.status_code == 200


@pytest.mark.parametrize("worker", WORKERS)
def test_plain_http_on_tls_port_does_not_kill_worker(files, worker):
    with run_server(HELLO, "-k", worker, *tls_args(files)) as srv:
        pids = srv.wait_workers(1)
        for _ in range(5):
            with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                try:
                    data = s.recv(4096)
                except (ConnectionResetError, TimeoutError):
                    data = b""
                assert not data.startswith(b"HTTP/1.1 200")
        # a client that connects and leaves mid-handshake
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
            s.sendall(b"\x16\x03\x01\x00")
        r = httpx.get(https_url(srv), verify=files.client_context())
        assert r.status_code == 200
        assert srv.worker_pids() == pids


def _eventually_serves(files, port, der, timeout=10.0):
    """Poll until the server presents certificate ``der`` (True) or ``timeout`` s pass."""
    deadline = time.monotonic() + timeout
    while True:
        if served_cert(files, port) == der:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


@pytest.mark.parametrize("worker", WORKERS)
def test_renewed_certificate_served_after_hup(files, worker):
    with run_server(HELLO, "-k", worker, *tls_args(files)) as srv:
        old_pids = srv.wait_workers(1)
        before = served_cert(files, srv.port)
        assert before == pem_to_der(files.cert_path)
        reissue_server_cert(files)
        new_der = pem_to_der(files.cert_path)
        assert new_der != before
        srv.signal(signal.SIGHUP)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            pids = srv.worker_pids()
            if pids and not set(pids) & set(old_pids):
                break
            time.sleep(0.1)
        assert _eventually_serves(files, srv.port, new_der)


def test_renewed_certificate_served_without_restart_on_gthread(files):
    # the per-process context notices changed files by itself (mtime check)
    with run_server(HELLO, "-k", "gthread", *tls_args(files)) as srv:
        pids = srv.wait_workers(1)
        served_cert(files, srv.port)
        time.sleep(0.05)
        reissue_server_cert(files)
        new_der = pem_to_der(files.cert_path)
        # files are checked at most once a second
        assert _eventually_serves(files, srv.port, new_der)
        assert srv.worker_pids() == pids


@pytest.mark.parametrize("worker", WORKERS)
def test_early_hints_over_tls_with_curl(files, worker):
    with run_server(HINTS, "-k", worker, *tls_args(files)) as srv:
        out = subprocess.run(
            ["curl", "-sv", "--http1.1", "--cacert", files.ca_path, https_url(srv)],
            capture_output=True, timeout=20,
        )
        assert out.returncode == 0, out.stderr
        err = out.stderr.decode("latin-1")
        assert "< HTTP/1.1 103" in err
        assert "< HTTP/1.1 200" in err
        assert err.index("< HTTP/1.1 103") < err.index("< HTTP/1.1 200")
        assert b"Early hints" in out.stdout


@pytest.mark.parametrize("worker", WORKERS)
def test_early_hints_raw_socket(worker):
    with run_server(HINTS, "-k", worker) as srv:
        with socket.create_connection((srv.host, srv.port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = read_until_close(s)
        assert data.startswith(b"HTTP/1.1 103 Early Hints\r\n")
        hints, _, rest = data.partition(b"\r\n\r\n")
        assert b"Link: </style.css>; rel=preload; as=style" in hints
        assert b"Link: </app.js>; rel=preload; as=script" in hints
        assert rest.startswith(b"HTTP/1.1 200 OK\r\n")
        # HTTP/1.0 gets no hints
        with socket.create_connection((srv.host, srv.port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            first = s.recv(65536)
        assert first.startswith(b"HTTP/1.0 200")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl missing")
def test_gthread_tls_keepalive_many_requests(files):
    with run_server(HELLO, "-k", "gthread", "--threads", "2", *tls_args(files)) as srv:
        ctx = files.client_context()
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                for _ in range(200):
                    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    data = b""
                    while not data.endswith(b"Hello, World!\n"):
                        chunk = s.recv(4096)
                        assert chunk
                        data += chunk
                    assert data.startswith(b"HTTP/1.1 200")


def test_gthread_stalled_handshakes_do_not_block_others(files):
    with run_server(HELLO, "-k", "gthread", "--threads", "1", *tls_args(files)) as srv:
        stalled = []
        try:
            for i in range(100):
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                if i % 2:
                    s.sendall(b"\x16\x03\x01")  # a ClientHello that never completes
                stalled.append(s)
            time.sleep(0.2)
            start = time.monotonic()
            r = httpx.get(https_url(srv), verify=files.client_context())
            assert r.status_code == 200
            # stalled handshakes wait for the 30 s read timeout: not in the way
            assert time.monotonic() - start < 5.0
        finally:
            for s in stalled:
                s.close()
