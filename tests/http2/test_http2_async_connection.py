"""The asyncio HTTP/2 driver (``gunicorn.http2.async_connection``) over real sockets.

Each test starts an ``asyncio.start_server`` on 127.0.0.1 (ephemeral port)
whose handler drives one ``AsyncHTTP2Connection`` per connection and runs a
task per stream, and talks to it with real clients: an ``h2`` client
connection over a TCP stream for frame-level checks, raw bytes for protocol
errors, and ``httpx`` (HTTP/2 with prior knowledge) end to end.  Every test
runs on the default asyncio loop and on uvloop (the ASGI worker's loops).
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import trustme
from h2 import events as h2e
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.settings import SettingCodes, Settings
from hyperframe.frame import Frame, GoAwayFrame

from gunicorn import http2
from gunicorn.http2.async_connection import AsyncHTTP2Connection, AsyncHTTP2Stream
from gunicorn.http2.connection import StreamCancelled
from gunicorn.http2.core import PREFACE, h2c_upgrade_settings
from gunicorn.http2.errors import HTTP2Error
from gunicorn.http2.errors import HTTP2ErrorCode as C
from tests.http2.h2_helpers import make_cfg, raw_frame

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is in the testing extra
    uvloop = None

TEST_TIMEOUT = 30.0
App = Callable[[AsyncHTTP2Connection, AsyncHTTP2Stream, Any], Awaitable[None]]


@pytest.fixture(params=["asyncio", "uvloop"])
def loop_kind(request: Any) -> str:
    if request.param == "uvloop" and uvloop is None:
        pytest.skip("uvloop is not installed")
    return str(request.param)


def run(loop_kind: str, main: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``main()`` on a new loop of *loop_kind*, bounded by TEST_TIMEOUT."""
    loop = uvloop.new_event_loop() if loop_kind == "uvloop" else asyncio.new_event_loop()
    try:
        return loop.run_until_complete(asyncio.wait_for(main(), TEST_TIMEOUT))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll *predicate* until it holds (AssertionError after *timeout* seconds)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in %s s" % timeout)
        await asyncio.sleep(0.005)


# -- the server --------------------------------------------------------------------


class H2Server:
    """An asyncio server whose connections run AsyncHTTP2Connection.

    ``app(conn, stream, request)`` runs in a task per stream; its outcome
    ("ok" or the exception) is ``await outcome(stream_id)``.  *tune* is
    called with each new connection; *read_timeout* is passed to
    ``receive_data`` (each timeout is counted in ``timeouts``).
    """

    def __init__(self, app: App, cfg: Any = None, tune: Callable[[Any], None] | None = None,
                 read_timeout: float | None = None, handler: Any = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.app = app
        self.ssl_context = ssl_context
        self.cfg = cfg or make_cfg()
        self.tune = tune
        self.read_timeout = read_timeout
        self.handler = handler
        self.conns: list[AsyncHTTP2Connection] = []
        self.timeouts = 0
        self.tasks: set[asyncio.Task[Any]] = set()
        self.served: set[asyncio.Task[Any]] = set()
        self._outcomes: dict[int, asyncio.Future[Any]] = {}
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    async def __aenter__(self) -> H2Server:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0,
                                                 ssl=self.ssl_context)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self.server is not None
        self.server.close()
        for conn in self.conns:
            await conn.close()
        # closed writers end the read loops; stream tasks still waiting raise
        # StreamCancelled.  Anything left after that is cancelled.
        pending = set(self.tasks) | set(self.served)
        if pending:
            _done, pending = await asyncio.wait(pending, timeout=5.0)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self.server.wait_closed()

    @property
    def conn(self) -> AsyncHTTP2Connection:
        assert self.conns, "no connection yet"
        return self.conns[-1]

    def _future(self, stream_id: int) -> asyncio.Future[Any]:
        fut = self._outcomes.get(stream_id)
        if fut is None:
            fut = self._outcomes[stream_id] = asyncio.get_running_loop().create_future()
        return fut

    async def outcome(self, stream_id: int, timeout: float = 10.0) -> Any:
        return await asyncio.wait_for(asyncio.shield(self._future(stream_id)), timeout)

    def make_conn(self, reader: Any, writer: Any) -> AsyncHTTP2Connection:
        conn = AsyncHTTP2Connection(self.cfg, reader, writer, writer.get_extra_info("peername"))
        if self.tune is not None:
            self.tune(conn)
        self.conns.append(conn)
        return conn

    async def _accept(self, reader: Any, writer: Any) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.served.add(task)
        try:
            if self.handler is not None:
                await self.handler(self, reader, writer)
                return
            conn = self.make_conn(reader, writer)
            await conn.initiate_connection()
            await self.serve(conn)
        finally:
            self.served.discard(task)

    async def serve(self, conn: AsyncHTTP2Connection) -> None:
        """The read loop: a task per request until the connection is over."""
        try:
            while not conn.finished:
                try:
                    requests = await conn.receive_data(timeout=self.read_timeout)
                except asyncio.TimeoutError:
                    self.timeouts += 1
                    continue
                self.start(conn, requests)
        finally:
            await conn.close()

    def start(self, conn: AsyncHTTP2Connection, requests: list[Any]) -> None:
        for req in requests:
            task = asyncio.get_running_loop().create_task(self._run(conn, req))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _run(self, conn: AsyncHTTP2Connection, req: Any) -> None:
        stream = req.stream.driver_data
        assert isinstance(stream, AsyncHTTP2Stream)
        sid = stream.stream_id
        outcome: Any = "ok"
        try:
            await self.app(conn, stream, req)
        except StreamCancelled as exc:
            outcome = exc
        except Exception as exc:
            outcome = exc
            await stream.send_error(500, "failed: %s" % type(exc).__name__)
        finally:
            fut = self._future(sid)
            if not fut.done():
                fut.set_result(outcome)
            if conn.stream_done(sid):
                await conn.close()


# -- the h2 client ---------------------------------------------------------------------


GET = [(":method", "GET"), (":scheme", "http"), (":authority", "localhost"), (":path", "/")]


def request_headers(method: str = "GET", path: str = "/", *extra: tuple[str, str]
                    ) -> list[tuple[str, str]]:
    return [(":method", method), (":scheme", "http"), (":authority", "localhost"),
            (":path", path), *extra]


class H2Client:
    """An ``h2`` client connection over a real TCP connection.

    ``events`` collects every h2 event received; ``wait_for(predicate)``
    reads until one matches.  With *auto_ack* received DATA is acknowledged
    at once (h2 then sends WINDOW_UPDATE as it sees fit).
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 auto_ack: bool) -> None:
        self.reader = reader
        self.writer = writer
        self.auto_ack = auto_ack
        self.h2 = H2Connection(H2Configuration(client_side=True, header_encoding="utf-8"))
        self.events: list[Any] = []
        self.eof = False
        self._pings = 0

    @classmethod
    async def connect(cls, port: int, auto_ack: bool = True,
                      settings: dict[int, int] | None = None) -> H2Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer, auto_ack)
        if settings:
            client.h2.local_settings = Settings(client=True, initial_values=settings)
        client.h2.initiate_connection()
        await client.flush()
        return client

    async def get_each(self, paths: tuple[str, ...]) -> dict[str, int]:
        """Open one GET stream per path (sent together); path -> stream id."""
        ids = {}
        for path in paths:
            sid = self.h2.get_next_available_stream_id()
            self.h2.send_headers(sid, request_headers("GET", path), end_stream=True)
            ids[path] = sid
        await self.flush()
        return ids

    async def flush(self) -> None:
        data = self.h2.data_to_send()
        if data:
            self.writer.write(data)
            await self.writer.drain()

    async def read_once(self) -> None:
        data = await self.reader.read(65536)
        if not data:
            self.eof = True
            raise AssertionError("the server closed the connection")
        events = self.h2.receive_data(data)
        for ev in events:
            if self.auto_ack and isinstance(ev, h2e.DataReceived):
                self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        self.events.extend(events)
        await self.flush()

    async def wait_for(self, predicate: Callable[[Any], bool], timeout: float = 10.0) -> Any:
        async def look() -> Any:
            while True:
                for ev in self.events:
                    if predicate(ev):
                        return ev
                await self.read_once()

        return await asyncio.wait_for(look(), timeout)

    async def ping_barrier(self) -> None:
        """Round trip a PING: what the server wrote before answering it is here."""
        self._pings += 1
        payload = self._pings.to_bytes(8, "big")
        self.h2.ping(payload)
        await self.flush()
        await self.wait_for(lambda e: isinstance(e, h2e.PingAckReceived)
                            and e.ping_data == payload)

    async def request(self, headers: list[tuple[str, str]], body: bytes | None = None,
                      end_stream: bool = True) -> int:
        sid = self.h2.get_next_available_stream_id()
        self.h2.send_headers(sid, headers, end_stream=end_stream and not body)
        if body:
            self.h2.send_data(sid, body, end_stream=end_stream)
        await self.flush()
        return sid

    async def ended(self, sid: int, timeout: float = 10.0) -> Any:
        """Wait for END_STREAM or RST_STREAM on *sid*; return that event."""
        return await self.wait_for(lambda e: isinstance(e, (h2e.StreamEnded, h2e.StreamReset))
                                   and e.stream_id == sid, timeout)

    async def response(self, sid: int, timeout: float = 10.0) -> tuple[dict[str, str], bytes]:
        """Wait for the end of *sid*'s response: (head fields, content)."""
        await self.ended(sid, timeout)
        return self.head(sid), self.data(sid)

    def head(self, sid: int) -> dict[str, str]:
        for ev in self.events:
            if isinstance(ev, h2e.ResponseReceived) and ev.stream_id == sid:
                return dict(ev.headers)
        raise AssertionError("no response head on stream %d" % sid)

    def data(self, sid: int) -> bytes:
        return b"".join(ev.data for ev in self.events
                        if isinstance(ev, h2e.DataReceived) and ev.stream_id == sid)

    def of(self, kind: type, sid: int | None = None) -> list[Any]:
        return [ev for ev in self.events if isinstance(ev, kind)
                and (sid is None or ev.stream_id == sid)]

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except OSError:
            pass


def parse_frames(data: bytes) -> list[Any]:
    """Every complete frame in *data* (hyperframe objects)."""
    frames = []
    pos = 0
    view = memoryview(data)
    while len(data) - pos >= 9:
        frame, length = Frame.parse_frame_header(view[pos:pos + 9])
        if len(data) - pos - 9 < length:
            break
        frame.parse_body(view[pos + 9:pos + 9 + length])
        frames.append(frame)
        pos += 9 + length
    return frames


async def read_to_eof(reader: asyncio.StreamReader, timeout: float = 10.0) -> bytes:
    async def drain() -> bytes:
        chunks = []
        while True:
            data = await reader.read(65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)

    return await asyncio.wait_for(drain(), timeout)


# -- round trips ----------------------------------------------------------------------


def test_get_round_trip_with_httpx(loop_kind):
    seen: dict[str, Any] = {}

    async def app(conn, stream, req):
        seen.update(method=req.method, path=req.path, query=req.query,
                    host=req.get_header("host"), version=req.version)
        assert await stream.read() == b""
        await conn.send_response(stream.stream_id, 200,
                                 [("content-type", "text/plain"), ("x-stream", str(stream.stream_id))],
                                 b"hello over h2")

    async def main():
        async with H2Server(app) as server:
            async with httpx.AsyncClient(http1=False, http2=True) as client:
                resp = await client.get("http://127.0.0.1:%d/path/x?q=1" % server.port)
            assert resp.http_version == "HTTP/2"
            assert resp.status_code == 200
            assert resp.headers["content-type"] == "text/plain"
            assert resp.content == b"hello over h2"
            sid = int(resp.headers["x-stream"])
            assert await server.outcome(sid) == "ok"
        assert seen == {"method": "GET", "path": "/path/x", "query": "q=1",
                        "host": "127.0.0.1:%d" % server.port, "version": (2, 0)}

    run(loop_kind, main)


def test_get_async_http2_connection_class_is_the_driver():
    assert http2.get_async_http2_connection_class() is AsyncHTTP2Connection


def test_post_body_streams_through_httpx(loop_kind):
    """A body larger than the stream window reaches the app in pieces; the
    client can only finish because reading grants it credit."""
    body = bytes(range(256)) * 1200  # 307200 octets, > 65535 stream window
    pieces: list[int] = []

    async def app(conn, stream, req):
        digest = hashlib.sha256()
        while True:
            chunk = await stream.read(16384)
            if not chunk:
                break
            pieces.append(len(chunk))
            digest.update(chunk)
        await stream.send_head(200, [("content-type", "text/plain")])
        await stream.send_data(("%d %s" % (sum(pieces), digest.hexdigest())).encode(),
                               end_stream=True)

    async def content():
        for at in range(0, len(body), 10000):
            yield body[at:at + 10000]

    async def main():
        async with H2Server(app) as server:
            async with httpx.AsyncClient(http1=False, http2=True) as client:
                resp = await client.post("http://127.0.0.1:%d/upload" % server.port,
                                         content=content())
            assert resp.status_code == 200
            assert resp.text == "%d %s" % (len(body), hashlib.sha256(body).hexdigest())
        assert max(pieces) <= 16384 and len(pieces) >= len(body) // 16384

    run(loop_kind, main)


def test_window_update_only_after_the_app_reads(loop_kind):
    """Backpressure: the client fills the stream window and stalls; credit
    comes back only as the application reads (RFC 9113 section 6.9)."""
    total = 200_000
    body = (b"0123456789abcdef" * (total // 16 + 1))[:total]
    go = None
    reads: list[int] = []

    async def app(conn, stream, req):
        await go.wait()
        received = bytearray()
        while True:
            chunk = await stream.read(10000)
            if not chunk:
                break
            reads.append(len(chunk))
            received += chunk
        await stream.send_head(200, [])
        await stream.send_data(hashlib.sha256(received).hexdigest().encode(), end_stream=True)

    async def main():
        nonlocal go
        go = asyncio.Event()
        async with H2Server(app) as server:
            client = await H2Client.connect(server.port)
            sid = await client.request(request_headers("POST", "/upload"), end_stream=False)
            window = client.h2.local_flow_control_window(sid)
            assert window == 65535
            client.h2.send_data(sid, body[:16384])
            client.h2.send_data(sid, body[16384:32768])
            client.h2.send_data(sid, body[32768:49152])
            client.h2.send_data(sid, body[49152:window])
            await client.flush()
            sent = window
            # the whole window is buffered server-side and the client is stalled
            await until(lambda: sid in server.conn.streams
                        and server.conn.streams[sid].body_buffered == window)
            await client.ping_barrier()
            assert client.h2.local_flow_control_window(sid) == 0
            assert client.of(h2e.WindowUpdated, sid) == []
            assert reads == []

            go.set()
            update = await client.wait_for(lambda e: isinstance(e, h2e.WindowUpdated)
                                           and e.stream_id == sid)
            assert 0 < update.delta <= 10000
            assert reads and reads[0] == 10000

            while sent < total:
                room = client.h2.local_flow_control_window(sid)
                if room == 0:
                    before = len(client.of(h2e.WindowUpdated, sid))
                    await client.wait_for(lambda e, n=before: len(client.of(h2e.WindowUpdated, sid)) > n)
                    continue
                step = min(room, total - sent, client.h2.max_outbound_frame_size)
                client.h2.send_data(sid, body[sent:sent + step])
                sent += step
                await client.flush()
            client.h2.end_stream(sid)
            await client.flush()
            head, data = await client.response(sid)
            assert head[":status"] == "200"
            assert data.decode() == hashlib.sha256(body).hexdigest()
            assert await server.outcome(sid) == "ok"
            await client.close()
        assert sum(reads) == total and max(reads) <= 10000

    run(loop_kind, main)


def test_100_continue_sent_on_first_read(loop_kind):
    async def app(conn, stream, req):
        data = await stream.read()
        while True:
            more = await stream.read()
            if not more:
                break
            data += more
        await conn.send_response(stream.stream_id, 200, [], data.upper())

    async def main():
        async with H2Server(app) as server:
            client = await H2Client.connect(server.port)
            sid = await client.request(request_headers("POST", "/", ("expect", "100-continue")),
                                       end_stream=False)
            info = await client.wait_for(lambda e: isinstance(e, h2e.InformationalResponseReceived))
            assert dict(info.headers)[":status"] == "100"
            client.h2.send_data(sid, b"payload", end_stream=True)
            await client.flush()
            head, data = await client.response(sid)
            assert head[":status"] == "200" and data == b"PAYLOAD"
            await client.close()

    run(loop_kind, main)


# -- concurrency -----------------------------------------------------------------------


def test_concurrent_streams_complete_out_of_order(loop_kind):
    """Three requests on one connection run at once; the server answers them
    in the reverse order of their arrival (frame-level check)."""
    gates: dict[str, asyncio.Event] = {}
    open_at_once: list[int] = []

    async def app(conn, stream, req):
        open_at_once.append(len(conn.adapters))
        await gates[req.path].wait()
        await conn.send_response(stream.stream_id, 200, [], req.path.encode() * 1000)

    async def main():
        for path in ("/a", "/b", "/c"):
            gates[path] = asyncio.Event()
        async with H2Server(app) as server:
            client = await H2Client.connect(server.port)
            ids = await client.get_each(("/a", "/b", "/c"))
            await until(lambda: len(open_at_once) == 3)
            for path in ("/c", "/b", "/a"):
                gates[path].set()
                await client.response(ids[path])
            ended = [ev.stream_id for ev in client.of(h2e.StreamEnded)]
            assert ended == [ids["/c"], ids["/b"], ids["/a"]]
            for path, sid in ids.items():
                assert client.data(sid) == path.encode() * 1000
                assert await server.outcome(sid) == "ok"
            await client.close()
        assert max(open_at_once) == 3

    run(loop_kind, main)


def test_concurrent_requests_through_httpx(loop_kind):
    """httpx multiplexes requests on one connection; each runs in its own
    task and the server finishes them in reverse order."""
    gates: dict[str, asyncio.Event] = {}
    arrived: list[str] = []
    completed: list[str] = []

    async def app(conn, stream, req):
        arrived.append(req.path)
        await gates[req.path].wait()
        await conn.send_response(stream.stream_id, 200, [], req.path.encode() * 1000)
        completed.append(req.path)

    async def main():
        for path in ("/a", "/b", "/c"):
            gates[path] = asyncio.Event()
        async with H2Server(app) as server:
            async with httpx.AsyncClient(http1=False, http2=True) as client:
                async def fetch(path):
                    resp = await client.get("http://127.0.0.1:%d%s" % (server.port, path))
                    assert resp.http_version == "HTTP/2" and resp.status_code == 200
                    return resp.content

                async def release():
                    await until(lambda: len(arrived) == 3)
                    for path in ("/c", "/b", "/a"):
                        gates[path].set()
                        await until(lambda p=path: completed[-1:] == [p])

                bodies = await asyncio.gather(fetch("/a"), fetch("/b"), fetch("/c"), release())
            assert bodies[:3] == [b"/a" * 1000, b"/b" * 1000, b"/c" * 1000]
            assert len(server.conns) == 1
        assert completed == ["/c", "/b", "/a"]

    run(loop_kind, main)


def test_concurrent_senders_take_turns(loop_kind):
    """Two tasks send large responses at once on one connection; their DATA
    frames interleave instead of one stream waiting for the other to end."""
    size = 256 * 1024

    async def app(conn, stream, req):
        fill = req.path.encode()[-1:]
        await stream.send_head(200, [("content-length", str(size))])
        await stream.send_data(fill * size, end_stream=True)

    async def main():
        async with H2Server(app) as server:
            client = await H2Client.connect(server.port)
            s1 = client.h2.get_next_available_stream_id()
            client.h2.send_headers(s1, request_headers("GET", "/x"), end_stream=True)
            s3 = client.h2.get_next_available_stream_id()
            client.h2.send_headers(s3, request_headers("GET", "/y"), end_stream=True)
            await client.flush()
            await client.response(s1)
            await client.response(s3)
            assert client.data(s1) == b"x" * size
            assert client.data(s3) == b"y" * size
            order = [ev.stream_id for ev in client.of(h2e.DataReceived)]
            first = {sid: order.index(sid) for sid in (s1, s3)}
            last = {sid: len(order) - 1 - order[::-1].index(sid) for sid in (s1, s3)}
            assert first[s1] < last[s3] and first[s3] < last[s1], order
            assert await server.outcome(s1) == "ok" and await server.outcome(s3) == "ok"
            await client.close()

    run(loop_kind, main)


def test_output_of_one_turn_leaves_whole_and_in_order(loop_kind):
    """Three streams queue responses of several frames in one turn of the
    loop (payloads of bytes by reference, a bytearray copied); the writes
    that join them deliver every stream's octets exactly, and a bytearray
    the application changes after handing it over is sent as it was."""
    size = 150 * 1024
    bodies = {"/a": bytes(range(256)) * (size // 256),
              "/b": bytes(reversed(range(256))) * (size // 256)}

    small = 40 * 1024  # one step of send_data: no yield before the change

    async def app(conn, stream, req):
        if req.path == "/c":
            await stream.send_head(200, [("content-length", str(small))])
            buf = bytearray(b"c" * small)
            await stream.send_data(buf, end_stream=True)
            buf[:] = b"X" * small  # before the turn's write: must not be sent
        else:
            await stream.send_head(200, [("content-length", str(size))])
            await stream.send_data(bodies[req.path], end_stream=True)

    async def main():
        async with H2Server(app) as server:
            client = await H2Client.connect(server.port)
            ids = await client.get_each(("/a", "/b", "/c"))
            for sid in ids.values():
                await client.response(sid)
            assert client.data(ids["/a"]) == bodies["/a"]
            assert client.data(ids["/b"]) == bodies["/b"]
            assert client.data(ids["/c"]) == b"c" * small
            await client.close()

    run(loop_kind, main)


# -- flow control on responses ---------------------------------------------------------------


def test_response_bigger_than_window_waits_for_window_update(loop_kind):
    size = 50_000
    payload = bytes(range(250)) * (size // 250)

    async def app(conn, stream, req):
        await conn.send_response(stream.stream_id, 200, [("content-length", str(size))],
                                 payload)

    async def main():
        async with H2Server(app) as server:
            client = await H2Client.connect(server.port, auto_ack=False,
                                            settings={SettingCodes.INITIAL_WINDOW_SIZE: 16384})
            sid = await client.request(GET)
            # the server sent what the window allows and waits for credit
            await until(lambda: server.conns and sid in server.conn._credit_waiters)
            await client.ping_barrier()
            assert len(client.data(sid)) == 16384
            assert not client.of(h2e.StreamEnded, sid)
            rounds = 0
            while not client.of(h2e.StreamEnded, sid):
                have = len(client.data(sid))
                rounds += 1
                client.h2.increment_flow_control_window(16384, stream_id=sid)
                await client.flush()
                await client.wait_for(lambda e, n=have: len(client.data(sid)) > n
                                      or isinstance(e, h2e.StreamEnded))
                if len(client.data(sid)) < size:
                    await until(lambda: sid in server.conn._credit_waiters
                                or sid not in server.conn.streams)
                await client.ping_barrier()
                # each increment lets exactly that much more through
                assert len(client.data(sid)) == min(size, have + 16384)
            assert client.data(sid) == payload
            assert rounds == 3  # 16384 + 3 * 16384 >= 50000
            assert await server.outcome(sid) == "ok"
            await client.close()

    run(loop_kind, main)


def test_zero_window_timeout_resets_with_cancel(loop_kind):
    def tune(conn):
        conn.zero_window_timeout = 0.3

    async def app(conn, stream, req):
        await stream.send_head(200, [])
        await stream.send_data(b"x" * 100, end_stream=True)

    async def main():
        async with H2Server(app, tune=tune) as server:
            client = await H2Client.connect(server.port, auto_ack=False,
                                            settings={SettingCodes.INITIAL_WINDOW_SIZE: 0})
            sid = await client.request(GET)
            reset = await client.wait_for(lambda e: isinstance(e, h2e.StreamReset)
                                          and e.stream_id == sid)
            assert reset.error_code == ErrorCodes.CANCEL
            assert client.head(sid)[":status"] == "200"
            assert client.data(sid) == b""
            outcome = await server.outcome(sid)
            assert isinstance(outcome, StreamCancelled) and outcome.error_code == C.CANCEL
            await client.close()

    run(loop_kind, main)


def test_peer_reset_cancels_a_waiting_send(loop_kind):
    async def app(conn, stream, req):
        if req.path == "/ok":
            await conn.send_response(stream.stream_id, 200, [], b"fine")
            return
        await stream.send_head(200, [])
        await stream.send_data(b"x" * 100, end_stream=True)

    async def main():
        async with H2Server(app) as server:  # zero_window_timeout: 30 s
            client = await H2Client.connect(server.port, auto_ack=False,
                                            settings={SettingCodes.INITIAL_WINDOW_SIZE: 0})
            sid = await client.request(request_headers("GET", "/stuck"))
            await until(lambda: server.conns and sid in server.conn._credit_waiters)
            client.h2.reset_stream(sid, ErrorCodes.CANCEL)
            await client.flush()
            outcome = await server.outcome(sid, timeout=5.0)
            assert isinstance(outcome, StreamCancelled)
            assert outcome.error_code == C.CANCEL
            assert isinstance(outcome, ConnectionResetError)
            # only that stream is gone
            client.h2.update_settings({SettingCodes.INITIAL_WINDOW_SIZE: 65535})
            await client.flush()
            sid2 = await client.request(request_headers("GET", "/ok"))
            head, data = await client.response(sid2)
            assert head[":status"] == "200" and data == b"fine"
            await client.close()

    run(loop_kind, main)


# -- trailers, informational responses ---------------------------------------------------------


def test_trailers_both_ways(loop_kind):
    got: dict[str, Any] = {}

    async def app(conn, stream, req):
        data = b""
        while True:
            chunk = await stream.read()
            if not chunk:
                break
            data += chunk
        got["body"] = data
        got["trailers"] = stream.request_trailers()
        await stream.send_head(200, [("trailer", "x-result")])
        await conn.send_data(stream.stream_id, b"content")
        await conn.send_trailers(stream.stream_id, [("x-result", "ok"), ("x-length", str(len(data)))])

    async def main():
        async with H2Server(app) as server:
            client = await H2Client.connect(server.port)
            sid = await client.request(request_headers("POST", "/t", ("te", "trailers")),
                                       end_stream=False)
            client.h2.send_data(sid, b"hello ")
            client.h2.send_data(sid, b"world")
            client.h2.send_headers(sid, [("x-checksum", "abc123")], end_stream=True)
            await client.flush()
            head, data = await client.response(sid)
            assert head[":status"] == "200" and data == b"content"
            trailers = client.of(h2e.TrailersReceived, sid)
            assert len(trailers) == 1
            assert trailers[0].headers == [("x-result", "ok"), ("x-length", "11")]
            assert await server.outcome(sid) == "ok"
            await client.close()
        assert got == {"body": b"hello world", "trailers": [("X-CHECKSUM", "abc123")]}

    run(loop_kind, main)


def test_early_hints_103(loop_kind):
    errors: list[BaseException] = []

    async def app(conn, stream, req):
        await stream.send_informational(103, [("link", "</style.css>; rel=preload; as=style")])
        await conn.send_informational(stream.stream_id, 103, [("link", "</app.js>; rel=preload")])
        try:
            await conn.send_informational(stream.stream_id, 200, [])
        except HTTP2Error as exc:
            errors.append(exc)
        await stream.send_head(200, [("content-type", "text/plain")])
        await stream.send_data(b"page", end_stream=True)
        try:
            await stream.send_informational(103, [("link", "</late>")])
        except (HTTP2Error, StreamCancelled) as exc:
            errors.append(exc)

    async def main():
        async with H2Server(app) as server:
            client = await H2Client.connect(server.port)
            sid = await client.request(GET)
            head, data = await client.response(sid)
            assert head[":status"] == "200" and data == b"page"
            hints = client.of(h2e.InformationalResponseReceived, sid)
            assert [dict(h.headers)[":status"] for h in hints] == ["103", "103"]
            assert [dict(h.headers)["link"] for h in hints] == [
                "</style.css>; rel=preload; as=style", "</app.js>; rel=preload"]
            kinds = [type(e) for e in client.events if getattr(e, "stream_id", None) == sid]
            assert kinds.index(h2e.InformationalResponseReceived) < kinds.index(
                h2e.ResponseReceived)
            assert await server.outcome(sid) == "ok"
            await client.close()
        assert len(errors) == 2

    run(loop_kind, main)


# -- errors, lifecycle -----------------------------------------------------------------------------

SETTINGS_FRAME = raw_frame(0x4, 0, 0)


@pytest.mark.parametrize("bad, code", [
    (raw_frame(0x5, 0x4, 1, b"\x00\x00\x00\x02"), C.PROTOCOL_ERROR),       # PUSH_PROMISE from a client
    (raw_frame(0x8, 0, 0, b"\x00\x00\x00\x00"), C.PROTOCOL_ERROR),         # WINDOW_UPDATE of 0 on stream 0
    ((20000).to_bytes(3, "big") + b"\x00\x00\x00\x00\x00\x01", C.FRAME_SIZE_ERROR),  # DATA over max
], ids=["push-promise", "zero-window-update", "frame-too-large"])
def test_protocol_error_sends_goaway_with_its_code(loop_kind, bad, code):
    async def app(conn, stream, req):  # pragma: no cover - never called
        raise AssertionError("no request expected")

    async def main():
        async with H2Server(app) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(PREFACE + SETTINGS_FRAME + bad)
            await writer.drain()
            frames = parse_frames(await read_to_eof(reader))
            goaways = [f for f in frames if isinstance(f, GoAwayFrame)]
            assert len(goaways) == 1 and goaways[0].error_code == code
            conn = server.conn
            assert conn.is_closed and conn.protocol.is_closed
            assert conn.error is not None and conn.error.error_code == code
            assert conn.writer.is_closing()
            writer.close()

    run(loop_kind, main)


def test_invalid_preface_gets_goaway_protocol_error(loop_kind):
    async def app(conn, stream, req):  # pragma: no cover - never called
        raise AssertionError("no request expected")

    async def main():
        async with H2Server(app) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            frames = parse_frames(await read_to_eof(reader))
            assert [f.error_code for f in frames if isinstance(f, GoAwayFrame)] == [
                C.PROTOCOL_ERROR]
            writer.close()

    run(loop_kind, main)


def test_rejected_request_answered_without_the_app(loop_kind):
    calls: list[str] = []

    async def app(conn, stream, req):
        calls.append(req.path)
        await conn.send_response(stream.stream_id, 204, [])

    async def main():
        async with H2Server(app) as server:
            client = await H2Client.connect(server.port)
            sid = await client.request(request_headers("GET", "/bad", ("expect", "nonsense")))
            head, data = await client.response(sid)
            assert head[":status"] == "417"
            assert head["content-type"].startswith("text/plain")
            sid2 = await client.request(request_headers("GET", "/good"))
            head2, _ = await client.response(sid2)
            assert head2[":status"] == "204"
            await client.close()
        assert calls == ["/good"]

    run(loop_kind, main)


def test_unfinished_responses_are_reset_when_the_app_returns(loop_kind):
    async def app(conn, stream, req):
        if req.path == "/head-only":
            await stream.send_head(200, [])
        elif req.path == "/fails":
            raise RuntimeError("boom")
        # "/nothing": returns without any response

    async def main():
        async with H2Server(app) as server:
            client = await H2Client.connect(server.port)
            s1 = await client.request(request_headers("GET", "/head-only"))
            s3 = await client.request(request_headers("GET", "/nothing"))
            s5 = await client.request(request_headers("GET", "/fails"))
            for sid in (s1, s3, s5):
                await client.ended(sid)
            assert [r.error_code for r in client.of(h2e.StreamReset, s1)] == [ErrorCodes.CANCEL]
            assert [r.error_code for r in client.of(h2e.StreamReset, s3)] == [
                ErrorCodes.INTERNAL_ERROR]
            assert client.head(s5)[":status"] == "500"
            assert client.data(s5) == b"failed: RuntimeError"
            await client.close()

    run(loop_kind, main)


def test_receive_data_timeout(loop_kind):
    async def app(conn, stream, req):
        await conn.send_response(stream.stream_id, 200, [], b"still here")

    async def main():
        async with H2Server(app, read_timeout=0.2) as server:
            client = await H2Client.connect(server.port)
            await client.wait_for(lambda e: isinstance(e, h2e.SettingsAcknowledged))
            await until(lambda: server.timeouts >= 1)
            assert not server.conn.is_closed
            sid = await client.request(GET)
            head, data = await client.response(sid)
            assert head[":status"] == "200" and data == b"still here"
            await client.close()

    run(loop_kind, main)


def test_receive_data_timeout_raises_asyncio_timeout_error(loop_kind):
    caught: list[BaseException] = []

    async def handler(server, reader, writer):
        conn = server.make_conn(reader, writer)
        await conn.initiate_connection()
        try:
            await conn.receive_data(timeout=0.05)
        except asyncio.TimeoutError as exc:
            caught.append(exc)
        await conn.close()

    async def main():
        async with H2Server(None, handler=handler) as server:  # type: ignore[arg-type]
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            frames = parse_frames(await read_to_eof(reader))
            assert [type(f).__name__ for f in frames][:1] == ["SettingsFrame"]
            writer.close()
        assert len(caught) == 1 and isinstance(caught[0], asyncio.TimeoutError)

    run(loop_kind, main)


def test_close_sends_goaway_closes_the_writer_and_cancels_waiters(loop_kind):
    async def app(conn, stream, req):
        if req.path == "/upload":
            await stream.read()  # waits: the client sends no content
            raise AssertionError("read returned")  # pragma: no cover
        await conn.send_response(stream.stream_id, 200, [], b"done")

    async def main():
        async with H2Server(app) as server:
            client = await H2Client.connect(server.port)
            s1 = await client.request(GET)
            await client.response(s1)
            s3 = await client.request(request_headers("POST", "/upload"), end_stream=False)
            await until(lambda: s3 in server.conn.adapters)
            conn = server.conn
            await conn.close()
            assert conn.is_closed and conn.writer.is_closing()
            await conn.close()  # again: nothing happens
            outcome = await server.outcome(s3)
            assert isinstance(outcome, StreamCancelled)
            rest = await read_to_eof(client.reader)
            goaways = [f for f in parse_frames(rest) if isinstance(f, GoAwayFrame)]
            assert len(goaways) == 1
            assert goaways[0].error_code == C.NO_ERROR and goaways[0].last_stream_id == s3
            await client.close()

    run(loop_kind, main)


def test_graceful_goaway_lets_running_streams_finish(loop_kind):
    gate = None

    async def app(conn, stream, req):
        await gate.wait()
        await conn.send_response(stream.stream_id, 200, [], b"finished")

    async def main():
        nonlocal gate
        gate = asyncio.Event()
        async with H2Server(app) as server:
            client = await H2Client.connect(server.port)
            s1 = await client.request(GET)
            await until(lambda: s1 in server.conn.adapters)
            conn = server.conn
            assert await conn.goaway() is False  # stream 1 still runs
            goaway = await client.wait_for(lambda e: isinstance(e, h2e.ConnectionTerminated))
            assert goaway.error_code == ErrorCodes.NO_ERROR and goaway.last_stream_id == s1
            assert conn.draining and not conn.finished
            gate.set()
            assert await server.outcome(s1) == "ok"
            # the last stream's task closes the connection
            rest = parse_frames(await read_to_eof(client.reader))
            assert [type(f).__name__ for f in rest] == ["HeadersFrame", "DataFrame"]
            assert rest[1].stream_id == s1 and rest[1].data == b"finished"
            assert "END_STREAM" in rest[1].flags
            assert conn.finished and conn.writer.is_closing()
            await client.close()

    run(loop_kind, main)


def test_peer_closing_wakes_waiting_tasks(loop_kind):
    async def app(conn, stream, req):
        await stream.read()

    async def main():
        async with H2Server(app) as server:
            client = await H2Client.connect(server.port)
            sid = await client.request(request_headers("POST", "/"), end_stream=False)
            await until(lambda: sid in server.conn.adapters)
            await client.close()
            outcome = await server.outcome(sid)
            assert isinstance(outcome, StreamCancelled)
            await until(lambda: server.conn.is_closed)

    run(loop_kind, main)


def test_h2c_upgrade_makes_the_request_stream_1(loop_kind):
    async def app(conn, stream, req):
        await conn.send_response(stream.stream_id, 200, [],
                                 ("%s %s" % (req.method, req.path)).encode())

    async def handler(server, reader, writer):
        head_bytes = await reader.readuntil(b"\r\n\r\n")
        lines = head_bytes.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ")
        headers = []
        for line in lines[1:]:
            if line:
                name, value = line.split(":", 1)
                headers.append((name.strip().upper(), value.strip()))
        settings = h2c_upgrade_settings(headers)
        assert settings is not None
        path, _, query = target.partition("?")
        head = SimpleNamespace(method=method, uri=target, path=path, query=query,
                               fragment="", headers=headers, scheme="http")
        conn = server.make_conn(reader, writer)
        server.start(conn, await conn.initiate_upgrade(settings, head))
        await server.serve(conn)

    async def main():
        async with H2Server(app, handler=handler) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            client = H2Client(reader, writer, auto_ack=True)
            settings = client.h2.initiate_upgrade_connection()
            writer.write(b"GET /up?x=1 HTTP/1.1\r\nHost: localhost\r\n"
                         b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                         b"HTTP2-Settings: " + settings + b"\r\n\r\n")
            await writer.drain()
            status = await reader.readuntil(b"\r\n\r\n")
            assert status.startswith(b"HTTP/1.1 101 ")
            await client.flush()  # the client preface
            head, data = await client.response(1)
            assert head[":status"] == "200" and data == b"GET /up"
            assert await server.outcome(1) == "ok"
            await client.close()

    run(loop_kind, main)


def test_wait_closed_reports_the_peer_going_away(loop_kind):
    seen: dict[str, Any] = {}

    async def app(conn, stream, req):
        if req.path == "/complete":
            await conn.send_response(stream.stream_id, 200, [], b"all")
            await asyncio.wait_for(stream.wait_closed(), 5.0)
            seen["complete"] = stream.stream.reset_code
            return
        await stream.send_head(200, [])
        await stream.send_data(b"partial")
        await stream.wait_closed()  # the response never ends: the client resets
        seen["watch"] = (stream.stream.reset_code, stream.stream.reset_remote)

    async def main():
        async with H2Server(app) as server:
            client = await H2Client.connect(server.port)
            sid = await client.request(request_headers("GET", "/complete"))
            await client.response(sid)
            assert await server.outcome(sid) == "ok"
            sid = await client.request(request_headers("GET", "/watch"))
            await client.wait_for(lambda e: isinstance(e, h2e.DataReceived) and e.stream_id == sid)
            client.h2.reset_stream(sid, ErrorCodes.CANCEL)
            await client.flush()
            assert await server.outcome(sid) == "ok"
            await client.close()
        assert seen == {"complete": None, "watch": (C.CANCEL, True)}

    run(loop_kind, main)


def test_tls_with_alpn_h2_through_httpx(loop_kind):
    """Over TLS (ALPN h2) the scheme is https; a body bigger than the windows
    goes both ways through the SSL transport."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    server_ctx.set_alpn_protocols(["h2"])
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    upload = bytes(range(256)) * 800  # 204800 octets
    seen: dict[str, Any] = {}

    async def app(conn, stream, req):
        seen.update(scheme=req.scheme, is_ssl=conn.is_ssl)
        data = bytearray()
        while True:
            chunk = await stream.read(32768)
            if not chunk:
                break
            data += chunk
        reply = bytes(data) * 2
        await stream.send_head(200, [("content-length", str(len(reply)))])
        await stream.send_data(reply, end_stream=True)

    async def main():
        async with H2Server(app, ssl_context=server_ctx) as server:
            async with httpx.AsyncClient(http1=False, http2=True, verify=client_ctx) as client:
                resp = await client.post("https://127.0.0.1:%d/echo" % server.port,
                                         content=upload)
            assert resp.http_version == "HTTP/2" and resp.status_code == 200
            assert resp.content == upload * 2
        assert seen == {"scheme": "https", "is_ssl": True}

    run(loop_kind, main)


def test_receive_data_takes_bytes_already_read(loop_kind):
    """A worker that peeked at the preface (h2c prior knowledge) hands those
    octets to ``receive_data(data=...)`` instead of reading them again."""
    peeked: list[bytes] = []

    async def app(conn, stream, req):
        await conn.send_response(stream.stream_id, 200, [], b"after the preface")

    async def handler(server, reader, writer):
        initial = await reader.readexactly(len(PREFACE))
        peeked.append(initial)
        conn = server.make_conn(reader, writer)
        await conn.initiate_connection()
        server.start(conn, await conn.receive_data(data=initial))
        await server.serve(conn)

    async def main():
        async with H2Server(app, handler=handler) as server:
            client = await H2Client.connect(server.port)
            sid = await client.request(GET)
            head, data = await client.response(sid)
            assert head[":status"] == "200" and data == b"after the preface"
            await client.close()
        assert peeked == [PREFACE]

    run(loop_kind, main)


def test_request_content_timeout_resets_with_cancel(loop_kind):
    def tune(conn):
        conn.read_timeout = 0.2

    async def app(conn, stream, req):
        await stream.read()

    async def main():
        async with H2Server(app, tune=tune) as server:
            client = await H2Client.connect(server.port)
            sid = await client.request(request_headers("POST", "/slow"), end_stream=False)
            reset = await client.ended(sid)
            assert isinstance(reset, h2e.StreamReset) and reset.error_code == ErrorCodes.CANCEL
            outcome = await server.outcome(sid)
            assert isinstance(outcome, StreamCancelled) and outcome.error_code == C.CANCEL
            await client.close()

    run(loop_kind, main)


def test_reset_and_error_after_the_head(loop_kind):
    """``reset_stream`` wakes another task reading the same stream;
    ``send_error`` after the head can only reset (INTERNAL_ERROR)."""
    reader_outcome: list[Any] = []

    async def app(conn, stream, req):
        if req.path == "/late-error":
            await stream.send_head(200, [])
            await conn.send_error(stream.stream_id, 500, "too late")
            return

        async def read_it():
            try:
                await stream.read()
            except StreamCancelled as exc:
                reader_outcome.append(exc.error_code)

        task = asyncio.get_running_loop().create_task(read_it())
        await until(lambda: stream._data is not None)  # the reader waits
        await conn.reset_stream(stream.stream_id, C.CANCEL)
        await asyncio.wait_for(task, 5.0)

    async def main():
        async with H2Server(app) as server:
            client = await H2Client.connect(server.port)
            s1 = await client.request(request_headers("GET", "/late-error"))
            s3 = await client.request(request_headers("POST", "/read"), end_stream=False)
            for sid, code in ((s1, ErrorCodes.INTERNAL_ERROR), (s3, ErrorCodes.CANCEL)):
                reset = await client.ended(sid)
                assert isinstance(reset, h2e.StreamReset) and reset.error_code == code
            assert await server.outcome(s1) == "ok" and await server.outcome(s3) == "ok"
            await client.close()
        assert reader_outcome == [C.CANCEL]

    run(loop_kind, main)


def test_peer_not_reading_the_socket_fails_the_connection(loop_kind):
    """Windows wide open but the client never reads: the transport fills,
    the sender waits for it to drain, and after ``zero_window_timeout``
    seconds the connection is aborted instead of buffering without end."""
    size = 32 * 1024 * 1024

    def tune(conn):
        conn.zero_window_timeout = 0.5

    async def app(conn, stream, req):
        await stream.send_head(200, [])
        await stream.send_data(b"z" * size, end_stream=True)

    async def main():
        async with H2Server(app, tune=tune) as server:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
            client = H2Client(*await asyncio.open_connection(sock=sock), auto_ack=False)
            client.h2.local_settings = Settings(client=True, initial_values={
                SettingCodes.INITIAL_WINDOW_SIZE: 2 ** 31 - 1})
            client.h2.initiate_connection()
            client.h2.increment_flow_control_window(2 ** 31 - 1 - 65535)
            await client.request(GET)  # and never read again
            outcome = await server.outcome(1, timeout=20.0)
            assert isinstance(outcome, StreamCancelled)
            conn = server.conn
            assert conn.closed
            await client.close()

    run(loop_kind, main)
