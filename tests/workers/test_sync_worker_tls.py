"""SyncWorker over TLS: certificates from trustme, https listener URL, handshake errors."""

import socket
import ssl

import pytest
import trustme

from tests.support.client import read_until_close
from tests.support.server import run_server

APP = ("--pythonpath", "tests/workers/apps", "arbiter_testapp:app")


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("arbtls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_and_cert_chain_pem.write_to_path(str(d / "server.pem"))
    ca.cert_pem.write_to_path(str(d / "ca.pem"))
    return d


def test_tls_request(certs):
    pem = str(certs / "server.pem")
    with run_server(*APP, "-w", "1", "--certfile", pem, "--keyfile", pem) as srv:
        assert srv.url.startswith("https://127.0.0.1:")
        ctx = ssl.create_default_context(cafile=str(certs / "ca.pem"))
        with socket.create_connection((srv.host, srv.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(b"GET /env?k=SERVER_SOFTWARE HTTP/1.1\r\nHost: x\r\n\r\n")
                data = read_until_close(s)
        assert data.startswith(b"HTTP/1.1 200 OK")
        assert data.endswith(b"gunicorn/25.0.3")
        # plain HTTP on a TLS port: the worker answers or closes, and keeps serving
        with socket.create_connection((srv.host, srv.port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                s.recv(65536)
            except OSError:
                pass
        with socket.create_connection((srv.host, srv.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                assert s.recv(65536).startswith(b"HTTP/1.0 200")
        assert srv.stop() == 0


def test_missing_certfile_fails_startup(tmp_path):
    from tests.support.server import GunicornServer

    srv = GunicornServer(list(APP) + ["--certfile", str(tmp_path / "none.pem")])
    try:
        code = srv.proc.wait(15)
    finally:
        if srv.proc.poll() is None:
            srv.kill()
    srv._reader.join(2)
    assert code != 0
    assert "none.pem" in srv.output()
