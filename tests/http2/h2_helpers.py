"""Helpers for the sans-IO HTTP/2 tests: a server protocol, an ``h2`` client
connection, raw frame builders, and a parser for what the server sends."""

from __future__ import annotations

from typing import Any

from h2.config import H2Configuration
from h2.connection import H2Connection
from hpack import Decoder
from hyperframe.frame import Frame

from gunicorn.config import Config
from gunicorn.http2 import events as ev
from gunicorn.http2.core import FloodLimits, HTTP2ServerProtocol

PEER = ("127.0.0.1", 40000)
UNTRUSTED_PEER = ("192.0.2.7", 40000)

REQUEST = [
    (b":method", b"GET"),
    (b":scheme", b"https"),
    (b":authority", b"example.com"),
    (b":path", b"/"),
]


def make_cfg(**settings: Any) -> Config:
    cfg = Config()
    for name, value in settings.items():
        cfg.set(name, value)
    return cfg


def raw_frame(ftype: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    """A frame built by hand (RFC 9113 section 4.1), valid or not."""
    return (len(payload).to_bytes(3, "big") + bytes((ftype, flags))
            + stream_id.to_bytes(4, "big") + payload)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Peer:
    """``server`` (HTTP2ServerProtocol) talking to ``client`` (h2 client connection).

    ``send(data=None)`` feeds the client's pending bytes (or *data*) to the
    server and returns the server events.  ``frames()`` takes what the
    server queued, parses it into hyperframe frames (HEADERS frames get a
    ``headers`` attribute, decoded with a decoder of our own) and also feeds
    it to the h2 client while the client accepts it (``client_events``).
    """

    def __init__(self, cfg: Config | None = None, client_addr: Any = PEER,
                 limits: FloodLimits | None = None, handshake: bool = True, **kwargs: Any) -> None:
        self.clock = FakeClock()
        self.server = HTTP2ServerProtocol(cfg or make_cfg(), client_addr, limits=limits,
                                          clock=self.clock, **kwargs)
        self.client = H2Connection(H2Configuration(client_side=True, header_encoding=None,
                                                   validate_outbound_headers=False,
                                                   normalize_outbound_headers=False))
        self.decoder = Decoder()
        self.decoder.max_header_list_size = 1 << 30
        self.client_events: list[Any] = []
        self.client_alive = False
        self.server.initiate_connection()
        if handshake:
            self.start_client()
            # client preface + SETTINGS -> server; server SETTINGS -> client;
            # client SETTINGS ACK -> server
            events = self.send()
            assert not any(isinstance(e, ev.ConnectionTerminated) for e in events)
            frames = self.frames()
            assert frames and frames[0].type == 0x4
            self.send()
            assert self.server.settings_acknowledged
            self.frames()

    def start_client(self) -> None:
        """Let the h2 client send its preface; from now on it sees server output."""
        self.client.initiate_connection()
        self.client_alive = True

    # client -> server
    def send(self, data: bytes | None = None) -> list[Any]:
        if data is None:
            data = self.client.data_to_send()
        return self.server.receive_data(data)

    def encode(self, headers: list[tuple[bytes, bytes]]) -> bytes:
        """An HPACK block from the client's encoder (one compression context)."""
        return self.client.encoder.encode(headers)

    def headers_frame(self, stream_id: int, headers: list[tuple[bytes, bytes]],
                      end_stream: bool = True, end_headers: bool = True) -> bytes:
        flags = (0x1 if end_stream else 0) | (0x4 if end_headers else 0)
        return raw_frame(0x1, flags, stream_id, self.encode(headers))

    def request(self, stream_id: int, headers: list[tuple[bytes, bytes]] | None = None,
                body: bytes | None = None, end_stream: bool = True) -> list[Any]:
        """Send a request with the h2 client and return the server events."""
        self.client.send_headers(stream_id, headers or REQUEST,
                                 end_stream=end_stream and body is None)
        if body is not None:
            size = self.client.max_outbound_frame_size
            for at in range(0, max(len(body), 1), size):
                last = at + size >= len(body)
                self.client.send_data(stream_id, body[at:at + size], end_stream=end_stream and last)
        return self.send()

    # server -> client
    def frames(self) -> list[Frame]:
        data = self.server.data_to_send()
        out = []
        view = memoryview(data)
        pos = 0
        while pos < len(data):
            frame, length = Frame.parse_frame_header(view[pos:pos + 9])
            frame.parse_body(view[pos + 9:pos + 9 + length])
            pos += 9 + length
            if frame.type in (0x1, 0x9) and "END_HEADERS" in frame.flags:
                frame.headers = self.decoder.decode(frame.data, raw=True)
            out.append(frame)
        if self.client_alive and data:
            try:
                self.client_events.extend(self.client.receive_data(data))
            except Exception:
                self.client_alive = False
        return out


def of_type(frames: list[Frame], ftype: int) -> list[Frame]:
    return [f for f in frames if f.type == ftype]


def rst_codes(frames: list[Frame]) -> dict[int, int]:
    return {f.stream_id: f.error_code for f in frames if f.type == 0x3}


def goaway(frames: list[Frame]) -> Frame | None:
    found = of_type(frames, 0x7)
    return found[-1] if found else None


def terminated(events: list[Any]) -> ev.ConnectionTerminated | None:
    for e in events:
        if isinstance(e, ev.ConnectionTerminated):
            return e
    return None


def of_event(events: list[Any], cls: type) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]
