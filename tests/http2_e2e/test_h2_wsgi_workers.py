"""HTTP/2 on the WSGI workers, end to end: real server processes, real clients
(httpx, raw ``h2`` connections, curl, nghttp, h2load).

The behaviour tests run on every WSGI worker class that serves HTTP/2
(``H2_WSGI_WORKERS``: gthread, gevent, eventlet; ids ``[gevent]``), through
the ``worker`` and ``h2_server`` fixtures of conftest.py.  The tests of the
gthread thread pool (``--threads``) run on gthread only; what only the
greenlet workers do is in tests/workers_async_h2.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from email.utils import parsedate_to_datetime

import httpx
import pytest
from h2_client import H2Client
from h2e2e_support import APP_ARGS, gthread_h2, h2_worker, tls_args
from h2e2e_support import h2_client as _client

from tests.support.client import read_until_close
from tests.support.server import run_server


def _httpx(files) -> httpx.Client:
    return httpx.Client(http2=True, verify=files.client_context(), timeout=20)


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in %.1fs" % timeout
        time.sleep(0.02)


# -- httpx over TLS (ALPN h2) ------------------------------------------------------


def test_httpx_get_post_large(h2_server, tls_files):
    base = h2_server.url
    with _httpx(tls_files) as c:
        r = c.get(base + "/")
        assert r.http_version == "HTTP/2"
        assert (r.status_code, r.text) == (200, "hello")
        # a body larger than every window: flow control both ways
        body = os.urandom(3 * 1024 * 1024 + 17)
        r = c.post(base + "/echo?x=1", content=body)
        info = r.json()
        assert r.http_version == "HTTP/2"
        assert info["length"] == len(body)
        assert info["sha256"] == hashlib.sha256(body).hexdigest()
        assert info["protocol"] == "HTTP/2.0" and info["version"] == "2"
        assert info["host"] == "127.0.0.1:%d" % h2_server.port
        assert info["scheme"] == "https"
        assert info["weight"] == 16 and info["depends_on"] == 0
        r = c.get(base + "/big?5000001")
        assert len(r.content) == 5000001
        assert r.content[:256] == bytes(range(256))
        r = c.get(base + "/error")
        assert r.status_code == 500 and r.http_version == "HTTP/2"
        r = c.head(base + "/")
        assert r.status_code == 200 and r.content == b""
        assert r.headers["content-length"] == "5"


# -- concurrency and fairness --------------------------------------------------------


def test_responses_carry_one_date_field(h2_server, tls_files):
    """RFC 9110 section 6.6.1: a Date field on every response, the server's
    own (an application's Date is replaced, as on HTTP/1.1), never two."""
    base = h2_server.url
    for client in (_httpx(tls_files), httpx.Client(verify=tls_files.client_context(), timeout=20)):
        with client as c:
            for path in ("/", "/dated"):
                r = c.get(base + path)
                assert r.status_code == 200
                (date,) = r.headers.get_list("date")
                assert abs(parsedate_to_datetime(date).timestamp() - time.time()) < 10


def test_100_concurrent_streams_wait_on_each_other(h2_server, tls_files):
    """Stream 2k waits for stream 2k+1 and vice versa: only concurrent
    execution of one connection's streams completes them (8 pool threads on
    gthread, one greenlet per stream on gevent/eventlet)."""
    client = _client(h2_server, tls_files)
    try:
        sids = [client.request("GET", "/rendezvous/%d" % n) for n in range(100)]
        client.wait(lambda: all(client.exchanges[s].ended or client.exchanges[s].reset
                                for s in sids), timeout=30)
        bodies = [bytes(client.exchanges[s].data) for s in sids]
        assert bodies == [b"ok"] * 100
    finally:
        client.close()


def test_100_concurrent_streams_from_httpx_async(h2_server, tls_files):
    """The same rendezvous driven by httpx's async client over one connection."""

    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(http2=True, verify=tls_files.client_context(), timeout=30,
                                     limits=limits) as c:
            await c.get(h2_server.url + "/")  # the one connection, established
            return await asyncio.gather(*(c.get(h2_server.url + "/rendezvous/%d" % n)
                                          for n in range(100)))

    responses = asyncio.run(run())
    assert [r.http_version for r in responses] == ["HTTP/2"] * 100
    assert [r.text for r in responses] == ["ok"] * 100


def test_blocked_connection_does_not_starve_others(tls_files):
    """With 2 pool threads: one stream blocks a thread, idle HTTP/2
    connections hold none, so other connections are still served."""
    with gthread_h2(tls_files, threads=2) as srv:
        blocked = _client(srv, tls_files)
        idle = [_client(srv, tls_files) for _ in range(3)]
        try:
            sid = blocked.request("GET", "/block")
            for c in idle:
                assert c.get("/").data == b"hello"
            # idle connections now wait for frames: served without them
            other = _client(srv, tls_files)
            assert other.get("/").data == b"hello"
            with _httpx(tls_files) as hc:
                assert hc.get(srv.url + "/").text == "hello"
            with httpx.Client(http2=False, verify=tls_files.client_context(), timeout=20) as h1:
                r = h1.get(srv.url + "/")
                assert r.http_version == "HTTP/1.1" and r.text == "hello"
            assert other.get("/release").data == b"done"
            blocked.wait(lambda: blocked.exchanges[sid].ended)
            assert blocked.exchanges[sid].data == b"released"
            other.close()
        finally:
            blocked.close()
            for c in idle:
                c.close()


def test_default_single_thread_serves_several_connections(tls_files):
    """``--threads 1``: HTTP/2 connections waiting for frames hold no thread,
    so connections opened together are all served, one stream at a time."""
    with gthread_h2(tls_files, threads=1) as srv:
        clients = [_client(srv, tls_files) for _ in range(4)]
        try:
            for _round in range(2):
                for c in clients:
                    assert c.get("/").data == b"hello"
            with httpx.Client(http2=False, verify=tls_files.client_context(), timeout=20) as h1:
                assert h1.get(srv.url + "/").text == "hello"
            sids = [c.request("GET", "/sleep?0.05") for c in clients]
            for c, sid in zip(clients, sids, strict=True):
                c.wait(lambda c=c, sid=sid: c.exchanges[sid].ended)
                assert c.exchanges[sid].data == b"slept"
        finally:
            for c in clients:
                c.close()


def _peak_rss_kib(pid: int) -> int:
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_slow_reader_backpressure_bounds_memory(h2_server, tls_files):
    """A 24 MiB upload to an application reading slowly: the server buffers
    at most the flow-control windows (WINDOW_UPDATE only as the application
    reads), so its peak RSS grows far less than the upload."""
    (worker,) = h2_server.worker_pids()
    client = _client(h2_server, tls_files)
    try:
        assert client.get("/").data == b"hello"
        before = _peak_rss_kib(worker)
        body = os.urandom(1 << 20) * 24
        sid = client.request("POST", "/slowread", body=body)
        client.wait(lambda: client.exchanges[sid].ended, timeout=40)
        info = json.loads(bytes(client.exchanges[sid].data))
        assert info == {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        grown = _peak_rss_kib(worker) - before
        assert grown < 8 * 1024, "peak RSS grew by %d KiB" % grown
    finally:
        client.close()


# -- early hints and trailers ----------------------------------------------------------


def test_early_hints_are_103_headers(h2_server, tls_files):
    client = _client(h2_server, tls_files)
    try:
        ex = client.get("/hints")
        assert [dict(block)[b":status"] for block in ex.informational] == [b"103", b"103"]
        assert dict(ex.informational[0])[b"link"] == b"</style.css>; rel=preload; as=style"
        assert dict(ex.informational[1])[b"link"] == b"</app.js>; rel=preload; as=script"
        assert ex.status == 200 and ex.data == b"hinted"
    finally:
        client.close()


@pytest.mark.skipif(shutil.which("nghttp") is None, reason="nghttp not installed")
def test_early_hints_seen_by_nghttp(h2_server):
    out = subprocess.run(["nghttp", "-v", h2_server.url + "/hints"], capture_output=True,
                         text=True, timeout=20).stdout
    assert out.count(":status: 103") == 2
    assert "link: </style.css>; rel=preload; as=style" in out
    assert out.index(":status: 103") < out.index(":status: 200")
    # the hints came as HEADERS frames, never as HTTP/1.1 bytes in DATA
    assert "HTTP/1.1 103" not in out
    assert "hinted" in out


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_early_hints_and_trailers_seen_by_curl(h2_server, tls_files):
    out = subprocess.run(["curl", "-sv", "--http2", "--cacert", tls_files.ca_path,
                          h2_server.url + "/hints"], capture_output=True, text=True,
                         timeout=20)
    assert "< HTTP/2 103" in out.stderr and "< HTTP/2 200" in out.stderr
    assert out.stdout == "hinted"
    out = subprocess.run(["curl", "-sv", "--http2", "--cacert", tls_files.ca_path,
                          h2_server.url + "/trailers"], capture_output=True, text=True,
                         timeout=20)
    assert "< x-checksum: abc123" in out.stderr
    assert out.stdout == "body with trailers"


def test_trailers_both_ways(h2_server, tls_files):
    client = _client(h2_server, tls_files)
    try:
        sid = client.request("POST", "/echo", body=b"payload",
                             trailers=[("x-request-checksum", "xyz")])
        client.wait(lambda: client.exchanges[sid].ended)
        info = json.loads(bytes(client.exchanges[sid].data))
        assert info["length"] == 7
        assert info["trailers"] == [["X-REQUEST-CHECKSUM", "xyz"]]
        ex = client.get("/trailers")
        assert ex.data == b"body with trailers"
        assert ex.trailers == [(b"x-checksum", b"abc123"), (b"grpc-status", b"0")]
    finally:
        client.close()


def test_failure_after_head_resets_only_that_stream(h2_server, tls_files):
    client = _client(h2_server, tls_files)
    try:
        ex = client.get("/fail-late")
        assert ex.status == 200 and ex.reset == 2  # INTERNAL_ERROR
        assert client.get("/").data == b"hello"
    finally:
        client.close()


def test_each_piece_of_a_streamed_response_leaves_before_the_next_is_made(h2_server, tls_files):
    """Output waits in the connection's queue only until the writer runs:
    the first piece of a streamed response reaches the client while the
    application still waits to make the second (it waits for a request the
    client sends only after receiving the first piece)."""
    client = _client(h2_server, tls_files)
    try:
        sid = client.request("GET", "/piecewise")
        ex = client.exchanges[sid]
        client.wait(lambda: len(ex.data) >= 20000, timeout=10)
        assert ex.data == b"a" * 20000 and not ex.ended
        assert client.get("/release-piece").data == b"done"
        client.wait(lambda: ex.ended)
        assert ex.data == b"a" * 20000 + b"b" * 20000
    finally:
        client.close()


# -- reset and shutdown ------------------------------------------------------------------


def test_rst_stream_stops_the_response(h2_server, tls_files, tmp_path):
    """The peer resets a long response: the application's thread (greenlet)
    is released at its next write, and the connection serves other streams."""
    progress = tmp_path / "progress"
    client = _client(h2_server, tls_files)
    try:
        sid = client.request("GET", "/slow?" + str(progress))
        ex = client.exchanges[sid]
        client.wait(lambda: len(ex.data) > 0)
        client.conn.reset_stream(sid, 8)  # CANCEL
        client.flush()

        def lines() -> int:
            return len(progress.read_text().splitlines()) if progress.exists() else 0

        # the generator stops: the count stays put for a while, far below 200
        deadline = time.monotonic() + 10
        last, stable_since = lines(), time.monotonic()
        while time.monotonic() - stable_since < 0.6:
            assert time.monotonic() < deadline, "the application kept writing"
            time.sleep(0.05)
            now = lines()
            if now != last:
                last, stable_since = now, time.monotonic()
        assert last < 50
        assert client.get("/").data == b"hello"
    finally:
        client.close()


def test_goaway_on_term_completes_streams_in_flight(worker, tls_files, tmp_path):
    with h2_worker(worker, tls_files, "--graceful-timeout", "10") as srv:
        client = _client(srv, tls_files)
        try:
            started = tmp_path / "started"
            sid = client.request("GET", "/sleep?1.0:" + str(started))
            _wait_for(started.exists)  # the stream reached the application
            srv.signal(signal.SIGTERM)
            ex = client.exchanges[sid]
            client.wait(lambda: client.goaway is not None and ex.ended, timeout=15)
            assert client.goaway.error_code == 0
            assert client.goaway.last_stream_id >= sid
            assert ex.status == 200 and ex.data == b"slept"
            # then the server closes the connection
            client.wait(lambda: client.closed, timeout=10)
        finally:
            client.close()
        assert srv.proc.wait(15) == 0
        assert "graceful timeout" not in srv.output()


def test_zero_window_times_out_without_blocking_others(worker, tls_files):
    """A client that never grants credit: its stream is reset (CANCEL) after
    the timeout, while other streams and connections are served."""
    with h2_worker(worker, tls_files, "--timeout", "2", threads=2) as srv:
        stuck = _client(srv, tls_files)
        try:
            stuck.conn.acknowledge_received_data = lambda *a, **k: None  # grant nothing
            sid = stuck.request("GET", "/big?10000000")
            # no WINDOW_UPDATE: the server stops at the window
            other = _client(srv, tls_files)
            try:
                for _ in range(3):
                    assert other.get("/").data == b"hello"
            finally:
                other.close()
            ex = stuck.exchanges[sid]
            stuck.wait(lambda: ex.reset is not None, timeout=15)
            assert ex.reset == 8 and len(ex.data) <= 65535
        finally:
            stuck.close()


def test_max_requests_counts_streams(worker, tls_files):
    with h2_worker(worker, tls_files, "--max-requests", "3", threads=2) as srv:
        client = _client(srv, tls_files)
        try:
            for _ in range(3):
                assert client.get("/").data == b"hello"
            # the third stream used the budget: the worker drains with GOAWAY
            client.wait(lambda: client.goaway is not None, timeout=15)
            assert client.goaway.error_code == 0
            srv.wait_for_output(r"Autorestarting worker", timeout=10)
        finally:
            client.close()


def test_idle_connection_gets_goaway(worker, tls_files):
    with h2_worker(worker, tls_files, "--keep-alive", "1", threads=2) as srv:
        client = _client(srv, tls_files)
        try:
            assert client.get("/").data == b"hello"
            client.wait(lambda: client.goaway is not None, timeout=10)
            assert client.goaway.error_code == 0
            client.wait(lambda: client.closed, timeout=10)
        finally:
            client.close()


def test_max_concurrent_streams_refused(worker, tls_files):
    """Streams beyond http2_max_concurrent_streams get RST_STREAM
    (REFUSED_STREAM, RFC 9113 section 5.1.2); the open ones are served."""
    with h2_worker(worker, tls_files, "--http2-max-concurrent-streams", "2") as srv:
        client = _client(srv, tls_files)
        try:
            assert client.get("/").data == b"hello"  # SETTINGS exchanged
            # h2 would refuse to open them: lift the client-side limit
            remote = client.conn.remote_settings
            remote.max_concurrent_streams = 100
            remote.acknowledge()
            held = [client.request("GET", "/block") for _ in range(2)]
            extra = client.request("GET", "/")
            client.wait(lambda: client.exchanges[extra].reset is not None)
            assert client.exchanges[extra].reset == 7  # REFUSED_STREAM
            other = _client(srv, tls_files)
            try:
                assert other.get("/release").data == b"done"
            finally:
                other.close()
            client.wait(lambda: all(client.exchanges[s].ended for s in held))
            assert [bytes(client.exchanges[s].data) for s in held] == [b"released"] * 2
        finally:
            client.close()


def test_expect_100_continue(h2_server, tls_files):
    client = _client(h2_server, tls_files)
    try:
        sid = client.request("POST", "/echo", headers=[("expect", "100-continue")], end=False)
        ex = client.exchanges[sid]
        client.wait(lambda: ex.informational, timeout=10)
        assert dict(ex.informational[0])[b":status"] == b"100"
        client.send_body(sid, b"12345", end_stream=True)
        client.wait(lambda: ex.ended)
        assert json.loads(bytes(ex.data))["length"] == 5
    finally:
        client.close()


def test_rapid_reset_closes_that_connection_only(h2_server, tls_files):
    """HEADERS then RST_STREAM, over and over (CVE-2023-44487): the server
    ends that connection with GOAWAY ENHANCE_YOUR_CALM; others are served."""
    client = _client(h2_server, tls_files)
    try:
        for _ in range(600):
            sid = client.conn.get_next_available_stream_id()
            client.conn.send_headers(sid, [(":method", "GET"), (":scheme", "https"),
                                           (":authority", client.authority),
                                           (":path", "/sleep?0.2")])
            client.conn.reset_stream(sid, 8)
        client.flush()
        client.wait(lambda: client.goaway is not None, timeout=15)
        assert client.goaway.error_code == 0xB
    except (ConnectionError, OSError):
        assert client.goaway is not None and client.goaway.error_code == 0xB
    finally:
        client.close()
    other = _client(h2_server, tls_files)
    try:
        assert other.get("/").data == b"hello"
    finally:
        other.close()


# -- negotiation -------------------------------------------------------------------------


def test_alpn_http11_only_client_gets_http11(h2_server, tls_files):
    ctx = tls_files.client_context(alpn=["http/1.1"])
    with socket.create_connection((h2_server.host, h2_server.port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            assert s.selected_alpn_protocol() == "http/1.1"
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = read_until_close(s)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n") and data.endswith(b"hello")
    with _httpx(tls_files) as c:
        assert c.get(h2_server.url + "/").http_version == "HTTP/2"
    with httpx.Client(http2=False, verify=tls_files.client_context(), timeout=20) as c:
        assert c.get(h2_server.url + "/").http_version == "HTTP/1.1"


def test_h2_only_refuses_http11_clients_clearly(worker, tls_files):
    with run_server("--worker-class", worker, "--http-protocols", "h2",
                    *tls_args(tls_files), *APP_ARGS) as srv:
        ctx = tls_files.client_context(alpn=["http/1.1"])
        with socket.create_connection((srv.host, srv.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                data = read_until_close(s)
        assert data.startswith(b"HTTP/1.1 505 HTTP Version Not Supported\r\n")
        assert b"HTTP/2 only" in data
        client = _client(srv, tls_files)
        try:
            assert client.get("/").data == b"hello"
        finally:
            client.close()


@pytest.mark.parametrize("on_connect", [False, True])
def test_alpn_read_after_an_explicit_handshake(worker, on_connect, tls_files):
    """The worker completes the TLS handshake itself before it reads the ALPN
    result, whatever --do-handshake-on-connect says (off: the wrap does not
    handshake, so an ALPN read right after it would see nothing)."""
    extra = ("--do-handshake-on-connect",) if on_connect else ()
    with h2_worker(worker, tls_files, *extra) as srv:
        client = _client(srv, tls_files)
        try:
            assert client.get("/").data == b"hello"
        finally:
            client.close()


def test_h2c_prior_knowledge(worker):
    with h2_worker(worker, None, "--http2-cleartext", "prior-knowledge", threads=4) as srv:
        client = H2Client(srv.host, srv.port, None)
        try:
            ex = client.get("/")
            assert ex.status == 200 and ex.data == b"hello"
            sid = client.request("POST", "/echo", body=b"abc")
            client.wait(lambda: client.exchanges[sid].ended)
            info = json.loads(bytes(client.exchanges[sid].data))
            assert info["scheme"] == "http" and info["length"] == 3
        finally:
            client.close()
        # HTTP/1.1 still works on the same listener
        r = httpx.get(srv.url + "/", timeout=10)
        assert r.http_version == "HTTP/1.1" and r.text == "hello"
        if shutil.which("curl"):
            out = subprocess.run(["curl", "-s", "--http2-prior-knowledge",
                                  "-w", " %{http_version}", srv.url + "/"],
                                 capture_output=True, text=True, timeout=20)
            assert out.stdout == "hello 2"


@pytest.mark.skipif(shutil.which("h2load") is None, reason="h2load not installed")
def test_h2load_no_errors(h2_server):
    out = subprocess.run(["h2load", "-n", "100000", "-c", "10", "-m", "10",
                          h2_server.url + "/"], capture_output=True, text=True, timeout=600)
    assert "100000 succeeded, 0 failed, 0 errored, 0 timeout" in out.stdout, out.stdout


def test_sync_worker_does_not_offer_h2(tls_files):
    with run_sync(tls_files) as srv:
        ctx = tls_files.client_context(alpn=["h2", "http/1.1"])
        with socket.create_connection((srv.host, srv.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                assert s.selected_alpn_protocol() in (None, "http/1.1")
        assert "HTTP/2 is not supported by the sync worker" in srv.output()


def run_sync(files):
    return run_server("--worker-class", "sync", "--http-protocols", "h2,h1",
                      *tls_args(files), *APP_ARGS)



def _upgrade_request(method: str, path: str, body: bytes = b"", extra: str = "") -> bytes:
    import base64

    # SETTINGS_MAX_CONCURRENT_STREAMS (3) = 100, as a base64url SETTINGS payload
    settings = base64.urlsafe_b64encode(b"\x00\x03\x00\x00\x00\x64").rstrip(b"=").decode()
    head = ("%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\n"
            "Upgrade: h2c\r\nHTTP2-Settings: %s\r\n%s" % (method, path, settings, extra))
    if body:
        head += "Content-Length: %d\r\n" % len(body)
    return head.encode() + b"\r\n" + body


def _h2_after_101(sock: socket.socket) -> tuple[bytes, list]:
    """Read the 101 answer, then speak HTTP/2 as the client of stream 1;
    return (the 101 head, the h2 events up to stream 1's end)."""
    import h2.config
    import h2.connection
    import h2.events

    buf = b""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        assert data, buf
        buf += data
    head, rest = buf.split(b"\r\n\r\n", 1)
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    # queues the client preface and SETTINGS; stream 1 is the request above
    client.initiate_upgrade_connection()
    sock.sendall(client.data_to_send())
    events: list = []
    data = rest
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if data:
            events += client.receive_data(data)
            out = client.data_to_send()
            if out:
                sock.sendall(out)
            if any(isinstance(e, h2.events.StreamEnded) and e.stream_id == 1 for e in events):
                return head, events
        data = sock.recv(65536)
        assert data, events
    raise AssertionError("stream 1 did not end: %r" % events)


@pytest.mark.parametrize("method,body", [("GET", b""), ("POST", b"abc" * 100)])
def test_h2c_upgrade(worker, method, body):
    import h2.events

    with h2_worker(worker, None, "--http2-cleartext", "upgrade", threads=2) as srv:
        with socket.create_connection((srv.host, srv.port), timeout=20) as sock:
            sock.sendall(_upgrade_request(method, "/echo" if body else "/", body))
            head, events = _h2_after_101(sock)
            assert head.startswith(b"HTTP/1.1 101 ")
            assert b"upgrade: h2c" in head.lower()
            responses = [e for e in events if isinstance(e, h2.events.ResponseReceived)]
            assert responses and responses[0].stream_id == 1
            assert dict(responses[0].headers)[b":status"] == b"200"
            data = b"".join(e.data for e in events
                            if isinstance(e, h2.events.DataReceived) and e.stream_id == 1)
            if body:
                info = json.loads(data)
                assert info["length"] == len(body) and info["scheme"] == "http"
            else:
                assert data == b"hello"
        # curl asks for the upgrade on http:// URLs with --http2
        if shutil.which("curl"):
            out = subprocess.run(["curl", "-s", "--http2", "-w", " %{http_version}",
                                  srv.url + "/"], capture_output=True, text=True, timeout=20)
            assert out.stdout == "hello 2"


def _read_past(sock: socket.socket, marker: bytes) -> bytes:
    """Read until *marker* has arrived; an early close fails the test."""
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    return data


def test_h2c_upgrade_ignored_when_not_enabled_or_malformed(worker):
    # prior-knowledge only: an Upgrade: h2c request is served as HTTP/1.1
    with h2_worker(worker, None, "--http2-cleartext", "prior-knowledge", threads=2) as srv:
        with socket.create_connection((srv.host, srv.port), timeout=20) as sock:
            sock.sendall(_upgrade_request("GET", "/"))
            assert _read_past(sock, b"hello").startswith(b"HTTP/1.1 200 ")
    with h2_worker(worker, None, "--http2-cleartext", "upgrade", threads=2) as srv:
        # an HTTP2-Settings value that is not base64url: HTTP/1.1 as well
        with socket.create_connection((srv.host, srv.port), timeout=20) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                         b"Upgrade: h2c\r\nHTTP2-Settings: %%%\r\n\r\n")
            assert _read_past(sock, b"hello").startswith(b"HTTP/1.1 200 ")
