"""``HTTP2ServerConnection`` used directly on a blocking socket (the gunicorn 25
method names), against an ``h2`` client on the other end of a socket pair."""

from __future__ import annotations

import socket
import time

import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest

from gunicorn.config import Config
from gunicorn.http2.connection import HTTP2ServerConnection, StreamCancelled
from gunicorn.http2.errors import HTTP2Error


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    a.settimeout(5)
    b.settimeout(5)
    yield a, b
    a.close()
    b.close()


def _client(sock):
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    c.initiate_connection()
    sock.sendall(c.data_to_send())
    return c


def _read_events(client, sock, until):
    events = []
    while not any(isinstance(e, until) for e in events):
        data = sock.recv(65536)
        assert data
        events += client.receive_data(data)
        out = client.data_to_send()
        if out:
            sock.sendall(out)
    return events


def test_blocking_driver_round_trip(pair):
    srv_sock, cli_sock = pair
    server = HTTP2ServerConnection(Config(), srv_sock, ("127.0.0.1", 1234))
    server.initiate_connection()
    client = _client(cli_sock)
    client.send_headers(1, [(":method", "POST"), (":scheme", "https"),
                            (":authority", "example.com"), (":path", "/x?y=1")])
    client.send_data(1, b"body", end_stream=True)
    cli_sock.sendall(client.data_to_send())
    requests = []
    while not requests:
        requests = server.receive_data()
    req = requests[0]
    assert (req.method, req.path, req.query) == ("POST", "/x", "y=1")
    assert req.body.read() == b"body"
    server.send_informational(1, 103, [("link", "</a.css>; rel=preload")])
    with pytest.raises(HTTP2Error):
        server.send_informational(1, 200, [])
    server.send_response(1, 200, [("content-type", "text/plain")], b"hello")
    events = _read_events(client, cli_sock, h2.events.StreamEnded)
    info = [e for e in events if isinstance(e, h2.events.InformationalResponseReceived)]
    assert dict(info[0].headers)[b":status"] == b"103"
    body = b"".join(e.data for e in events if isinstance(e, h2.events.DataReceived))
    assert body == b"hello"
    # a reset stream refuses more output
    client.send_headers(3, [(":method", "GET"), (":scheme", "https"),
                            (":authority", "example.com"), (":path", "/")], end_stream=True)
    cli_sock.sendall(client.data_to_send())
    while not server.receive_data():
        pass
    server.send_response(3, 200, [], None)
    events = _read_events(client, cli_sock, h2.events.StreamEnded)
    server.close()
    events = _read_events(client, cli_sock, h2.events.ConnectionTerminated)
    assert events[-1].error_code == 0


def test_peer_reset_cancels_the_stream_output(pair):
    srv_sock, cli_sock = pair
    server = HTTP2ServerConnection(Config(), srv_sock, ("127.0.0.1", 1234))
    server.initiate_connection()
    client = _client(cli_sock)
    client.send_headers(1, [(":method", "GET"), (":scheme", "https"),
                            (":authority", "example.com"), (":path", "/")], end_stream=True)
    client.reset_stream(1, 8)
    cli_sock.sendall(client.data_to_send())
    while 1 in server.streams:
        server.receive_data()
    adapter = server._adapter  # the stream is gone: no adapter can be made
    with pytest.raises(HTTP2Error):
        adapter(1)
    assert issubclass(StreamCancelled, ConnectionResetError)


def test_queued_output_survives_partial_writes_in_order(pair):
    """The non-blocking driver with a writer: responses of several streams
    wait in the queue (payloads of bytes by reference, others copied), the
    socket takes them a little at a time, and the client still gets every
    stream's octets whole and in order; a bytearray the application changes
    after handing it over is sent as it was."""
    srv_sock, cli_sock = pair
    srv_sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    cli_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    wanted = []
    server = HTTP2ServerConnection(Config(), srv_sock, ("127.0.0.1", 1234),
                                   want_write=wanted.append, coalesce_writes=True)
    server.initiate_connection()
    client = _client(cli_sock)
    client.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20})
    client.increment_flow_control_window(1 << 20)
    for sid in (1, 3, 5):
        client.send_headers(sid, [(":method", "GET"), (":scheme", "https"),
                                  (":authority", "example.com"), (":path", "/%d" % sid)],
                            end_stream=True)
    cli_sock.sendall(client.data_to_send())
    jobs = []
    while len(jobs) < 3:
        found, _more = server.read_events()
        jobs += found
    adapters = {adapter.stream_id: adapter for adapter, _req in jobs}
    big = bytes(range(256)) * 2400  # 614,400 octets: several sends of 256 KiB
    mutable = bytearray(b"m" * 50000)
    bodies = {1: big, 3: bytes(mutable), 5: b"tail"}
    adapters[1].send_head(200, [], content_length=len(big))
    assert adapters[1].send_data(big) == len(big)
    assert adapters[3].send_head(200, [], content_length=len(mutable), data=mutable) == 50000
    mutable[:] = b"X" * 50000  # after the hand-over: must not reach the wire
    assert adapters[5].send_head(200, [], content_length=4, data=b"tail") == 4
    for adapter in adapters.values():
        server.stream_done(adapter)
    assert server.pending_output > 0 and wanted  # the socket did not take it all
    received: dict[int, bytes] = {1: b"", 3: b"", 5: b""}
    ended: set[int] = set()
    cli_sock.settimeout(0.05)
    deadline = time.monotonic() + 10
    while len(ended) < 3:
        assert time.monotonic() < deadline, (len(received[1]), len(received[3]), ended)
        server.on_writable()
        try:
            data = cli_sock.recv(4096)
        except TimeoutError:
            continue
        assert data
        for event in client.receive_data(data):
            if isinstance(event, h2.events.DataReceived):
                received[event.stream_id] += event.data
                client.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                ended.add(event.stream_id)
        out = client.data_to_send()
        if out:
            cli_sock.sendall(out)
    assert received == bodies
    assert server.pending_output == 0
