"""A small blocking HTTP/2 client over ``h2`` for frame-level end-to-end tests."""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

import h2.config
import h2.connection
import h2.events


def open_h2_socket(host: str, port: int, ctx: ssl.SSLContext | None, timeout: float) -> Any:
    """A TCP connection to host:port (TCP_NODELAY), wrapped in TLS when *ctx*
    is given, where the server must have chosen h2 through ALPN."""
    raw = socket.create_connection((host, port), timeout=timeout)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if ctx is None:
        return raw
    sock = ctx.wrap_socket(raw, server_hostname=host)
    assert sock.selected_alpn_protocol() == "h2"
    return sock


class _ClientConnection(h2.connection.H2Connection):
    """h2's client stops at any GOAWAY; RFC 9113 section 6.8 lets streams up to
    the last stream id of a NO_ERROR GOAWAY complete, so keep the state open."""

    def _receive_goaway_frame(self, frame: Any) -> Any:
        state = self.state_machine.state
        result = super()._receive_goaway_frame(frame)
        if frame.error_code == 0:
            self.state_machine.state = state
        return result


@dataclass
class Exchange:
    """What one stream received."""

    informational: list[list[tuple[bytes, bytes]]] = field(default_factory=list)
    headers: list[tuple[bytes, bytes]] | None = None
    data: bytearray = field(default_factory=bytearray)
    trailers: list[tuple[bytes, bytes]] | None = None
    ended: bool = False
    reset: int | None = None

    @property
    def status(self) -> int | None:
        for name, value in self.headers or ():
            if name == b":status":
                return int(value)
        return None


class H2Client:
    """One HTTP/2 connection to host:port (TLS with ALPN h2 when *ctx* is given,
    else cleartext with prior knowledge)."""

    def __init__(self, host: str, port: int, ctx: ssl.SSLContext | None = None,
                 timeout: float = 20.0) -> None:
        self.sock = open_h2_socket(host, port, ctx, timeout)
        self.authority = "%s:%d" % (host, port)
        self.scheme = "https" if ctx is not None else "http"
        self.conn = _ClientConnection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.exchanges: dict[int, Exchange] = {}
        self.goaway: h2.events.ConnectionTerminated | None = None
        self.closed = False
        self.flush()

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: list[tuple[str, str]] | None = None,
                trailers: list[tuple[str, str]] | None = None, end: bool = True) -> int:
        sid = self.conn.get_next_available_stream_id()
        fields = [(":method", method), (":scheme", self.scheme), (":authority", self.authority),
                  (":path", path)] + list(headers or [])
        no_body = not body and not trailers and end
        self.conn.send_headers(sid, fields, end_stream=no_body)
        self.exchanges[sid] = Exchange()
        if body:
            self.send_body(sid, body, end_stream=end and not trailers)
        if trailers:
            self.conn.send_headers(sid, trailers, end_stream=True)
        self.flush()
        return sid

    def send_body(self, sid: int, body: bytes, end_stream: bool) -> None:
        view = memoryview(body)
        while view:
            window = min(self.conn.local_flow_control_window(sid),
                         self.conn.max_outbound_frame_size)
            if window <= 0:
                self.flush()
                self.pump()
                continue
            chunk, view = view[:window], view[window:]
            self.conn.send_data(sid, chunk.tobytes(), end_stream=end_stream and not view)
        if not body and end_stream:
            self.conn.end_stream(sid)
        self.flush()

    def pump(self, timeout: float | None = None) -> list[Any]:
        """Read once and handle the events."""
        if timeout is not None:
            self.sock.settimeout(timeout)
        data = self.sock.recv(65536)
        if not data:
            self.closed = True
            return []
        events = self.conn.receive_data(data)
        for ev in events:
            sid = getattr(ev, "stream_id", None)
            ex = self.exchanges.get(sid) if sid else None
            if isinstance(ev, h2.events.InformationalResponseReceived) and ex:
                ex.informational.append(list(ev.headers))
            elif isinstance(ev, h2.events.ResponseReceived) and ex:
                ex.headers = list(ev.headers)
            elif isinstance(ev, h2.events.DataReceived) and ex:
                ex.data += ev.data
                self.conn.acknowledge_received_data(ev.flow_controlled_length, sid)
            elif isinstance(ev, h2.events.TrailersReceived) and ex:
                ex.trailers = list(ev.headers)
            elif isinstance(ev, h2.events.StreamEnded) and ex:
                ex.ended = True
            elif isinstance(ev, h2.events.StreamReset) and ex:
                ex.reset = ev.error_code
            elif isinstance(ev, h2.events.ConnectionTerminated):
                self.goaway = ev
        self.flush()
        return events

    def wait(self, predicate: Any, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("condition not met in %.1fs" % timeout)
            if self.closed:
                raise ConnectionError("connection closed by the server")
            self.pump(left)

    def get(self, path: str, **kw: Any) -> Exchange:
        sid = self.request("GET", path, **kw)
        ex = self.exchanges[sid]
        self.wait(lambda: ex.ended or ex.reset is not None)
        return ex

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
