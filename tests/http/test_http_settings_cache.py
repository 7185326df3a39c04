"""Per-configuration caching of the parser settings and the per-peer trust
verdicts, and 431 answered from a partial head (no sockets)."""

import gc
import io
import weakref

import pytest

from gunicorn.config import Config
from gunicorn.http import errors as E
from gunicorn.http.core import HeadParser, ParserSettings
from gunicorn.http.core import policy as policy_mod
from gunicorn.http.core.settings import settings_for
from gunicorn.http.parser import RequestParser

GET = b"GET / HTTP/1.1\r\nHost: a\r\nX-One: 1\r\nX-Two: 2\r\n\r\n"


class ChunkSource:
    """An iterable of byte chunks, one recv() each."""

    def __init__(self, *chunks):
        self.chunks = list(chunks)

    def __iter__(self):
        return iter(self.chunks)


def test_settings_shared_until_a_setting_changes():
    cfg = Config()
    first = settings_for(cfg)
    assert settings_for(cfg) is first
    cfg.set("limit_request_fields", 7)
    second = settings_for(cfg)
    assert second is not first and second.limit_request_fields == 7
    # a change through the Setting object itself counts too
    cfg.settings["limit_request_fields"].set(9)
    assert settings_for(cfg).limit_request_fields == 9


def test_trust_follows_forwarded_allow_ips_changes():
    cfg = Config()
    peer = ("10.1.2.3", 4000)
    assert not settings_for(cfg).policy.forwarded_trusted(peer)
    cfg.set("forwarded_allow_ips", "10.0.0.0/8")
    assert settings_for(cfg).policy.forwarded_trusted(peer)
    cfg.set("proxy_allow_ips", "10.1.2.3")
    assert settings_for(cfg).policy.proxy_allowed(peer)
    assert not settings_for(cfg).policy.proxy_allowed(("10.1.2.4", 1))


def test_non_config_objects_get_fresh_settings():
    class Duck:
        limit_request_line = 100
        limit_request_fields = 10
        limit_request_field_size = 100

    duck = Duck()
    one, two = settings_for(duck), settings_for(duck)
    assert one is not two and one.limit_request_fields == 10


def test_cache_dies_with_its_config():
    cfg = Config()
    settings_for(cfg)
    ref = weakref.ref(cfg)
    del cfg
    gc.collect()
    assert ref() is None


def test_set_between_requests_applies_to_the_same_connection():
    cfg = Config()
    parser = RequestParser(cfg, ChunkSource(GET * 2), ("127.0.0.1", 1))
    assert next(parser).headers[0] == ("HOST", "a")
    cfg.set("limit_request_fields", 2)
    with pytest.raises(E.LimitRequestHeaders):
        next(parser)


def test_requests_after_set_use_new_limits():
    cfg = Config()
    assert next(RequestParser(cfg, io.BytesIO(GET), None)).method == "GET"
    cfg.set("limit_request_field_size", 8)
    with pytest.raises(E.LimitRequestHeaders):
        next(RequestParser(cfg, ChunkSource(GET), None))


def test_trust_verdict_table_is_bounded(monkeypatch):
    monkeypatch.setattr(policy_mod, "_VERDICTS_MAX", 4)
    policy = ParserSettings(Config()).policy
    for i in range(20):
        assert policy.forwarded_trusted(("192.0.2.%d" % i, 1)) is False
    assert len(policy._forwarded_verdicts) <= 4
    assert policy.forwarded_trusted(("127.0.0.1", 1)) is True
    assert policy.forwarded_trusted("unix-peer") is True


# ---------------------------------------------------------------- 431 early


def make(**settings):
    cfg = Config()
    for k, v in settings.items():
        cfg.set(k, v)
    return HeadParser(ParserSettings(cfg), True)


def fields(n, start=0):
    return b"".join(b"X-F%d: v\r\n" % i for i in range(start, start + n))


def test_field_count_checked_on_partial_head():
    p = make(limit_request_fields=5)
    assert p.parse(b"GET / HTTP/1.1\r\n" + fields(5)) is None
    with pytest.raises(E.LimitRequestHeaders) as info:
        p.parse(b"GET / HTTP/1.1\r\n" + fields(6))
    assert "fields" in str(info.value)


def test_field_count_incremental_byte_by_byte():
    data = b"GET / HTTP/1.1\r\n" + fields(4)
    p = make(limit_request_fields=3)
    with pytest.raises(E.LimitRequestHeaders):
        for end in range(1, len(data) + 1):
            assert p.parse(data[:end]) is None
    # it was raised as soon as the 4th line's CRLF arrived
    assert end == len(data)


def test_obs_fold_continuations_do_not_count():
    p = make(limit_request_fields=2, permit_obsolete_folding=True)
    data = b"GET / HTTP/1.1\r\nX-A: 1\r\n  more\r\n\tand more\r\nX-B: 2\r\n"
    for end in range(1, len(data) + 1):
        assert p.parse(data[:end]) is None
    head = p.parse(data + b"\r\n")
    assert head.headers == [("X-A", "1 more and more"), ("X-B", "2")]


def test_earlier_violation_wins_like_on_a_whole_head():
    bad = b"GET / HTTP/1.1\r\nBad Name: x\r\n" + fields(5)
    with pytest.raises(E.InvalidHeaderName):
        make(limit_request_fields=3).parse(bad + b"\r\n")
    with pytest.raises(E.InvalidHeaderName):
        make(limit_request_fields=3).parse(bad)


def test_same_error_as_whole_head_for_every_split():
    data = b"GET / HTTP/1.1\r\n" + fields(3) + b"X-Bad: a\x01b\r\n" + fields(3, 3) + b"\r\n"
    with pytest.raises(E.InvalidHeader):
        make(limit_request_fields=4).parse(data)
    for cut in range(1, len(data)):
        p = make(limit_request_fields=4)
        with pytest.raises(E.InvalidHeader):
            if p.parse(data[:cut]) is None:
                p.parse(data)


# ---------------------------------------------------------------- one-pass field section


@pytest.mark.parametrize("block, expected", [
    ("A: b\r\n", [("A", "b")]),
    ("A:\r\n", [("A", "")]),
    ("A: \t \r\n", [("A", "")]),
    ("a-b:  x  y \t\r\n", [("A-B", "x  y")]),
    ("A: \xe9t\xe9\r\nB:c\r\n", [("A", "\xe9t\xe9"), ("B", "c")]),
])
def test_field_section_fast_path(block, expected):
    from gunicorn.http.core.fields import parse_field_section

    assert parse_field_section(block, ParserSettings(Config())) == expected


@pytest.mark.parametrize("block, error", [
    ("Foo: a\nBar: b\r\n", E.InvalidHeader),       # bare LF
    ("Foo: a\rb\r\n", E.InvalidHeader),            # bare CR
    ("Bad Name: x\r\n", E.InvalidHeaderName),      # not a token
    ("X : a\r\n", E.InvalidHeaderName),            # space before colon
    (" X: a\r\n", E.InvalidHeaderName),            # leading whitespace
    ("X: a\x00b\r\n", E.InvalidHeader),            # NUL
])
def test_field_section_rejects(block, error):
    from gunicorn.http.core.fields import parse_field_section

    with pytest.raises(error):
        parse_field_section(block, ParserSettings(Config()))


def test_long_whitespace_runs_are_rejected_in_linear_time():
    import time

    line = b"X: " + b" " * 40000 + b"a\x01\r\n"
    data = b"GET / HTTP/1.1\r\n" + line + b"\r\n"
    t0 = time.process_time()
    with pytest.raises(E.InvalidHeader):
        make(limit_request_field_size=50000).parse(data)
    # quadratic backtracking needs about a second here, linear matching ~1 ms
    assert time.process_time() - t0 < 0.3
