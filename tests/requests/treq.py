"""Load the request corpus and check it against ``gunicorn.http.parser.RequestParser``.

Layout (same as upstream gunicorn's ``tests/requests``):

* ``valid/NAME.http`` + ``valid/NAME.py``: the ``.py`` file runs in a namespace
  that already holds ``uri`` (see :func:`uri`) and ``cfg = Config()``.  It may
  call ``cfg.set(...)`` or rebind ``cfg``, and it defines ``request``: a dict, or
  a list of dicts for pipelined requests, with the keys ``method``, ``uri``,
  ``version`` (tuple), ``headers`` (list of (UPPERCASE-NAME, value)), ``body``
  (bytes) and optionally ``trailers``.  Extensions understood here (ignored by
  other harnesses): ``scheme`` and ``proxy_protocol_info`` (a partial dict).
* ``invalid/NAME.http`` + ``invalid/NAME.py``: ``request`` is the exception
  class from ``gunicorn.http.errors`` that parsing must raise.

Both kinds may define ``source_addr`` (the peer address handed to the parser;
``None`` by default, which counts as a trusted peer).

``.http`` encoding: literal newlines are removed, then ``\\r\\n`` becomes CRLF,
``\\0``/``\\n``/``\\t`` become NUL/LF/HTAB and ``\\xHH`` becomes that byte.  Any
other backslash is an error.
"""

from __future__ import annotations

import importlib.machinery
import os
import random
import re
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
VALID_DIR = os.path.join(HERE, "valid")
INVALID_DIR = os.path.join(HERE, "invalid")

_ESCAPE_RE = re.compile(rb"\\(r\\n|0|n|t|x[0-9A-Fa-f]{2}|.?)", re.S)
_SIMPLE = {b"r\\n": b"\r\n", b"0": b"\0", b"n": b"\n", b"t": b"\t"}


def decode_http(text: bytes) -> bytes:
    """Turn the escaped ``.http`` text into the raw request bytes.

    Raises ValueError for an unknown escape sequence.
    """

    def sub(match: re.Match[bytes]) -> bytes:
        token = match.group(1)
        if token in _SIMPLE:
            return _SIMPLE[token]
        if token[:1] == b"x" and len(token) == 3:
            return bytes([int(token[1:], 16)])
        raise ValueError("unexpected escape sequence \\%r in .http data" % token)

    return _ESCAPE_RE.sub(sub, text.replace(b"\n", b""))


def uri(raw: str, **overrides: Any) -> dict[str, Any]:
    """Expected request-target parts for ``raw``; keyword arguments override a part.

    Keys: raw, scheme, host, port, path, query, fragment.  A target that starts
    with ``//`` is a path (RFC 9112 section 3.2.1), not a network location.
    """
    if raw.startswith("//"):
        parts = urlsplit("." + raw)
        path = parts.path[1:]
        netloc = ""
    else:
        parts = urlsplit(raw)
        path = parts.path
        netloc = parts.netloc
    try:
        port = parts.port
    except ValueError:
        port = None
    ret = {
        "raw": raw,
        "scheme": parts.scheme or "",
        "host": netloc.rsplit(":", 1)[0] or None,
        "port": port or 80,
        "path": path or "",
        "query": parts.query or "",
        "fragment": parts.fragment or "",
    }
    ret.update(overrides)
    return ret


def load_py(path: str) -> dict[str, Any]:
    """Execute a corpus ``.py`` file with ``uri`` and ``cfg = Config()`` pre-bound."""
    from gunicorn.config import Config

    mod = types.ModuleType("__config__")
    mod.uri = uri  # type: ignore[attr-defined]
    mod.cfg = Config()  # type: ignore[attr-defined]
    loader = importlib.machinery.SourceFileLoader("__config__", path)
    loader.exec_module(mod)
    return vars(mod)


def case_names(kind: str) -> list[str]:
    """Sorted case names (file stems) of ``kind`` ("valid" or "invalid")."""
    folder = VALID_DIR if kind == "valid" else INVALID_DIR
    return sorted(f[:-5] for f in os.listdir(folder) if f.endswith(".http"))


@dataclass
class Case:
    """One corpus case: raw bytes, settings, expectation."""

    name: str
    kind: str
    data: bytes
    cfg: Any
    expect: Any
    source_addr: Any = None
    namespace: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The expected requests of a valid case, always as a list."""
        return self.expect if isinstance(self.expect, list) else [self.expect]


def load_case(kind: str, name: str) -> Case:
    """Load ``<kind>/<name>.http`` and ``.py``."""
    folder = VALID_DIR if kind == "valid" else INVALID_DIR
    with open(os.path.join(folder, name + ".http"), "rb") as handle:
        data = decode_http(handle.read())
    ns = load_py(os.path.join(folder, name + ".py"))
    return Case(name, kind, data, ns["cfg"], ns["request"], ns.get("source_addr"), ns)


# ------------------------------------------------------------------ senders
Sender = Callable[[bytes, random.Random], Iterator[bytes]]


def send_all(data: bytes, rng: random.Random) -> Iterator[bytes]:
    """Everything in one chunk."""
    if data:
        yield data


def send_lines(data: bytes, rng: random.Random) -> Iterator[bytes]:
    """One chunk per line (split after each LF)."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end + 1
        yield data[start:end]
        start = end


def send_bytes(data: bytes, rng: random.Random) -> Iterator[bytes]:
    """One byte at a time."""
    for i in range(len(data)):
        yield data[i:i + 1]


def send_random(data: bytes, rng: random.Random) -> Iterator[bytes]:
    """Random chunks of 1..len/2+1 bytes."""
    pos = 0
    top = max(1, len(data) // 2 + 1)
    while pos < len(data):
        step = rng.randint(1, top)
        yield data[pos:pos + step]
        pos += step


def send_first_byte(data: bytes, rng: random.Random) -> Iterator[bytes]:
    """The first byte, then the rest."""
    if data:
        yield data[:1]
    if len(data) > 1:
        yield data[1:]


SENDERS: dict[str, Sender] = {
    "all": send_all,
    "lines": send_lines,
    "bytes": send_bytes,
    "random": send_random,
    "first_byte": send_first_byte,
}

# ------------------------------------------------------------------ body readers
SizeFn = Callable[[random.Random], int]
SIZES: dict[str, SizeFn] = {
    "all": lambda rng: -1,
    "one": lambda rng: 1,
    "small": lambda rng: rng.randint(1, 4),
    "large": lambda rng: rng.randint(1, 4096),
}


def read_by_read(body: Any, size_fn: SizeFn, rng: random.Random) -> bytes:
    """``body.read(size)`` until it returns b""; never more than ``size``."""
    out = []
    while True:
        size = size_fn(rng)
        data = body.read(size)
        if size >= 0:
            assert len(data) <= size, "read(%d) returned %d bytes" % (size, len(data))
        if not data:
            return b"".join(out)
        out.append(data)


def read_by_readline(body: Any, size_fn: SizeFn, rng: random.Random) -> bytes:
    """``body.readline(size)`` until b""; each result is at most one line and ``size``."""
    out = []
    while True:
        size = size_fn(rng)
        line = body.readline(size)
        if size >= 0:
            assert len(line) <= size, "readline(%d) returned %d bytes" % (size, len(line))
        assert b"\n" not in line[:-1], "readline returned more than one line: %r" % line
        if not line:
            return b"".join(out)
        out.append(line)


def read_by_readlines(body: Any, size_fn: SizeFn, rng: random.Random) -> bytes:
    """``body.readlines()``: every element but the last ends with LF."""
    lines = body.readlines()
    for line in lines[:-1]:
        assert line.endswith(b"\n"), lines
    return b"".join(lines)


def read_by_iter(body: Any, size_fn: SizeFn, rng: random.Random) -> bytes:
    """Iterate over the body line by line."""
    return b"".join(line for line in body)


READERS = {
    "read": read_by_read,
    "readline": read_by_readline,
    "readlines": read_by_readlines,
    "iter": read_by_iter,
}


def make_parser(case: Case, chunks: Iterable[bytes]) -> Any:
    """``RequestParser(cfg, iterable, source_addr)`` for a case."""
    from gunicorn.http.parser import RequestParser

    return RequestParser(case.cfg, chunks, case.source_addr)


def match_request(req: Any, exp: dict[str, Any], body: bytes | None, where: str) -> None:
    """Compare a parsed request to the expected dict (``body`` None: not compared)."""
    def eq(label: str, got: Any, want: Any) -> None:
        assert got == want, "%s: %s: got %r, expected %r" % (where, label, got, want)

    eq("method", req.method, exp["method"])
    u = exp["uri"]
    eq("uri", req.uri, u["raw"])
    eq("path", req.path, u["path"])
    eq("query", req.query, u["query"])
    eq("fragment", req.fragment, u["fragment"])
    eq("version", req.version, exp["version"])
    eq("headers", [tuple(h) for h in req.headers], [tuple(h) for h in exp["headers"]])
    if body is not None:
        eq("body", body, exp["body"])
        eq("trailers", [tuple(t) for t in (req.trailers or [])],
           [tuple(t) for t in exp.get("trailers", [])])
    if "scheme" in exp:
        eq("scheme", req.scheme, exp["scheme"])
    if "proxy_protocol_info" in exp:
        info = req.proxy_protocol_info or {}
        for key, want in exp["proxy_protocol_info"].items():
            eq("proxy_protocol_info[%r]" % key, info.get(key), want)


def check_valid_once(case: Case, sender: str, size: str, reader: str, seed: int) -> None:
    """Parse a valid case with one sender/size/reader combination and compare."""
    rng = random.Random(seed)
    where = "%s [%s/%s/%s]" % (case.name, sender, size, reader)
    parser = make_parser(case, SENDERS[sender](case.data, rng))
    expected = case.requests
    count = 0
    for req in parser:
        assert count < len(expected), "%s: more requests than the %d expected" % (where, len(expected))
        body = READERS[reader](req.body, SIZES[size], rng)
        match_request(req, expected[count], body, "%s request %d" % (where, count))
        assert req.body.read() == b"", where
        count += 1
    assert count == len(expected), "%s: parsed %d requests, expected %d" % (where, count, len(expected))


def check_valid_unread(case: Case, sender: str, seed: int) -> None:
    """Iterate without reading bodies: the parser must drain them itself."""
    rng = random.Random(seed)
    where = "%s [%s/unread]" % (case.name, sender)
    expected = case.requests
    got = 0
    for req in make_parser(case, SENDERS[sender](case.data, rng)):
        assert got < len(expected), where
        match_request(req, expected[got], None, "%s request %d" % (where, got))
        got += 1
    assert got == len(expected), "%s: parsed %d requests, expected %d" % (where, got, len(expected))


def check_valid(case: Case) -> int:
    """Run every sender x size x reader combination (80) plus unread passes.

    Per-byte feeding of big requests uses one size per reader to bound the run time.
    Returns the number of combinations checked.
    """
    checks = 0
    seed = sum(case.name.encode())
    big = len(case.data) > 2048
    for sender in SENDERS:
        for reader in READERS:
            sizes = list(SIZES)
            if big and sender == "bytes":
                sizes = [sizes[(len(reader) + seed) % len(sizes)]]
            for size in sizes:
                check_valid_once(case, sender, size, reader, seed)
                checks += 1
        check_valid_unread(case, sender, seed)
        checks += 1
    return checks


def parse_fully(case: Case, chunks: Iterable[bytes]) -> int:
    """Iterate the parser and read every body; returns the number of requests."""
    n = 0
    for req in make_parser(case, chunks):
        while req.body.read(8192):
            pass
        req.trailers  # noqa: B018 - touching the attribute must not fail
        n += 1
    return n


def check_invalid(case: Case) -> None:
    """The case's exception must come out whatever the chunking."""
    expected = case.expect
    seed = sum(case.name.encode())
    for sender in ("all", "random", "bytes", "first_byte"):
        rng = random.Random(seed)
        try:
            n = parse_fully(case, SENDERS[sender](case.data, rng))
        except expected:
            continue
        except Exception as exc:
            raise AssertionError("%s [%s]: expected %s, got %s: %s" % (
                case.name, sender, expected.__name__, type(exc).__name__, exc)) from exc
        raise AssertionError("%s [%s]: expected %s, parsed %d request(s) without error" % (
            case.name, sender, expected.__name__, n))
