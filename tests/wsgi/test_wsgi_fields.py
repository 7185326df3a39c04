"""Property tests of response field validation (RFC 9110 sections 5.1, 5.5)."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gunicorn.http.early_hints import InvalidEarlyHint, check_early_hint
from gunicorn.http.wsgi import Response, create
from gunicorn.http.wsgi_fields import (
    InvalidResponseHeader,
    InvalidResponseHeaderName,
    check_name,
    check_value,
    parse_status,
)
from tests.wsgi.wsgi_helpers import FakeConfig, FakeRequest

TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
VALUE_CHARS = "\t" + "".join(chr(c) for c in range(0x20, 0x7F)) + "".join(chr(c) for c in range(0x80, 0x100))
BAD_CHARS = "".join(chr(c) for c in range(0, 0x20) if c != 9) + "\x7f\u0100\u2028\U0001f600"

names = st.text(alphabet=TCHAR, min_size=1, max_size=20)
values = st.text(alphabet=VALUE_CHARS, max_size=40)


@given(names, values)
def test_valid_fields_accepted_and_serialised(name, value):
    assert check_name(name) == name
    assert check_value(value, name) == value
    resp = Response(FakeRequest(), mock.MagicMock(), FakeConfig())
    digits = value.strip(" \t")
    if name.lower() == "content-length" and not (digits.isascii() and digits.isdigit()):
        # RFC 9110 section 8.6: Content-Length = 1*DIGIT; any other value cannot
        # frame the body, so the server refuses it (e.g. "", found by hypothesis)
        with pytest.raises(InvalidResponseHeader):
            resp.start_response("200 OK", [(name, value)])
        return
    resp.start_response("200 OK", [(name, value)])
    head = resp._head_bytes()
    # exactly one blank line, at the end: nothing can split the head
    assert head.count(b"\r\n\r\n") == 1 and head.endswith(b"\r\n\r\n")
    assert b"\n" not in head.replace(b"\r\n", b"")
    assert check_early_hint((name, value))[0] == name


@given(names, values, st.sampled_from(BAD_CHARS), values)
def test_control_characters_rejected(name, before, bad, after):
    value = before + bad + after
    with pytest.raises(InvalidResponseHeader):
        check_value(value, name)
    with pytest.raises(InvalidEarlyHint):
        check_early_hint((name, value))


@given(st.text(min_size=1, max_size=10).filter(lambda s: any(c not in TCHAR for c in s)))
def test_non_token_names_rejected(name):
    with pytest.raises(InvalidResponseHeaderName):
        check_name(name)


@given(st.integers(100, 999), st.text(alphabet=VALUE_CHARS, max_size=20))
def test_status_codes(code, reason):
    assert parse_status("%d %s" % (code, reason)) == code


def test_repeated_request_headers_joined_in_linear_time():
    headers = [("X-REPEAT", "v%d" % i) for i in range(20000)]
    req = FakeRequest(headers=headers)
    start = time.perf_counter()
    _, env = create(req, mock.MagicMock(), ("127.0.0.1", 1), ("127.0.0.1", 2), FakeConfig())
    assert time.perf_counter() - start < 1.0
    assert env["HTTP_X_REPEAT"] == ",".join(v for _, v in headers)
