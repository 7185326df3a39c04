"""gunicorn.tls: context building, caching, ALPN (no server process)."""

from __future__ import annotations

import os
import socket
import ssl
import threading

import pytest

from gunicorn import tls
from gunicorn.config import Config
from tests.tls.tls_support import make_tls_files, reissue_server_cert


@pytest.fixture()
def files(tmp_path):
    return make_tls_files(str(tmp_path))


@pytest.fixture(autouse=True)
def fresh_cache():
    tls.invalidate_ssl_context()
    yield
    tls.invalidate_ssl_context()


def make_cfg(files, **settings) -> Config:
    cfg = Config()
    cfg.set("certfile", files.cert_path)
    cfg.set("keyfile", files.key_path)
    for k, v in settings.items():
        cfg.set(k, v)
    return cfg


def test_alpn_empty_unless_h2_configured():
    cfg = Config()
    assert tls._get_alpn_protocols(cfg) == []
    cfg.set("http_protocols", "h1")
    assert tls._get_alpn_protocols(cfg) == []


def test_alpn_maps_in_order(monkeypatch):
    monkeypatch.setattr(tls, "_h2_available", True)
    cfg = Config()
    cfg.set("worker_class", "gthread")  # sync never offers h2
    cfg.set("http_protocols", "h2,h1")
    assert tls._get_alpn_protocols(cfg) == ["h2", "http/1.1"]
    cfg.set("http_protocols", "h1,h2")
    assert tls._get_alpn_protocols(cfg) == ["http/1.1", "h2"]


def test_alpn_empty_without_h2_package(monkeypatch):
    cfg = Config()
    cfg.set("http_protocols", "h2,h1")
    monkeypatch.setattr(tls, "_h2_available", False)
    assert tls._get_alpn_protocols(cfg) == []


def test_context_settings(files):
    cfg = make_cfg(files, cert_reqs=ssl.CERT_REQUIRED, ca_certs=files.ca_path,
                   ciphers="ECDHE+AESGCM")
    ctx = tls.ssl_context(cfg)
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    names = {c["name"] for c in ctx.get_ciphers()}
    assert names and all("GCM" in n or n.startswith("TLS_") for n in names)


def test_context_is_cached_and_rebuilt_on_file_change(files, monkeypatch):
    cfg = make_cfg(files)
    first = tls.ssl_context(cfg)
    assert tls.ssl_context(cfg) is first
    reissue_server_cert(files)
    # stat() happens at most once per recheck interval
    monkeypatch.setattr(tls, "_RECHECK_INTERVAL", 0.0)
    second = tls.ssl_context(cfg)
    assert second is not first
    assert tls.ssl_context(cfg) is second


def test_invalidate_forces_rebuild(files):
    cfg = make_cfg(files)
    first = tls.ssl_context(cfg)
    tls.invalidate_ssl_context()
    assert tls.ssl_context(cfg) is not first


def test_ssl_context_hook_can_replace_context(files):
    seen = []

    def hook(conf, factory):
        ctx = factory()
        seen.append(conf)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        return ctx

    cfg = make_cfg(files)
    cfg.set("ssl_context", hook)
    ctx = tls.ssl_context(cfg)
    assert seen == [cfg]
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_3


def test_wrap_socket_handshake_and_alpn(files, monkeypatch):
    monkeypatch.setattr(tls, "_h2_available", True)
    cfg = make_cfg(files, http_protocols="h2,h1", worker_class="gthread")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    result = {}

    def serve():
        conn, _ = listener.accept()
        s = tls.ssl_wrap_socket(conn, cfg)
        assert s.do_handshake_on_connect is False
        s.do_handshake()
        result["proto"] = tls.get_negotiated_protocol(s)
        result["h2"] = tls.is_http2_negotiated(s)
        s.sendall(b"ok")
        s.close()

    t = threading.Thread(target=serve)
    t.start()
    ctx = files.client_context(alpn=["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as c:
            assert c.recv(2) == b"ok"
    t.join(5)
    listener.close()
    assert result == {"proto": "h2", "h2": True}


def test_negotiated_protocol_on_plain_socket_is_none():
    a, b = socket.socketpair()
    try:
        assert tls.get_negotiated_protocol(a) is None
        assert tls.is_http2_negotiated(a) is False
    finally:
        a.close()
        b.close()


def test_context_rebuilt_after_fork(files):
    cfg = make_cfg(files)
    parent_ctx = tls.ssl_context(cfg)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            ok = tls.ssl_context(cfg) is not parent_ctx
            os.write(w, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(r, 1) == b"1"
    os.close(r)
    os.close(w)


def test_missing_certificate_raises(tmp_path):
    cfg = Config()
    cfg.set("certfile", str(tmp_path / "nope.pem"))
    cfg.set("keyfile", str(tmp_path / "nope.key"))
    with pytest.raises(OSError):
        tls.ssl_context(cfg)


def test_sock_reexports_tls_helpers():
    from gunicorn import sock

    assert sock.ssl_context is tls.ssl_context or callable(sock.ssl_context)
    assert callable(sock.ssl_wrap_socket)
    assert callable(sock.get_negotiated_protocol)
    assert callable(sock.is_http2_negotiated)


def test_half_written_certificate_keeps_old_context(files, monkeypatch):
    cfg = make_cfg(files)
    first = tls.ssl_context(cfg)
    with open(files.cert_path, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\ntruncated")
    monkeypatch.setattr(tls, "_RECHECK_INTERVAL", 0.0)
    assert tls.ssl_context(cfg) is first
    reissue_server_cert(files)
    assert tls.ssl_context(cfg) is not first


def test_alpn_never_offers_h3():
    from types import SimpleNamespace

    from gunicorn import tls

    assert "h3" not in tls.ALPN_PROTOCOL_MAP
    conf = SimpleNamespace(http_protocols=["h3", "h2", "h1"])
    offered = tls._get_alpn_protocols(conf)
    assert "h3" not in offered
    if offered:  # h2 stack installed
        assert offered == ["h2", "http/1.1"]
