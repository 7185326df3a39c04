"""Public API of gunicorn.http2 (gunicorn 25 names) and the error classes."""

from __future__ import annotations

import sys

import pytest

import gunicorn.http2 as http2
from gunicorn import config as config_module
from gunicorn import tls
from gunicorn.http2 import errors
from gunicorn.http2.errors import HTTP2ErrorCode as C

CODES = [
    (errors.HTTP2ProtocolError, 0x1),
    (errors.HTTP2InternalError, 0x2),
    (errors.HTTP2FlowControlError, 0x3),
    (errors.HTTP2SettingsTimeout, 0x4),
    (errors.HTTP2StreamClosed, 0x5),
    (errors.HTTP2FrameSizeError, 0x6),
    (errors.HTTP2RefusedStream, 0x7),
    (errors.HTTP2Cancel, 0x8),
    (errors.HTTP2CompressionError, 0x9),
    (errors.HTTP2ConnectError, 0xA),
    (errors.HTTP2EnhanceYourCalm, 0xB),
    (errors.HTTP2InadequateSecurity, 0xC),
    (errors.HTTP2RequiresHTTP11, 0xD),
]


def test_error_code_constants():
    assert C.NO_ERROR == 0x0
    assert C.HTTP_1_1_REQUIRED == 0xD
    assert [c.value for c in C] == list(range(14))


@pytest.mark.parametrize(("cls", "code"), CODES)
def test_error_subclasses_carry_their_code(cls, code):
    exc = cls()
    assert isinstance(exc, errors.HTTP2Error)
    assert exc.error_code == code
    # the message defaults to the class docstring
    assert str(exc) == cls.__doc__.strip().split("\n")[0]
    assert cls("boom").message == "boom"
    assert cls("boom", error_code=0x7).error_code == 0x7
    assert type(errors.error_for_code(code)) is cls


def test_stream_error_and_others():
    exc = errors.HTTP2StreamError(3, "bad thing", 0x8)
    assert str(exc) == "Stream 3: bad thing"
    assert exc.stream_id == 3 and exc.error_code == 0x8
    assert errors.HTTP2StreamError(5).error_code == C.PROTOCOL_ERROR
    assert isinstance(errors.HTTP2ConnectionError(), errors.HTTP2Error)
    assert isinstance(errors.HTTP2ConfigurationError(), errors.HTTP2Error)
    na = errors.HTTP2NotAvailable()
    assert "h2" in str(na)
    assert str(errors.HTTP2NotAvailable("custom")) == "custom"
    unknown = errors.error_for_code(0x99)
    assert type(unknown) is errors.HTTP2Error and unknown.error_code == 0x99


def test_availability_helpers():
    assert http2.H2_MIN_VERSION == (4, 1, 0)
    assert http2.is_http2_available() is True
    import h2

    assert http2.get_h2_version() == h2.__version__


def test_connection_class_getters_return_the_driver_classes():
    from gunicorn.http2.async_connection import AsyncHTTP2Connection
    from gunicorn.http2.connection import HTTP2ServerConnection

    assert http2.get_http2_connection_class() is HTTP2ServerConnection
    assert http2.get_async_http2_connection_class() is AsyncHTTP2Connection


def test_blocking_and_async_drivers_built():
    import socket

    from gunicorn.config import Config

    a, b = socket.socketpair()
    try:
        conn = http2.get_http2_connection_class()(Config(), a, ("127.0.0.1", 1))
        assert conn.streams == {} and not conn.is_closed
    finally:
        a.close()
        b.close()
    import inspect

    # the asyncio driver runs over real sockets in test_http2_async_connection
    assert inspect.iscoroutinefunction(http2.get_async_http2_connection_class().receive_data)


def test_getters_raise_without_h2(monkeypatch):
    monkeypatch.setattr(http2, "_h2_state", (False, None))
    assert http2.is_http2_available() is False
    with pytest.raises(errors.HTTP2NotAvailable):
        http2.get_http2_connection_class()
    with pytest.raises(errors.HTTP2NotAvailable):
        http2.get_async_http2_connection_class()
    monkeypatch.setattr(http2, "_h2_state", (False, "3.2.0"))
    with pytest.raises(errors.HTTP2NotAvailable, match="3.2.0"):
        http2.get_http2_connection_class()


def test_package_import_does_not_import_h2():
    import subprocess

    code = ("import sys, gunicorn.http2, gunicorn.tls, gunicorn.config;"
            "print('h2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_server_not_ready_keeps_alpn_and_warning(monkeypatch, capsys):
    """While no worker serves HTTP/2, ALPN does not offer h2 and startup warns."""
    monkeypatch.setattr(http2, "SERVER_READY", False)
    assert http2.server_ready() is False
    monkeypatch.setattr(tls, "_h2_available", None)
    cfg = config_module.Config()
    cfg.set("http_protocols", "h2,h1")
    assert tls._get_alpn_protocols(cfg) == []
    cfg.validate()
    assert "this release does not serve HTTP/2" in capsys.readouterr().err


def test_server_ready_flag_drives_alpn_and_warning(monkeypatch, capsys):
    monkeypatch.setattr(http2, "SERVER_READY", True)
    monkeypatch.setattr(tls, "_h2_available", None)
    cfg = config_module.Config()
    cfg.set("worker_class", "gthread")
    cfg.set("http_protocols", "h2,h1")
    assert tls._get_alpn_protocols(cfg) == ["h2", "http/1.1"]
    cfg.validate()
    assert "does not serve HTTP/2" not in capsys.readouterr().err
