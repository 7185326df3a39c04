"""Access-log atoms, escaping, header atoms and when access lines are written."""

from __future__ import annotations

import base64
import datetime
import io
import logging
import os
import re
import types
from typing import Any

import pytest
from glogging_helpers import DEFAULT_ACCESS_FORMAT, stand_in_cfg

from gunicorn.glogging import Logger, SafeAtoms

ALL_SIMPLE = "hlutrsmUqHbBfaTMDLp"


def make_resp(status: Any = "200 OK", sent: Any = 1024, headers: Any = None) -> Any:
    if headers is None:
        headers = [("Content-Type", "text/plain"), ("X-Resp", "out")]
    return types.SimpleNamespace(status=status, sent=sent, headers=headers)


def make_req(headers: Any = None) -> Any:
    if headers is None:
        headers = [("HOST", "example.com"), ("X-FORWARDED-FOR", "10.0.0.1"),
                   ("USER-AGENT", "Moz/1.0")]
    return types.SimpleNamespace(headers=headers)


def make_environ(**extra: Any) -> dict[str, Any]:
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/my/path?foo=bar",
        "PATH_INFO": "/my/path",
        "QUERY_STRING": "foo=bar",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": "Moz/1.0",
        "HTTP_REFERER": "http://ref.example/",
        "HTTP_X_FORWARDED_FOR": "10.0.0.1",
    }
    environ.update(extra)
    return environ


REQUEST_TIME = datetime.timedelta(seconds=2, microseconds=345678)


class Capture(logging.Handler):
    """Keeps every record and its formatted message."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(record.getMessage())


def logger_with_capture(**cfg: Any) -> tuple[Logger, Capture]:
    cfg.setdefault("accesslog", "-")
    log = Logger(stand_in_cfg(**cfg))
    cap = Capture()
    log.access_log.addHandler(cap)
    return log, cap


def access_line(fmt: str, resp: Any = None, req: Any = None, environ: Any = None,
                request_time: datetime.timedelta = REQUEST_TIME, lazy: bool = True) -> str:
    log, cap = logger_with_capture(access_log_format=fmt)
    log._lazy_atoms = lazy
    log.access(resp or make_resp(), make_req() if req is None else req,
               environ or make_environ(), request_time)
    assert len(cap.lines) == 1
    return cap.lines[0]


def test_atoms_table_values() -> None:
    log = Logger(stand_in_cfg())
    environ = make_environ(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"bob:pw").decode())
    atoms = log.atoms(make_resp(), make_req(), environ, REQUEST_TIME)
    assert atoms["h"] == "127.0.0.1"
    assert atoms["l"] == "-"
    assert atoms["u"] == "bob"
    assert re.fullmatch(r"\[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]", atoms["t"])
    assert atoms["r"] == "GET /my/path?foo=bar HTTP/1.1"
    assert atoms["s"] == "200"
    assert atoms["m"] == "GET"
    assert atoms["U"] == "/my/path"
    assert atoms["q"] == "foo=bar"
    assert atoms["H"] == "HTTP/1.1"
    assert atoms["b"] == "1024"
    assert atoms["B"] == 1024
    assert atoms["f"] == "http://ref.example/"
    assert atoms["a"] == "Moz/1.0"
    assert atoms["T"] == 2
    assert atoms["M"] == 2345
    assert atoms["D"] == 2345678
    assert atoms["L"] == "2.345678"
    assert atoms["p"] == "<%d>" % os.getpid()
    assert atoms["{x-forwarded-for}i"] == "10.0.0.1"
    assert atoms["{content-type}o"] == "text/plain"
    assert atoms["{remote_addr}e"] == "127.0.0.1"


def test_default_format_line() -> None:
    line = access_line(DEFAULT_ACCESS_FORMAT)
    expected = re.compile(
        r'127\.0\.0\.1 - - \[[^\]]+\] "GET /my/path\?foo=bar HTTP/1\.1" 200 1024 '
        r'"http://ref\.example/" "Moz/1\.0"$')
    assert expected.match(line), line


@pytest.mark.parametrize("lazy", [True, False])
def test_every_atom_in_one_format(lazy: bool) -> None:
    names = list(ALL_SIMPLE) + ["{X-Forwarded-For}i", "{x-resp}o", "{PATH_INFO}e", "nope"]
    fmt = "|".join("%%(%s)s" % name for name in names)
    values = dict(zip(names, access_line(fmt, lazy=lazy).split("|"), strict=True))
    assert re.fullmatch(r"\[[^\]]+ [+-]\d{4}\]", values.pop("t"))
    assert values == {
        "h": "127.0.0.1", "l": "-", "u": "-", "r": "GET /my/path?foo=bar HTTP/1.1",
        "s": "200", "m": "GET", "U": "/my/path", "q": "foo=bar", "H": "HTTP/1.1",
        "b": "1024", "B": "1024", "f": "http://ref.example/", "a": "Moz/1.0",
        "T": "2", "M": "2345", "D": "2345678", "L": "2.345678", "p": "<%d>" % os.getpid(),
        "{X-Forwarded-For}i": "10.0.0.1", "{x-resp}o": "out", "{PATH_INFO}e": "/my/path",
        "nope": "-",
    }


def test_lazy_and_full_paths_agree() -> None:
    fmt = "|".join("%%(%s)s" % a for a in ALL_SIMPLE if a != "t")
    fmt += "|%({host}i)s|%({X-RESP}o)s|%({http_referer}e)s|%({missing}i)s|%(zz)s"
    environ = make_environ(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"al:x").decode(),
                           QUERY_STRING='a="b"')
    lazy = access_line(fmt, environ=environ, lazy=True)
    full = access_line(fmt, environ=environ, lazy=False)
    assert lazy == full
    assert '|a=\\"b\\"|' in lazy


def test_lazy_path_is_default_and_full_path_for_subclasses() -> None:
    assert Logger(stand_in_cfg(accesslog="-"))._lazy_atoms is True

    class Custom(Logger):
        def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
            atoms = super().atoms(resp, req, environ, request_time)
            atoms["x"] = "custom"
            return atoms

    log = Custom(stand_in_cfg(accesslog="-", access_log_format="%(x)s %(h)s"))
    assert log._lazy_atoms is False
    cap = Capture()
    log.access_log.addHandler(cap)
    log.access(make_resp(), make_req(), make_environ(), REQUEST_TIME)
    assert cap.lines == ["custom 127.0.0.1"]


def test_atoms_wrapper_class_override() -> None:
    class Upper(SafeAtoms):
        def __getitem__(self, key: str) -> Any:
            return str(super().__getitem__(key)).upper()

    class Custom(Logger):
        atoms_wrapper_class = Upper

    log = Custom(stand_in_cfg(accesslog="-", access_log_format="%(m)s %(a)s"))
    cap = Capture()
    log.access_log.addHandler(cap)
    log.access(make_resp(), make_req(), make_environ(), REQUEST_TIME)
    assert cap.lines == ["GET MOZ/1.0"]


@pytest.mark.parametrize("lazy", [True, False])
def test_quotes_are_escaped(lazy: bool) -> None:
    environ = make_environ(HTTP_USER_AGENT='evil"agent', HTTP_REFERER='x" y')
    line = access_line('"%(a)s" "%(f)s" "%({user-agent}e)s"', environ=environ, lazy=lazy)
    assert line == '"evil\\"agent" "x\\" y" "-"'
    line = access_line('%({http_user_agent}e)s', environ=environ, lazy=lazy)
    assert line == 'evil\\"agent'


@pytest.mark.parametrize("lazy", [True, False])
def test_header_atoms_case_insensitive_and_shapes(lazy: bool) -> None:
    fmt = "%({X-FORWARDED-FOR}i)s %({x-forwarded-for}i)s %({CONTENT-TYPE}o)s %({Request_Method}e)s"
    assert access_line(fmt, lazy=lazy) == "10.0.0.1 10.0.0.1 text/plain GET"
    # req as a plain header list, response headers as a dict
    resp = make_resp(headers={"Content-Type": "application/json"})
    line = access_line(fmt, resp=resp, req=[("X-Forwarded-For", "1.2.3.4")], lazy=lazy)
    assert line == "1.2.3.4 1.2.3.4 application/json GET"
    # request headers as a dict on the request object
    req = types.SimpleNamespace(headers={"X-Forwarded-For": "5.6.7.8"})
    assert access_line("%({x-forwarded-for}i)s", req=req, lazy=lazy) == "5.6.7.8"


@pytest.mark.parametrize("lazy", [True, False])
def test_missing_values_are_dashes(lazy: bool) -> None:
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/", "SERVER_PROTOCOL": "HTTP/1.0"}
    resp = make_resp(sent=None, headers=[])
    line = access_line("%(h)s %(b)s %(B)s %(f)s %(a)s %(U)s %(q)s %({x}i)s %({y}o)s %(u)s",
                       resp=resp, req=[], environ=environ, lazy=lazy)
    assert line == "- - - - - - - - - -"


@pytest.mark.parametrize("lazy", [True, False])
def test_zero_bytes_sent(lazy: bool) -> None:
    line = access_line("%(b)s %(B)s", resp=make_resp(sent=0), lazy=lazy)
    assert line == "0 0"


@pytest.mark.parametrize("status,expected", [("200 OK", "200"), (404, "404"),
                                             (b"500 Internal Server Error", "500"),
                                             ("418", "418")])
@pytest.mark.parametrize("lazy", [True, False])
def test_status_shapes(status: Any, expected: str, lazy: bool) -> None:
    assert access_line("%(s)s", resp=make_resp(status=status), lazy=lazy) == expected


@pytest.mark.parametrize("lazy", [True, False])
def test_request_time_atoms(lazy: bool) -> None:
    rt = datetime.timedelta(seconds=0, microseconds=1500)
    assert access_line("%(T)s %(M)s %(D)s %(L)s", request_time=rt, lazy=lazy) == "0 1 1500 0.001500"
    rt = datetime.timedelta(days=1, seconds=1, microseconds=7)
    assert access_line("%(T)s %(L)s", request_time=rt, lazy=lazy) == "86401 86401.000007"


def test_record_args_hold_atoms_for_custom_formatters() -> None:
    log, cap = logger_with_capture(access_log_format="%(h)s")
    log.access(make_resp(), make_req(), make_environ(), REQUEST_TIME)
    args = cap.records[0].args
    assert args["h"] == "127.0.0.1"  # type: ignore[index]
    # keys outside the format still resolve on lookup
    assert args["m"] == "GET"  # type: ignore[index]
    assert args["{x-forwarded-for}i"] == "10.0.0.1"  # type: ignore[index]
    assert args["unknown"] == "-"  # type: ignore[index]


def test_bad_format_does_not_raise() -> None:
    log = Logger(stand_in_cfg(accesslog="-", access_log_format="%(h)d"))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    log.access_log.handlers = [handler]
    raise_exceptions = logging.raiseExceptions
    logging.raiseExceptions = False
    try:
        log.access(make_resp(), make_req(), make_environ(), REQUEST_TIME)
    finally:
        logging.raiseExceptions = raise_exceptions


def test_atom_errors_are_logged_not_raised() -> None:
    log, cap = logger_with_capture(access_log_format="%(s)s")
    errors = Capture()
    log.error_log.addHandler(errors)
    log.access(object(), make_req(), make_environ(), REQUEST_TIME)  # no .status
    assert cap.lines == []
    assert any("AttributeError" in line for line in errors.lines)


@pytest.mark.parametrize("settings,enabled", [
    ({}, False),
    ({"accesslog": "-"}, True),
    ({"logconfig_dict": {"root": {"level": "INFO"}}}, True),
    ({"syslog": True, "syslog_addr": "udp://127.0.0.1:9"}, True),
    ({"syslog": True, "syslog_addr": "udp://127.0.0.1:9",
      "disable_redirect_access_to_syslog": True}, False),
])
def test_access_enabled_only_when_configured(settings: dict[str, Any], enabled: bool) -> None:
    log = Logger(stand_in_cfg(**settings))
    cap = Capture()
    log.access_log.addHandler(cap)
    log.access(make_resp(), make_req(), make_environ(), REQUEST_TIME)
    assert bool(cap.lines) is enabled


def test_access_skipped_when_access_logger_disabled_by_level() -> None:
    log, cap = logger_with_capture()
    log.access_log.setLevel(logging.WARNING)
    log.access(object(), None, {}, REQUEST_TIME)  # would fail if atoms were built
    assert cap.lines == []


def test_safe_atoms() -> None:
    atoms = SafeAtoms({"a": 'x"y', "n": None, "{host}i": "h", "i": 3})
    assert atoms["a"] == 'x\\"y'
    assert atoms["n"] == "-"
    assert atoms["{HOST}i"] == "h"
    assert atoms["i"] == 3
    assert atoms["missing"] == "-"
    assert "%(a)s %(missing)s %({Host}i)s" % atoms == 'x\\"y - h'


@pytest.mark.parametrize("header,user", [
    ("Basic " + base64.b64encode(b"brian:secret").decode(), "brian"),
    ("basic " + base64.b64encode(b"nopass").decode(), "nopass"),
    ("Basic " + base64.b64encode("b\u00e9b:x".encode()).decode(), "b\u00e9b"),
    ("Basic " + base64.b64encode(b"a:b:c").decode(), "a"),
    ("Basic not-base64!!", None),
    ("Basic " + base64.b64encode(b"\xff\xfe:x").decode(), None),
    ("Bearer abc", None),
    ("Basic", None),
    ("", None),
])
def test_get_user(header: str, user: str | None) -> None:
    log = Logger(stand_in_cfg())
    environ = {"HTTP_AUTHORIZATION": header} if header else {}
    assert log._get_user(environ) == user


def test_now_format_and_cache() -> None:
    log = Logger(stand_in_cfg())
    first = log.now()
    assert re.fullmatch(r"\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]", first)
    assert log.now() in (first, log.now())
