"""The request corpus (tests/requests) through the ASGI HTTP/1.1 path.

Each case's bytes go into a real ``ASGIProtocol`` over an in-memory
transport (no sockets: the protocol only needs ``write``/``close``/
``pause_reading``), in one piece and byte by byte.  Valid cases must reach
the application as the scopes and bodies the corpus expects; invalid ones
must be answered with their error status (or closed silently when the
client only went away), like the WSGI workers answer them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from gunicorn.asgi.http1 import ASGIProtocol
from gunicorn.http.core import settings_for
from gunicorn.workers import netio
from tests.requests import treq


class _Log:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def debug(self, *a: Any, **k: Any) -> None:
        pass

    info = warning = debug

    def error(self, msg: str, *args: Any, **k: Any) -> None:
        self.errors.append(msg % args if args else msg)

    exception = error

    def access(self, *a: Any) -> None:
        pass


class _Transport:
    def __init__(self, peer: Any) -> None:
        self.peer = peer
        self.out = bytearray()
        self.closing = False
        self.closed = asyncio.Event()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": self.peer, "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def write(self, data: bytes) -> None:
        assert not self.closing, "write after close"
        self.out += data

    def close(self) -> None:
        self.closing = True
        self.closed.set()

    abort = close

    def is_closing(self) -> bool:
        return self.closing

    def pause_reading(self) -> None:
        pass

    resume_reading = pause_reading


class _Worker:
    """What ASGIProtocol needs of an ASGIWorker."""

    def __init__(self, cfg: Any, app: Any) -> None:
        self.cfg = cfg
        self.log = _Log()
        self.h1_settings = settings_for(cfg)
        self.state = None
        self.asgi = app
        self.alive = True
        self.h2c_prior = self.h2c_upgrade = self.h2_only = False
        self.keepalive_timeout = 30.0
        self.first_request_timeout = 30.0

    def connection_opened(self, proto: Any) -> bool:
        return True

    def connection_closed(self, proto: Any) -> None:
        pass

    def count_request(self) -> bool:
        return False

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        return asyncio.get_running_loop().create_task(coro)

    def spawn_cycle(self, cycle: Any) -> asyncio.Task[Any]:
        task = cycle.task = self.spawn(cycle.run(self.asgi))
        return task

    def _task_done(self, task: Any) -> None:
        pass

    def cycle_lost(self, cycle: Any) -> None:
        if cycle.task is not None:
            cycle.task.cancel()


def _run(case: treq.Case, pieces: list[bytes], eof: bool) -> tuple[list[dict[str, Any]], bytes]:
    """Feed *pieces* to a protocol; return (what the app saw, the bytes written)."""
    seen: list[dict[str, Any]] = []
    expected = len(case.requests) if case.kind == "valid" else None

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message["body"]
            if not message["more_body"]:
                break
        seen.append({"scope": scope, "body": body})
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    async def main() -> bytes:
        transport = _Transport(case.source_addr)
        proto = ASGIProtocol(_Worker(case.cfg, app))
        proto.connection_made(transport)
        for piece in pieces:
            if transport.closing:
                break
            proto.data_received(piece)
            await asyncio.sleep(0)
        if eof and not transport.closing and not proto.eof_received():
            # what an asyncio transport does when eof_received() is falsy
            transport.close()
            proto.connection_lost(None)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while loop.time() < deadline:
            if transport.closing or (expected is not None and len(seen) >= expected
                                     and proto.cycle is None):
                break
            await asyncio.sleep(0.001)
        cycle = proto.cycle
        if cycle is not None and cycle.task is not None:
            # a task cancelled because its client went away ends quietly
            await asyncio.wait([cycle.task], timeout=5)
            assert cycle.task.done(), "request task still running"
        if not proto.closed or not transport.closing:
            proto.connection_lost(None)
        return bytes(transport.out)

    return seen, asyncio.run(main())


def _chunkings(data: bytes) -> dict[str, list[bytes]]:
    """In one piece, and in 7-byte pieces (heads, chunk sizes and bodies
    split everywhere; the core's own tests go byte by byte)."""
    return {"whole": [data], "7-byte pieces": [data[i:i + 7] for i in range(0, len(data), 7)]}


#: the scope's http_version for a request-line version (ASGI knows 1.0, 1.1, 2)
_SCOPE_VERSION = {(1, 0): "1.0", (2, 0): "2"}


@pytest.mark.parametrize("name", treq.case_names("valid"))
def test_valid_case_reaches_app(name: str) -> None:
    case = treq.load_case("valid", name)
    if name.endswith("_short_at_eof"):
        # WSGI hands over the short body; for ASGI the client went away
        # mid-body: the application gets http.disconnect, nothing is answered
        seen, out = _run(case, [case.data], eof=True)
        assert seen == [] and out == b"", (name, seen, out)
        return
    for how, pieces in _chunkings(case.data).items():
        seen, _ = _run(case, pieces, eof=False)
        where = "%s [%s]" % (name, how)
        assert len(seen) == len(case.requests), (where, seen)
        for got, exp in zip(seen, case.requests, strict=True):
            scope = got["scope"]
            u = exp["uri"]
            assert scope["method"] == exp["method"], where
            assert scope["raw_path"] == (u["path"] or "/").encode("latin-1"), where
            assert scope["query_string"] == u["query"].encode("latin-1"), where
            assert scope["http_version"] == _SCOPE_VERSION.get(exp["version"], "1.1"), where
            assert scope["headers"] == [(n.lower().encode("latin-1"), v.encode("latin-1"))
                                        for n, v in exp["headers"]], where
            assert got["body"] == exp["body"], where
            if "scheme" in exp:
                assert scope["scheme"] == exp["scheme"], where


@pytest.mark.parametrize("name", treq.case_names("invalid"))
def test_invalid_case_answered_like_wsgi(name: str) -> None:
    case = treq.load_case("invalid", name)
    expected = case.expect
    status = getattr(expected, "status_code", None)
    for how, pieces in _chunkings(case.data).items():
        seen, out = _run(case, pieces, eof=True)
        where = "%s [%s]: %r" % (name, how, out[:200])
        try:
            quiet = netio.disconnect_reason(expected.__new__(expected)) is not None
        except Exception:
            quiet = False
        if quiet:
            # the client went away mid-request: nothing to answer
            assert b"HTTP/1.1 4" not in out and b"HTTP/1.1 5" not in out, where
            continue
        assert isinstance(status, int), where
        # requests before the bad one (pipelined) are answered first; the
        # last response is the error page, and the connection closes
        assert out.rfind(b"HTTP/1.1 %d " % status) >= 0, where
        last = max(out.rfind(b"HTTP/1.1 200 "), out.rfind(b"HTTP/1.0 200 "))
        assert last < out.rfind(b"HTTP/1.1 %d " % status), where
        assert out.endswith(b"</html>\n"), where


logging.getLogger("asyncio").setLevel(logging.CRITICAL)
