"""Property tests of RequestParser (hypothesis).

* Generated valid requests (methods, request-targets, fields, bodies framed by
  Content-Length or chunked with extensions and trailers, pipelined) parse back
  to exactly what was generated, whatever the chunking of the input.
* Arbitrary bytes, and mutations of valid requests, only ever raise the error
  classes of gunicorn.http.errors (or end the iteration), and never hang.
* Endless request lines, field lines, field sections, chunk-size lines and
  trailer sections are cut after a bounded number of bytes (the configured
  limits), never buffered without end.
"""

from __future__ import annotations

import contextlib
import random
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gunicorn.config import Config
from gunicorn.http import errors
from gunicorn.http.parser import RequestParser

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ERRORS = tuple(getattr(errors, name) for name in errors.__all__)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Fail (instead of hanging) when the block runs longer than ``seconds``."""

    def on_alarm(signum: int, frame: Any) -> None:
        raise TimeoutError("parser did not finish within %.1fs" % seconds)

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def chunks_of(data: bytes, rng: random.Random) -> Iterator[bytes]:
    """``data`` in random pieces of 1..64 bytes (sometimes all at once)."""
    if rng.random() < 0.25:
        if data:
            yield data
        return
    pos = 0
    while pos < len(data):
        step = rng.randint(1, 64)
        yield data[pos:pos + step]
        pos += step


# ---------------------------------------------------------------- generators of valid requests
TCHAR_NO_UNDERSCORE = "!#$%&'*+-.^`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
METHOD_CHARS = "!$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PCHAR = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@"
QCHAR = PCHAR + "/?"
FIELD_VCHAR = "".join(chr(c) for c in range(0x21, 0x7F)) + "".join(chr(c) for c in range(0x80, 0x100))
RESERVED_NAMES = {"HOST", "CONTENT-LENGTH", "TRANSFER-ENCODING", "CONTENT-TYPE", "EXPECT", "CONNECTION"}

methods = st.one_of(
    st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PROPFIND", "M-SEARCH"]),
    st.text(METHOD_CHARS, min_size=3, max_size=20).filter(lambda m: m != "CONNECT"),
)
pct = st.sampled_from(["%20", "%2F", "%C3%A9", "%25", "%3F"])
segment = st.lists(st.one_of(st.text(PCHAR, min_size=1, max_size=8), pct), max_size=4).map("".join)
paths = st.lists(segment, min_size=1, max_size=5).map(lambda segs: "/" + "/".join(segs))
queries = st.one_of(st.none(), st.lists(st.one_of(st.text(QCHAR, min_size=1, max_size=10), pct),
                                        max_size=4).map("".join))
field_names = st.text(TCHAR_NO_UNDERSCORE, min_size=1, max_size=16).map(lambda s: "X-" + s).filter(
    lambda s: s.upper() not in RESERVED_NAMES and not s.upper().startswith("X-FORWARDED"))
field_values = st.lists(st.text(FIELD_VCHAR, min_size=1, max_size=12), max_size=3).map(" ".join)
fields = st.lists(st.tuples(field_names, field_values), max_size=12)
bodies = st.binary(max_size=300)
chunk_ext = st.one_of(
    st.just(""),
    st.text("abcxyz", min_size=1, max_size=4).map(lambda s: ";" + s),
    st.tuples(st.text("abc", min_size=1, max_size=3), st.text("xyz09", min_size=1, max_size=3)).map(
        lambda t: ";%s=%s" % t),
    st.just(';q="a b;c"'),
)


@st.composite
def requests(draw: Any, keep_alive: bool = True) -> tuple[bytes, dict[str, Any]]:
    """One valid request: (wire bytes, expected attributes)."""
    method = draw(methods)
    path = draw(paths)
    query = draw(queries)
    target = path + ("?" + query if query is not None else "")
    version = (1, 1) if keep_alive else draw(st.sampled_from([(1, 0), (1, 1)]))
    headers = [(n, v) for n, v in draw(fields)]
    body = draw(bodies)
    framing = draw(st.sampled_from(["none", "length", "chunked"])) if version == (1, 1) else \
        draw(st.sampled_from(["none", "length"]))
    if framing == "none":
        body = b""
    trailers: list[tuple[str, str]] = []
    wire_body = b""
    if framing == "length":
        headers.append(("Content-Length", draw(st.sampled_from(["", "0", "00"])) + str(len(body))))
        wire_body = body
    elif framing == "chunked":
        headers.append(("Transfer-Encoding", "chunked"))
        pos = 0
        pieces = []
        while pos < len(body):
            size = draw(st.integers(1, max(1, len(body) - pos)))
            size_text = draw(st.sampled_from(["%x", "%X", "0%x"])) % size
            pieces.append(size_text.encode() + draw(chunk_ext).encode() + b"\r\n"
                          + body[pos:pos + size] + b"\r\n")
            pos += size
        trailers = [(n, v) for n, v in draw(st.lists(st.tuples(field_names, field_values), max_size=3))]
        wire_body = (b"".join(pieces) + b"0" + draw(chunk_ext).encode() + b"\r\n"
                     + b"".join(b"%s: %s\r\n" % (n.encode("latin-1"), v.encode("latin-1")) for n, v in trailers)
                     + b"\r\n")
    head = "%s %s HTTP/%d.%d\r\n" % (method, target, version[0], version[1])
    head += "".join("%s:%s%s%s\r\n" % (n, draw(st.sampled_from(["", " ", "\t", "  "])), v,
                                       draw(st.sampled_from(["", " ", "\t"]))) for n, v in headers)
    wire = head.encode("latin-1") + b"\r\n" + wire_body
    expected = {
        "method": method, "uri": target, "path": path, "query": query or "", "version": version,
        "headers": [(n.upper(), v) for n, v in headers], "body": body,
        "trailers": [(n.upper(), v) for n, v in trailers],
    }
    return wire, expected


def parse_all(data: bytes, rng: random.Random, cfg: Any = None) -> list[tuple[Any, bytes]]:
    """Parse every request, reading each body with random read sizes."""
    out = []
    with time_limit(10):
        for req in RequestParser(cfg or Config(), chunks_of(data, rng), None):
            parts = []
            while True:
                piece = req.body.read(rng.choice([-1, 1, 7, 100, 4096]))
                if not piece:
                    break
                parts.append(piece)
            out.append((req, b"".join(parts)))
            assert len(out) <= len(data) + 1, "more requests than input bytes"
    return out


@SETTINGS
@given(st.lists(requests(), min_size=1, max_size=3), st.integers(0, 2**32))
def test_generated_requests_round_trip(reqs: list[tuple[bytes, dict[str, Any]]], seed: int) -> None:
    data = b"".join(wire for wire, _ in reqs)
    parsed = parse_all(data, random.Random(seed))
    assert len(parsed) == len(reqs)
    for (req, body), (_, exp) in zip(parsed, reqs, strict=True):
        assert req.method == exp["method"]
        assert req.uri == exp["uri"]
        assert req.path == exp["path"]
        assert req.query == exp["query"]
        assert req.fragment == ""
        assert req.version == exp["version"]
        assert [tuple(h) for h in req.headers] == exp["headers"]
        assert body == exp["body"]
        assert [tuple(t) for t in (req.trailers or [])] == exp["trailers"]


@SETTINGS
@given(requests(keep_alive=False), st.integers(0, 2**32))
def test_generated_request_http10(req: tuple[bytes, dict[str, Any]], seed: int) -> None:
    wire, exp = req
    parsed = parse_all(wire + b"GET /next HTTP/1.1\r\n\r\n", random.Random(seed))
    assert parsed[0][0].method == exp["method"]
    assert parsed[0][1] == exp["body"]
    # HTTP/1.0 without keep-alive ends the connection after the first request
    assert len(parsed) == (1 if exp["version"] == (1, 0) else 2)


# ---------------------------------------------------------------- robustness against garbage
CFG_VARIANTS = [
    [],
    [("proxy_protocol", "auto")],
    [("limit_request_line", 64), ("limit_request_fields", 5), ("limit_request_field_size", 64)],
    [("permit_obsolete_folding", True), ("header_map", "dangerous")],
    [("permit_unconventional_http_method", True), ("permit_unconventional_http_version", True),
     ("casefold_http_method", True)],
]


def make_cfg(variant: int) -> Any:
    cfg = Config()
    for name, value in CFG_VARIANTS[variant]:
        cfg.set(name, value)
    return cfg


def parse_only_known_errors(data: bytes, seed: int, variant: int) -> None:
    rng = random.Random(seed)
    try:
        parse_all(data, rng, make_cfg(variant))
    except ERRORS:
        pass


PREFIXES = [b"", b"GET / HTTP/1.1\r\n", b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", b"PROXY TCP4 ", b"\r\n\r\n\x00\r\nQUIT\n"]


@settings(SETTINGS, max_examples=300)
@given(st.sampled_from(PREFIXES), st.binary(max_size=400), st.integers(0, 2**32),
       st.integers(0, len(CFG_VARIANTS) - 1))
def test_arbitrary_bytes_raise_only_parse_errors(prefix: bytes, data: bytes, seed: int, variant: int) -> None:
    parse_only_known_errors(prefix + data, seed, variant)


ALPHABET = b"GETPOST /HTP1.0\r\n:;,=\"\t -_xX09aAfF\x00\x0b\x7f\x80\xff"


@settings(SETTINGS, max_examples=300)
@given(st.sampled_from(PREFIXES), st.lists(st.sampled_from(list(ALPHABET)), max_size=300).map(bytes),
       st.integers(0, 2**32), st.integers(0, len(CFG_VARIANTS) - 1))
def test_http_shaped_noise_raises_only_parse_errors(prefix: bytes, data: bytes, seed: int, variant: int) -> None:
    parse_only_known_errors(prefix + data, seed, variant)


@st.composite
def mutated(draw: Any) -> bytes:
    """A valid request (or two) with a few random edits."""
    wire = b"".join(w for w, _ in draw(st.lists(requests(), min_size=1, max_size=2)))
    data = bytearray(wire)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "duplicate"]))
        pos = draw(st.integers(0, len(data)))
        if op == "insert":
            data[pos:pos] = draw(st.sampled_from([b"\r", b"\n", b"\r\n", b" ", b"\t", b"\x00", b":", b";",
                                                  b",", b"\x0b", b"\xa0", b"0", b"_", b"\x85"]))
        elif op == "delete" and data:
            del data[pos:pos + draw(st.integers(1, 3))]
        elif op == "replace" and pos < len(data):
            data[pos] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[pos:]
        elif op == "duplicate":
            end = min(len(data), pos + draw(st.integers(1, 40)))
            data[pos:pos] = data[pos:end]
    return bytes(data)


@settings(SETTINGS, max_examples=300)
@given(mutated(), st.integers(0, 2**32), st.integers(0, len(CFG_VARIANTS) - 1))
def test_mutated_requests_raise_only_parse_errors(data: bytes, seed: int, variant: int) -> None:
    parse_only_known_errors(data, seed, variant)


# ---------------------------------------------------------------- bounded buffering
class EndlessSource:
    """``head`` followed by ``filler`` repeated, in 1 KiB pieces, up to ``cap`` bytes.

    ``pulled`` counts the bytes handed out, i.e. what the parser buffered or consumed.
    """

    def __init__(self, head: bytes, filler: bytes, cap: int = 4 * 1024 * 1024) -> None:
        self.data = head
        self.filler = filler
        self.cap = cap
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        buf = self.data
        while self.pulled < self.cap:
            while len(buf) < 1024:
                buf += self.filler * (1024 // len(self.filler) + 1)
            piece, buf = buf[:1024], buf[1024:]
            self.pulled += len(piece)
            yield piece


def parse_endless(source: EndlessSource, cfg: Any) -> BaseException:
    with time_limit(20):
        try:
            for req in RequestParser(cfg, iter(source), None):
                while req.body.read(65536):
                    pass
        except ERRORS as exc:
            return exc
    raise AssertionError("no error after %d bytes" % source.pulled)


def limit_cfg(line: int, fields: int, field_size: int) -> Any:
    cfg = Config()
    cfg.set("limit_request_line", line)
    cfg.set("limit_request_fields", fields)
    cfg.set("limit_request_field_size", field_size)
    return cfg


limits = st.tuples(st.integers(16, 8190), st.integers(1, 200), st.integers(16, 8190))
SLACK = 4096  # two source pieces plus a little look-ahead


@settings(SETTINGS, max_examples=40)
@given(limits)
def test_endless_request_line_is_cut(lim: tuple[int, int, int]) -> None:
    source = EndlessSource(b"GET /", b"a")
    exc = parse_endless(source, limit_cfg(*lim))
    assert isinstance(exc, errors.LimitRequestLine), exc
    assert source.pulled <= lim[0] + SLACK


@settings(SETTINGS, max_examples=40)
@given(limits)
def test_endless_field_line_is_cut(lim: tuple[int, int, int]) -> None:
    line, fields, size = lim
    source = EndlessSource(b"GET / HTTP/1.1\r\nX-Endless: ", b"v")
    exc = parse_endless(source, limit_cfg(line, fields, size))
    assert isinstance(exc, errors.LimitRequestHeaders), exc
    assert source.pulled <= fields * (size + 2) + 4 + SLACK


@settings(SETTINGS, max_examples=40)
@given(limits)
def test_endless_field_section_is_cut(lim: tuple[int, int, int]) -> None:
    line, fields, size = lim
    source = EndlessSource(b"GET / HTTP/1.1\r\n", b"X-Many: 1\r\n")
    exc = parse_endless(source, limit_cfg(line, fields, size))
    assert isinstance(exc, errors.LimitRequestHeaders), exc
    assert source.pulled <= fields * (size + 2) + 4 + SLACK


CHUNKED_HEAD = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize("head,filler", [
    (CHUNKED_HEAD, b"1"),                                  # endless chunk-size
    (CHUNKED_HEAD + b"5;", b"a"),                          # endless chunk-ext name
    (CHUNKED_HEAD + b'5;n="', b"q"),                       # endless quoted chunk-ext value
    (CHUNKED_HEAD + b"0\r\nX-T: ", b"t"),                  # endless trailer line
    (CHUNKED_HEAD + b"0\r\n", b"X-T: 1\r\n"),              # endless trailer section
])
def test_endless_chunked_framing_is_cut(head: bytes, filler: bytes) -> None:
    cfg = Config()
    source = EndlessSource(head, filler)
    exc = parse_endless(source, cfg)
    assert isinstance(exc, ERRORS), exc
    bound = len(head) + cfg.limit_request_fields * (cfg.limit_request_field_size + 2) + 4 + SLACK
    assert source.pulled <= bound, (source.pulled, bound)


@pytest.mark.parametrize("mode,head,filler", [
    ("v1", b"PROXY TCP4 ", b"1"),                               # endless PROXY v1 line
    ("auto", b"PROXY TCP6 ", b"0:"),
    ("v2", b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\xff\xff", b"\x00"),   # 64 KiB v2 address block
])
def test_endless_proxy_prefix_is_cut(mode: str, head: bytes, filler: bytes) -> None:
    cfg = Config()
    cfg.set("proxy_protocol", mode)
    source = EndlessSource(head, filler)
    exc = parse_endless(source, cfg)
    assert isinstance(exc, ERRORS), exc
    # the v2 address block may be 64 KiB; what follows is bounded like a request line
    assert source.pulled <= 16 + 65535 + cfg.limit_request_line + SLACK, source.pulled


def test_endless_body_is_streamed_not_buffered() -> None:
    """A huge Content-Length body is delivered piecewise; nothing is read ahead."""
    source = EndlessSource(b"POST / HTTP/1.1\r\nContent-Length: 3000000\r\n\r\n", b"b")
    with time_limit(20):
        req = next(iter(RequestParser(Config(), iter(source), None)))
        got = req.body.read(10)
        assert got == b"b" * 10
        assert source.pulled <= 2 * 1024 + 1024
        total = 10
        while True:
            piece = req.body.read(65536)
            if not piece:
                break
            assert len(piece) <= 65536
            total += len(piece)
    assert total == 3000000
