"""Run the request corpus (tests/requests) through RequestParser.

Valid cases are fed whole, per line, per byte, in random chunks and first-byte-then-rest,
and their bodies read with read(-1/1/1..4/1..4096), readline, readlines and iteration.
Invalid cases must raise their exception class when the parser is fully iterated.
"""

from __future__ import annotations

import pytest

from tests.requests import treq

VALID = treq.case_names("valid")
INVALID = treq.case_names("invalid")


def test_corpus_is_large_enough() -> None:
    assert len(VALID) + len(INVALID) >= 200
    for kind, names in (("valid", VALID), ("invalid", INVALID)):
        folder = treq.VALID_DIR if kind == "valid" else treq.INVALID_DIR
        for name in names:
            assert (treq.os.path.exists(treq.os.path.join(folder, name + ".py"))), name


@pytest.mark.parametrize("name", VALID)
def test_valid_request(name: str) -> None:
    case = treq.load_case("valid", name)
    assert treq.check_valid(case) > 0


@pytest.mark.parametrize("name", INVALID)
def test_invalid_request(name: str) -> None:
    case = treq.load_case("invalid", name)
    assert isinstance(case.expect, type) and issubclass(case.expect, Exception), case.expect
    treq.check_invalid(case)


def test_decode_http_escapes() -> None:
    raw = treq.decode_http(b"A\\r\\n\nB\\0C\\nD\\tE\\x7f\\xFF\n")
    assert raw == b"A\r\nB\0C\nD\tE\x7f\xff"
    with pytest.raises(ValueError):
        treq.decode_http(b"bad \\q escape")
    with pytest.raises(ValueError):
        treq.decode_http(b"lone \\r")


def test_uri_helper() -> None:
    u = treq.uri("http://example.com:8080/a/b?x=1#f")
    assert (u["scheme"], u["host"], u["port"], u["path"], u["query"], u["fragment"]) == (
        "http", "example.com", 8080, "/a/b", "x=1", "f")
    assert treq.uri("//a/b")["path"] == "//a/b"
    assert treq.uri("/p", path="x")["path"] == "x"
