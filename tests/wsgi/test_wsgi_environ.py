"""Unit tests of environ building (gunicorn.http.wsgi.create and helpers)."""

from __future__ import annotations

import io
import logging
import socket
from unittest import mock

import pytest

from gunicorn import SERVER_SOFTWARE
from gunicorn.http.errors import ConfigurationProblem
from gunicorn.http.wsgi import (
    FileWrapper,
    WSGIErrorsWrapper,
    base_environ,
    create,
    default_environ,
    proxy_environ,
)
from tests.wsgi.wsgi_helpers import FakeConfig, FakeRequest

PEER = ("127.0.0.1", 54321)
LISTENER = ("127.0.0.1", 8000)


def make(req=None, client=PEER, server=LISTENER, cfg=None, sock=None):
    req = req or FakeRequest()
    sock = sock or mock.MagicMock()
    return create(req, sock, client, server, cfg or FakeConfig())


def test_base_environ_keys():
    env = base_environ(FakeConfig())
    assert env["wsgi.version"] == (1, 0)
    assert env["wsgi.multithread"] is False
    assert env["wsgi.multiprocess"] is False
    assert env["wsgi.run_once"] is False
    assert env["wsgi.file_wrapper"] is FileWrapper
    assert env["wsgi.input_terminated"] is True
    assert isinstance(env["wsgi.errors"], WSGIErrorsWrapper)
    assert env["SERVER_SOFTWARE"] == SERVER_SOFTWARE == "gunicorn/25.0.3"


def test_base_environ_multiprocess_and_fresh_dicts():
    cfg = FakeConfig(workers=4)
    first = base_environ(cfg)
    assert first["wsgi.multiprocess"] is True
    first["mutated"] = True
    second = base_environ(cfg)
    assert "mutated" not in second
    cfg.workers = 1
    assert base_environ(cfg)["wsgi.multiprocess"] is False


def test_default_environ():
    sock = mock.MagicMock()
    req = FakeRequest(method="POST", uri="/a/b?x=1&y=2", version=(1, 0))
    env = default_environ(req, sock, FakeConfig())
    assert env["REQUEST_METHOD"] == "POST"
    assert env["QUERY_STRING"] == "x=1&y=2"
    assert env["RAW_URI"] == "/a/b?x=1&y=2"
    assert env["SERVER_PROTOCOL"] == "HTTP/1.0"
    assert env["wsgi.input"] is req.body
    assert env["gunicorn.socket"] is sock


def test_create_full_environ():
    req = FakeRequest(
        method="GET",
        uri="/p%20q?a=b",
        headers=[
            ("HOST", "example.com:8080"),
            ("CONTENT-TYPE", "text/plain"),
            ("CONTENT-LENGTH", "0"),
            ("X-FORWARDED-FOR", "1.2.3.4"),
            ("ACCEPT", "a/b"),
            ("ACCEPT", "c/d"),
            ("ACCEPT", "e/f"),
        ],
    )
    resp, env = make(req)
    assert env["CONTENT_TYPE"] == "text/plain"
    assert env["CONTENT_LENGTH"] == "0"
    assert "HTTP_CONTENT_TYPE" not in env and "HTTP_CONTENT_LENGTH" not in env
    assert env["HTTP_HOST"] == "example.com:8080"
    assert env["HTTP_X_FORWARDED_FOR"] == "1.2.3.4"
    assert env["HTTP_ACCEPT"] == "a/b,c/d,e/f"
    assert env["wsgi.url_scheme"] == "http"
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["REMOTE_PORT"] == "54321"
    assert env["SERVER_NAME"] == "127.0.0.1"
    assert env["SERVER_PORT"] == "8000"
    assert env["SCRIPT_NAME"] == ""
    assert env["PATH_INFO"] == "/p q"
    assert env["QUERY_STRING"] == "a=b"
    assert callable(env["wsgi.early_hints"])
    assert resp.req is req
    # every PEP 3333 required key is a str where it must be
    for key in ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_NAME",
                "SERVER_PORT", "SERVER_PROTOCOL"):
        assert isinstance(env[key], str), key


def test_https_scheme():
    _, env = make(FakeRequest(scheme="https"))
    assert env["wsgi.url_scheme"] == "https"


def test_path_info_percent_decoded_to_latin1():
    _, env = make(FakeRequest(uri="/caf%C3%A9/a%2Fb"))
    assert env["PATH_INFO"] == "/caf\u00c3\u00a9/a/b"
    assert env["RAW_URI"] == "/caf%C3%A9/a%2Fb"
    assert env["PATH_INFO"].encode("latin-1").decode("utf-8") == "/caf\u00e9/a/b"


def test_unix_peer_and_listener_without_host():
    _, env = make(client="", server="/tmp/gunicorn.sock")
    assert env["REMOTE_ADDR"] == ""
    assert "REMOTE_PORT" not in env
    assert env["SERVER_NAME"] == ""
    assert env["SERVER_PORT"] == ""


@pytest.mark.parametrize(
    "host,scheme,name,port",
    [
        ("example.com", "http", "example.com", "80"),
        ("example.com", "https", "example.com", "443"),
        ("example.com:9000", "http", "example.com", "9000"),
        ("[::1]:9000", "http", "[::1]", "9000"),
        ("[::1]", "https", "[::1]", "443"),
    ],
)
def test_unix_listener_uses_host(host, scheme, name, port):
    req = FakeRequest(headers=[("HOST", host)], scheme=scheme)
    _, env = make(req, client="", server="/run/app.sock")
    assert env["SERVER_NAME"] == name
    assert env["SERVER_PORT"] == port


def test_bytes_unix_peer():
    _, env = make(client=b"\x00abstract", server=b"\x00abstract")
    assert env["REMOTE_ADDR"] == "\x00abstract"
    assert "REMOTE_PORT" not in env


def test_ipv6_addresses():
    _, env = make(client=("::1", 5555, 0, 0), server=("::", 8000, 0, 0))
    assert env["REMOTE_ADDR"] == "::1" and env["REMOTE_PORT"] == "5555"
    assert env["SERVER_NAME"] == "::" and env["SERVER_PORT"] == "8000"


def test_server_as_host_port_string():
    _, env = make(server="localhost:8080")
    assert env["SERVER_NAME"] == "localhost" and env["SERVER_PORT"] == "8080"


def test_script_name_from_environment(monkeypatch):
    monkeypatch.setenv("SCRIPT_NAME", "/app")
    _, env = make(FakeRequest(uri="/app/x%41y"))
    assert env["SCRIPT_NAME"] == "/app"
    assert env["PATH_INFO"] == "/xAy"


def test_script_name_mismatch_is_configuration_problem(monkeypatch):
    monkeypatch.setenv("SCRIPT_NAME", "/app")
    with pytest.raises(ConfigurationProblem) as exc_info:
        make(FakeRequest(uri="/other"))
    assert exc_info.value.status_code == 500


def test_script_name_header_overrides_environment(monkeypatch):
    monkeypatch.setenv("SCRIPT_NAME", "/app")
    req = FakeRequest(uri="/mount/here", headers=[("SCRIPT_NAME", "/mount")])
    _, env = make(req)
    assert env["SCRIPT_NAME"] == "/mount"
    assert env["PATH_INFO"] == "/here"
    assert env["HTTP_SCRIPT_NAME"] == "/mount"


def test_proxy_protocol_environ():
    info = {
        "proxy_protocol": "TCP4",
        "client_addr": "192.0.2.1",
        "client_port": 1234,
        "proxy_addr": "198.51.100.2",
        "proxy_port": 443,
    }
    req = FakeRequest(proxy_protocol_info=info)
    assert proxy_environ(req) == {
        "PROXY_PROTOCOL": "TCP4",
        "REMOTE_ADDR": "192.0.2.1",
        "REMOTE_PORT": "1234",
        "PROXY_ADDR": "198.51.100.2",
        "PROXY_PORT": "443",
    }
    _, env = make(req)
    assert env["REMOTE_ADDR"] == "192.0.2.1" and env["REMOTE_PORT"] == "1234"
    assert env["PROXY_ADDR"] == "198.51.100.2" and env["PROXY_PORT"] == "443"


def test_proxy_protocol_local_keeps_peer():
    info = {"proxy_protocol": "LOCAL", "client_addr": None, "client_port": None,
            "proxy_addr": None, "proxy_port": None}
    _, env = make(FakeRequest(proxy_protocol_info=info))
    assert env["PROXY_PROTOCOL"] == "LOCAL"
    assert env["REMOTE_ADDR"] == "127.0.0.1" and env["REMOTE_PORT"] == "54321"
    assert "PROXY_ADDR" not in env


def test_no_proxy_protocol():
    assert proxy_environ(FakeRequest()) == {}
    _, env = make()
    assert "PROXY_PROTOCOL" not in env


def test_errors_wrapper_writes_to_stderr(capsys):
    env = base_environ(FakeConfig())
    env["wsgi.errors"].write("oops\n")
    env["wsgi.errors"].writelines(["a", "b\n"])
    env["wsgi.errors"].flush()
    assert capsys.readouterr().err == "oops\nab\n"


def test_errors_wrapper_uses_log_handlers(tmp_path):
    stream = io.StringIO()
    logger = logging.getLogger("gunicorn.error")
    handler = logging.StreamHandler(stream)
    old = logger.handlers[:]
    logger.handlers = [handler]
    try:
        wrapper = WSGIErrorsWrapper(FakeConfig(errorlog=str(tmp_path / "err.log")))
        assert wrapper.streams == [stream]
        wrapper.write("to the log\n")
    finally:
        logger.handlers = old
    assert stream.getvalue() == "to the log\n"


# ---------------------------------------------------------------- 100-continue


def test_expect_continue_sent_on_first_read():
    a, b = socket.socketpair()
    with a, b:
        req = FakeRequest(method="POST", headers=[("CONTENT-LENGTH", "5")], body=b"hello", expect_continue=True)
        resp, env = create(req, a, PEER, LISTENER, FakeConfig())
        b.setblocking(False)
        with pytest.raises(BlockingIOError):
            b.recv(100)  # nothing before the application reads
        assert env["wsgi.input"].read() == b"hello"
        assert b.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        assert env["wsgi.input"].read(10) == b""
        with pytest.raises(BlockingIOError):
            b.recv(100)  # only once
        resp.start_response("200 OK", [("Content-Length", "0")])
        resp.close()
        assert not resp.should_close()
        assert b.recv(1000).startswith(b"HTTP/1.1 200 OK\r\n")


def test_expect_continue_not_sent_after_final_response():
    a, b = socket.socketpair()
    with a, b:
        req = FakeRequest(method="POST", headers=[("CONTENT-LENGTH", "5")], body=b"hello", expect_continue=True)
        resp, env = create(req, a, PEER, LISTENER, FakeConfig())
        resp.start_response("401 Unauthorized", [("Content-Length", "0")])
        resp.close()
        data = b.recv(1000)
        assert data.startswith(b"HTTP/1.1 401 Unauthorized\r\n")
        assert b"Connection: close\r\n" in data
        assert resp.should_close()
        # a late read never produces a 100 after the final response
        env["wsgi.input"].read()
        b.setblocking(False)
        with pytest.raises(BlockingIOError):
            b.recv(100)


def test_expect_continue_with_empty_body_needs_nothing():
    req = FakeRequest(method="POST", headers=[("CONTENT-LENGTH", "0")], expect_continue=True)
    sock = mock.MagicMock()
    resp, env = make(req, sock=sock)
    assert not sock.sendall.called
    resp.start_response("200 OK", [("Content-Length", "0")])
    assert not resp.should_close()


def test_expect_continue_sent_at_once_without_reader():
    req = FakeRequest(method="POST", expect_continue=True)
    req.body = io.BytesIO(b"abc")  # no .reader attribute to wrap
    sock = mock.MagicMock()
    make(req, sock=sock)
    sock.sendall.assert_called_once_with(b"HTTP/1.1 100 Continue\r\n\r\n")


def test_base_environ_of_a_config_follows_set():
    from gunicorn.config import Config

    cfg = Config()
    assert base_environ(cfg)["wsgi.multiprocess"] is False
    first = base_environ(cfg)
    first["mutated"] = True
    assert "mutated" not in base_environ(cfg)
    cfg.set("workers", 3)
    assert base_environ(cfg)["wsgi.multiprocess"] is True


def test_script_name_environment_read_per_request(monkeypatch):
    monkeypatch.delenv("SCRIPT_NAME", raising=False)
    _, env = make(FakeRequest(uri="/app/x"))
    assert env["SCRIPT_NAME"] == "" and env["PATH_INFO"] == "/app/x"
    monkeypatch.setenv("SCRIPT_NAME", "/app")
    _, env = make(FakeRequest(uri="/app/x"))
    assert env["SCRIPT_NAME"] == "/app" and env["PATH_INFO"] == "/x"
    monkeypatch.delenv("SCRIPT_NAME")
    _, env = make(FakeRequest(uri="/app/x"))
    assert env["SCRIPT_NAME"] == ""
