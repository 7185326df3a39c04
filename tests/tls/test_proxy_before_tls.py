"""A PROXY header in clear before the TLS handshake (HAProxy
proxy-protocol.txt section 2; HAProxy ``send-proxy`` with ``ssl``).

Raw sockets write the v1 or v2 header, then a Python TLS client does the
handshake over the same socket and speaks HTTP/1.1 (http.client) or HTTP/2
(ALPN h2, the ``h2`` library).  The application reports the client the
server believes in: it must be the one the header names.  A peer outside
``--proxy-allow-from`` and a malformed header close the connection (no HTTP
answer can precede the handshake) while the worker keeps serving; a client
that sends nothing is dropped after the timeout without holding others up.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import struct
import time
from collections.abc import Iterator

import pytest

from tests.support.server import WORKER_ARGS, GunicornServer, run_server
from tests.tls.tls_support import TLSFiles, make_tls_files

h2_connection = pytest.importorskip("h2.connection")
h2_config = pytest.importorskip("h2.config")
h2_events = pytest.importorskip("h2.events")

WORKERS = ["sync", "gthread", "gevent", "eventlet", "asgi"]
H2_WORKERS = [w for w in WORKERS if w != "sync"]  # sync serves HTTP/1.1 only
CLIENT = ("203.0.113.7", 4242)
PROXY_END = ("198.51.100.1", 443)
# a loopback address outside --proxy-allow-from 127.0.0.1
UNTRUSTED_SOURCE = "127.0.0.2"
# --timeout; the header and the handshake get at most this long
TIMEOUT = 4
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def v1_header(src: tuple[str, int] = CLIENT, dst: tuple[str, int] = PROXY_END) -> bytes:
    return b"PROXY TCP4 %s %s %d %d\r\n" % (src[0].encode(), dst[0].encode(), src[1], dst[1])


def v2_header(src: tuple[str, int] = CLIENT, dst: tuple[str, int] = PROXY_END) -> bytes:
    block = (socket.inet_aton(src[0]) + socket.inet_aton(dst[0])
             + struct.pack(">HH", src[1], dst[1]))
    # version 2, command PROXY; AF_INET, STREAM
    return V2_SIGNATURE + bytes((0x21, 0x11)) + struct.pack(">H", len(block)) + block


HEADERS = {"v1": v1_header, "v2": v2_header}


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls_files(str(tmp_path_factory.mktemp("proxy-tls")))


def worker_args(worker: str) -> tuple[str, ...]:
    if worker == "asgi":
        return ("--worker-class", "asgi", "tests.tls.proxy_tls_apps:asgi_app")
    # two sync workers: the silent-client test needs one left to serve
    extra = ("--workers", "2") if worker == "sync" else ()
    return (*WORKER_ARGS[worker], *extra, "tests.tls.proxy_tls_apps:app")


@pytest.fixture(scope="module", params=WORKERS)
def server(request: pytest.FixtureRequest, tls_files: TLSFiles) -> Iterator[tuple[str, GunicornServer]]:
    worker = request.param
    protocols = "h1" if worker == "sync" else "h2,h1"
    with run_server("--certfile", tls_files.cert_path, "--keyfile", tls_files.key_path,
                    "--proxy-protocol", "auto", "--proxy-allow-from", "127.0.0.1",
                    "--http-protocols", protocols, "--timeout", str(TIMEOUT),
                    "--keep-alive", "2", *worker_args(worker)) as srv:
        yield worker, srv


def connect(port: int, source: str | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(10)
    if source is not None:
        sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def tls_over(sock: socket.socket, files: TLSFiles, alpn: list[str]) -> ssl.SSLSocket:
    ctx = files.client_context(alpn=alpn)
    return ctx.wrap_socket(sock, server_hostname="127.0.0.1")


def http1_get(tls: ssl.SSLSocket, count: int = 1) -> list[str]:
    """*count* GET requests over one keep-alive connection; the bodies."""
    conn = http.client.HTTPConnection("127.0.0.1")
    conn.sock = tls
    bodies = []
    for _ in range(count):
        conn.request("GET", "/info")
        resp = conn.getresponse()
        assert resp.status == 200
        bodies.append(resp.read().decode())
    conn.close()
    return bodies


def h2_get(tls: ssl.SSLSocket) -> str:
    """One HTTP/2 GET over *tls* (ALPN h2 chosen); the response body."""
    assert tls.selected_alpn_protocol() == "h2"
    conn = h2_connection.H2Connection(config=h2_config.H2Configuration(client_side=True))
    conn.initiate_connection()
    stream_id = conn.get_next_available_stream_id()
    conn.send_headers(stream_id, [(":method", "GET"), (":path", "/info"), (":scheme", "https"),
                                  (":authority", "127.0.0.1")], end_stream=True)
    tls.sendall(conn.data_to_send())
    body = bytearray()
    status = None
    while True:
        data = tls.recv(65536)
        assert data, "connection closed before the response ended"
        for event in conn.receive_data(data):
            if isinstance(event, h2_events.ResponseReceived):
                status = dict(event.headers)[b":status"]
            elif isinstance(event, h2_events.DataReceived):
                body += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, stream_id)
            elif isinstance(event, h2_events.StreamEnded):
                assert status == b"200"
                return body.decode()
        pending = conn.data_to_send()
        if pending:
            tls.sendall(pending)


def closed_by_server(sock: socket.socket) -> bool:
    """True when the server closed (EOF or reset) before sending anything."""
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True


def assert_serves(port: int, files: TLSFiles) -> None:
    with connect(port) as raw:
        raw.sendall(v1_header())
        with tls_over(raw, files, ["http/1.1"]) as tls:
            assert http1_get(tls)[0].startswith("%s %d https " % CLIENT)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_http1_client_from_header(server: tuple[str, GunicornServer], tls_files: TLSFiles,
                                  version: str) -> None:
    worker, srv = server
    assert srv.port is not None
    with connect(srv.port) as raw:
        raw.sendall(HEADERS[version]())
        with tls_over(raw, tls_files, ["http/1.1"]) as tls:
            assert tls.selected_alpn_protocol() in (None, "http/1.1")
            # the sync worker closes after each response
            bodies = http1_get(tls, 1 if worker == "sync" else 2)
    for body in bodies:
        assert body == "%s %d https HTTP/1.1" % CLIENT


def test_no_header_keeps_the_peer(server: tuple[str, GunicornServer], tls_files: TLSFiles) -> None:
    """auto mode: a TLS client without a header is served; REMOTE_ADDR is the peer."""
    _, srv = server
    assert srv.port is not None
    with connect(srv.port) as raw:
        with tls_over(raw, tls_files, ["http/1.1"]) as tls:
            body = http1_get(tls)[0]
    assert body.startswith("127.0.0.1 ") and body.endswith(" https HTTP/1.1")


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_h2_client_from_header(server: tuple[str, GunicornServer], tls_files: TLSFiles,
                               version: str) -> None:
    worker, srv = server
    if worker not in H2_WORKERS:
        pytest.skip("the sync worker serves HTTP/1.1 only")
    assert srv.port is not None
    with connect(srv.port) as raw:
        raw.sendall(HEADERS[version]())
        with tls_over(raw, tls_files, ["h2", "http/1.1"]) as tls:
            body = h2_get(tls)
    host, port, scheme, proto = body.split(" ")
    assert (host, int(port), scheme) == (*CLIENT, "https")
    assert proto.startswith("HTTP/2")


def test_forbidden_peer_is_closed(server: tuple[str, GunicornServer], tls_files: TLSFiles) -> None:
    _, srv = server
    assert srv.port is not None
    with connect(srv.port, source=UNTRUSTED_SOURCE) as raw:
        raw.sendall(v2_header())
        assert closed_by_server(raw)
    srv.wait_for_output(r"not in proxy_allow_ips \(403\)")
    assert_serves(srv.port, tls_files)


@pytest.mark.parametrize("header", [
    b"PROXY TCP4 not-an-address 198.51.100.1 1 2\r\n",
    b"PROXY " + b"9" * 200,
    V2_SIGNATURE + b"\x31\x11\x00\x00",  # version 3
])
def test_malformed_header_is_closed(server: tuple[str, GunicornServer], tls_files: TLSFiles,
                                    header: bytes) -> None:
    _, srv = server
    assert srv.port is not None
    with connect(srv.port) as raw:
        raw.sendall(header)
        assert closed_by_server(raw)
    assert_serves(srv.port, tls_files)


@pytest.mark.parametrize("sent", [b"", b"PROXY TCP4 ", V2_SIGNATURE + b"\x21\x11\x00\x0c"],
                         ids=["nothing", "half-v1", "half-v2"])
def test_silent_client_is_dropped(server: tuple[str, GunicornServer], tls_files: TLSFiles,
                                  sent: bytes) -> None:
    _, srv = server
    assert srv.port is not None
    with connect(srv.port) as silent:
        started = time.monotonic()
        # nothing, or part of a header: the server waits for the rest
        if sent:
            silent.sendall(sent)
        # others are served meanwhile
        assert_serves(srv.port, tls_files)
        silent.settimeout(TIMEOUT * 3)
        assert closed_by_server(silent)
        assert time.monotonic() - started < TIMEOUT * 3


# -- the reader alone, over a socketpair ------------------------------------------------


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_reader_stops_at_the_header_end(version: str) -> None:
    """Fed in pieces on a non-blocking socket, the reader consumes exactly
    the header: the bytes after it (the ClientHello) stay unread."""
    from gunicorn.config import Config
    from gunicorn.http.core import settings_for
    from gunicorn.workers.proxy_tls import ProxyPrefixReader

    cfg = Config()
    cfg.set("proxy_protocol", "auto")
    cfg.set("proxy_allow_ips", "*")
    header = HEADERS[version]()
    server_side, client_side = socket.socketpair()
    with server_side, client_side:
        server_side.setblocking(False)
        reader = ProxyPrefixReader(settings_for(cfg), ("127.0.0.1", 1))
        client_side.sendall(header[:9])
        assert reader.step(server_side.recv) is False
        with pytest.raises(BlockingIOError):
            reader.step(server_side.recv)
        client_side.sendall(header[9:] + b"\x16\x03\x01 rest")
        assert reader.step(server_side.recv) is True
        assert reader.info is not None
        assert (reader.info["client_addr"], reader.info["client_port"]) == CLIENT
        assert server_side.recv(100) == b"\x16\x03\x01 rest"


def test_asgi_connections_before_their_header_count_toward_worker_connections(
        tls_files: TLSFiles) -> None:
    # two silent peers fill --worker-connections 2: a third is closed at
    # once; once the silent ones time out, a real client is served again
    with run_server("--certfile", tls_files.cert_path, "--keyfile", tls_files.key_path,
                    "--proxy-protocol", "auto", "--proxy-allow-from", "127.0.0.1",
                    "--worker-connections", "2", "--timeout", str(TIMEOUT),
                    "--log-level", "debug", *worker_args("asgi")) as srv:
        silent = [connect(srv.port) for _ in range(2)]
        try:
            deadline = time.monotonic() + 10
            while True:
                # the server may take the silent ones off the backlog a
                # moment after connect() returned: retry until refused
                extra = connect(srv.port)
                started = time.monotonic()
                try:
                    extra.settimeout(TIMEOUT / 2)
                    data = extra.recv(1)
                except TimeoutError:
                    data = None
                finally:
                    extra.close()
                if data == b"":
                    assert time.monotonic() - started < TIMEOUT / 2
                    break
                assert time.monotonic() < deadline, "a third connection was never refused"
            srv.wait_for_output(r"worker_connections \(2\) connections before their PROXY")
        finally:
            for sock in silent:
                sock.close()
        # the silent peers are gone: a client with a header is served
        deadline = time.monotonic() + 15
        while True:
            sock = connect(srv.port)
            try:
                sock.sendall(v1_header())
                tls = tls_over(sock, tls_files, ["http/1.1"])
                assert "203.0.113.7" in http1_get(tls)[0]
                break
            except (OSError, ssl.SSLError):
                assert time.monotonic() < deadline
                time.sleep(0.2)
            finally:
                sock.close()
