"""A frame-level HTTP/2 client for the end-to-end tests.

``RawH2`` writes whatever bytes a test needs (valid frames or not) and records
every frame the server sends, decoded: header blocks per stream, DATA,
END_STREAM, RST_STREAM, GOAWAY, SETTINGS and PING acknowledgements.  It checks
on the way that the server never sends DATA beyond the windows the client
granted (RFC 9113 section 6.9).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from h2.errors import ErrorCodes
from h2_client import open_h2_socket
from hpack import Decoder, Encoder

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# frame types (RFC 9113 section 6) and flags
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
END_STREAM = ACK = 0x1
END_HEADERS = 0x4
PADDED = 0x8
PRIORITY_FLAG = 0x20

# SETTINGS parameters (RFC 9113 section 6.5.2)
HEADER_TABLE_SIZE = 0x1
INITIAL_WINDOW_SIZE = 0x4
MAX_FRAME_SIZE = 0x5

MAX_WINDOW = 2 ** 31 - 1

#: the error codes of RFC 9113 section 7 (NO_ERROR ... HTTP_1_1_REQUIRED)
Code = ErrorCodes


def frame(ftype: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    """One frame as RFC 9113 section 4.1 lays it out (valid or not)."""
    return (len(payload).to_bytes(3, "big") + bytes((ftype, flags))
            + stream_id.to_bytes(4, "big") + payload)


def settings_frame(values: dict[int, int] | None = None) -> bytes:
    payload = b"".join(k.to_bytes(2, "big") + v.to_bytes(4, "big")
                       for k, v in (values or {}).items())
    return frame(SETTINGS, 0, 0, payload)


def window_update(stream_id: int, increment: int) -> bytes:
    return frame(WINDOW_UPDATE, 0, stream_id, increment.to_bytes(4, "big"))


def rst_stream(stream_id: int, code: int) -> bytes:
    return frame(RST_STREAM, 0, stream_id, code.to_bytes(4, "big"))


def hpack_int(value: int, prefix_bits: int, first: int) -> bytes:
    """An HPACK integer (RFC 7541 section 5.1) with *first* in the high bits."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes((first | value,))
    out = bytearray((first | limit,))
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


@dataclass
class StreamSeen:
    """What the client received on one stream."""

    blocks: list[list[tuple[bytes, bytes]]] = field(default_factory=list)
    data: bytearray = field(default_factory=bytearray)
    data_frames: list[int] = field(default_factory=list)
    ended: bool = False
    reset: int | None = None
    granted: int = 65535  # the stream window we granted (flow-control check)

    @property
    def status(self) -> int | None:
        """The final status (the last block with a status of 200 or more)."""
        for block in reversed(self.blocks):
            for name, value in block:
                if name == b":status" and int(value) >= 200:
                    return int(value)
        return None

    @property
    def done(self) -> bool:
        return self.ended or self.reset is not None


@dataclass
class GoAway:
    last_stream_id: int
    error_code: int
    debug: bytes


class RawH2:
    """An HTTP/2 client connection that writes raw frames.

    It sends the preface and a SETTINGS frame with *settings*, acknowledges
    the server's SETTINGS, and records every frame the server sends: per
    stream header blocks (HPACK-decoded), DATA, END_STREAM and RST_STREAM;
    GOAWAY; PING ACK payloads.  With *credit* it re-opens the windows as DATA
    arrives (WINDOW_UPDATE per DATA frame); without, the windows only grow by
    the client's explicit WINDOW_UPDATE frames.  Any DATA beyond what the
    client granted fails the test (RFC 9113 section 6.9).  With
    ``preface=False`` nothing is sent on connect (the test writes its own
    first octets).  ``frames`` lists every received frame as (type, flags,
    stream id); ``server_settings`` holds the server's SETTINGS values.
    """

    def __init__(self, host: str, port: int, ctx: ssl.SSLContext | None,
                 settings: dict[int, int] | None = None, credit: bool = True,
                 timeout: float = 15.0, preface: bool = True) -> None:
        self.sock: Any = open_h2_socket(host, port, ctx, timeout)
        self.scheme = "https" if ctx is not None else "http"
        self.authority = "%s:%d" % (host, port)
        self.encoder = Encoder()
        self.decoder = Decoder()
        self.decoder.max_header_list_size = 1 << 30
        # the server's encoder must stay within what we advertise (RFC 7541 4.2)
        self.decoder.max_allowed_table_size = (settings or {}).get(HEADER_TABLE_SIZE, 4096)
        self.credit = credit
        self.initial_window = (settings or {}).get(INITIAL_WINDOW_SIZE, 65535)
        self.connection_granted = 65535
        self.streams: dict[int, StreamSeen] = {}
        self.goaway: GoAway | None = None
        self.closed = False
        self.send_failed = False
        self.settings_acks = 0
        self.ping_acks: list[bytes] = []
        self._pings = 0
        self.next_stream_id = 1
        # the server's windows for what this client sends (RFC 9113 6.9)
        self.send_window = 65535
        self.send_initial = 65535
        self.send_windows: dict[int, int] = {}
        self._buf = bytearray()
        self._block: tuple[int, int, bytearray] | None = None
        #: every frame received, in order: (type, flags, stream id)
        self.frames: list[tuple[int, int, int]] = []
        #: the values of the server's SETTINGS frames (parameter -> value)
        self.server_settings: dict[int, int] = {}
        if preface:  # preface=False: the test writes the first octets itself
            self.send(PREFACE + settings_frame(settings))

    # -- sending ------------------------------------------------------------------

    def send(self, data: bytes) -> bool:
        """Write *data*; False when the server already closed the connection."""
        try:
            self.sock.sendall(data)
        except OSError:
            self.send_failed = True
            return False
        return True

    def stream(self, stream_id: int) -> StreamSeen:
        seen = self.streams.get(stream_id)
        if seen is None:
            seen = self.streams[stream_id] = StreamSeen(granted=self.initial_window)
        return seen

    def new_stream_id(self) -> int:
        sid = self.next_stream_id
        self.next_stream_id += 2
        self.stream(sid)
        return sid

    def fields(self, path: str = "/", method: str = "GET",
               extra: list[tuple[str, str]] | None = None) -> list[tuple[bytes, bytes]]:
        pairs = [(":method", method), (":scheme", self.scheme), (":authority", self.authority),
                 (":path", path)] + list(extra or [])
        return [(n.encode(), v.encode()) for n, v in pairs]

    def headers(self, stream_id: int, fields: list[tuple[bytes, bytes]],
                end_stream: bool = True, end_headers: bool = True) -> bytes:
        """A HEADERS frame encoded with this connection's HPACK context."""
        flags = (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0)
        return frame(HEADERS, flags, stream_id, self.encoder.encode(fields))

    def request(self, path: str = "/", method: str = "GET",
                extra: list[tuple[str, str]] | None = None, end_stream: bool = True) -> int:
        sid = self.new_stream_id()
        self.send(self.headers(sid, self.fields(path, method, extra), end_stream))
        return sid

    def send_data(self, stream_id: int, data: bytes, end_stream: bool = True) -> None:
        """Send *data* in DATA frames as the server's windows allow (waits
        for its WINDOW_UPDATE frames when they are closed)."""
        view = memoryview(data)
        while True:
            window = min(self.send_window,
                         self.send_windows.get(stream_id, self.send_initial))
            take = min(len(view), window, 16384)
            if take <= 0 and view:
                self.wait(lambda: min(self.send_window, self.send_windows.get(
                    stream_id, self.send_initial)) > 0)
                continue
            chunk, view = view[:take], view[take:]
            last = end_stream and not view
            self.send_window -= take
            self.send_windows[stream_id] = self.send_windows.get(
                stream_id, self.send_initial) - take
            self.send(frame(DATA, END_STREAM if last else 0, stream_id, bytes(chunk)))
            if not view:
                return

    def get(self, path: str = "/", **kw: Any) -> StreamSeen:
        seen = self.stream(self.request(path, **kw))
        self.wait(lambda: seen.done)
        return seen

    # -- receiving ----------------------------------------------------------------

    def pump(self, timeout: float) -> None:
        """Read once (at most *timeout* seconds) and handle the complete frames."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except (TimeoutError, ssl.SSLWantReadError):
            return
        except OSError:  # reset, or a TLS connection closed without close_notify
            data = b""
        if not data:
            self.closed = True
            return
        buf = self._buf
        buf += data
        pos = 0
        while len(buf) - pos >= 9:
            length = int.from_bytes(buf[pos:pos + 3], "big")
            end = pos + 9 + length
            if end > len(buf):
                break
            ftype, flags = buf[pos + 3], buf[pos + 4]
            sid = int.from_bytes(buf[pos + 5:pos + 9], "big") & 0x7FFFFFFF
            self.frames.append((ftype, flags, sid))
            self._on_frame(ftype, flags, sid, bytes(buf[pos + 9:end]))
            pos = end
        del buf[:pos]

    def _on_frame(self, ftype: int, flags: int, sid: int, payload: bytes) -> None:
        if ftype == SETTINGS:
            if flags & ACK:
                self.settings_acks += 1
                return
            for at in range(0, len(payload), 6):
                self.server_settings[int.from_bytes(payload[at:at + 2], "big")] = \
                    int.from_bytes(payload[at + 2:at + 6], "big")
                if int.from_bytes(payload[at:at + 2], "big") == INITIAL_WINDOW_SIZE:
                    value = int.from_bytes(payload[at + 2:at + 6], "big")
                    delta = value - self.send_initial
                    self.send_initial = value
                    for key in self.send_windows:
                        self.send_windows[key] += delta
            self.send(frame(SETTINGS, ACK, 0))
        elif ftype == PING:
            if flags & ACK:
                self.ping_acks.append(payload)
            else:
                self.send(frame(PING, ACK, 0, payload))
        elif ftype == GOAWAY:
            self.goaway = GoAway(int.from_bytes(payload[:4], "big") & 0x7FFFFFFF,
                                 int.from_bytes(payload[4:8], "big"), payload[8:])
        elif ftype == WINDOW_UPDATE:
            increment = int.from_bytes(payload, "big") & 0x7FFFFFFF
            if sid:
                self.send_windows[sid] = self.send_windows.get(sid, self.send_initial) + increment
            else:
                self.send_window += increment
        elif ftype == RST_STREAM:
            self.stream(sid).reset = int.from_bytes(payload, "big")
        elif ftype in (HEADERS, CONTINUATION):
            self._on_header_frame(ftype, flags, sid, payload)
        elif ftype == DATA:
            self._on_data(flags, sid, payload)

    def _on_header_frame(self, ftype: int, flags: int, sid: int, payload: bytes) -> None:
        if ftype == HEADERS:
            start, stop = 0, len(payload)
            if flags & PADDED:
                start, stop = 1, stop - payload[0]
            if flags & PRIORITY_FLAG:
                start += 5
            self._block = (sid, flags, bytearray(payload[start:stop]))
        else:
            assert self._block is not None and self._block[0] == sid, "stray CONTINUATION"
            self._block[2].extend(payload)
        if flags & END_HEADERS:
            sid, first_flags, block = self._block  # type: ignore[misc]
            self._block = None
            seen = self.stream(sid)
            seen.blocks.append(list(self.decoder.decode(bytes(block), raw=True)))
            if first_flags & END_STREAM:
                seen.ended = True

    def _on_data(self, flags: int, sid: int, payload: bytes) -> None:
        seen = self.stream(sid)
        flow = len(payload)
        content = payload
        if flags & PADDED:
            content = payload[1:len(payload) - payload[0]]
        # the server must never send more than the windows we granted
        seen.granted -= flow
        self.connection_granted -= flow
        assert seen.granted >= 0, "DATA beyond the stream window on stream %d" % sid
        assert self.connection_granted >= 0, "DATA beyond the connection window"
        seen.data += content
        seen.data_frames.append(len(content))
        if flags & END_STREAM:
            seen.ended = True
        if self.credit and flow:
            out = window_update(0, flow)
            self.connection_granted += flow
            if not seen.ended:
                out += window_update(sid, flow)
                seen.granted += flow
            self.send(out)

    def grant(self, stream_id: int, increment: int) -> None:
        """WINDOW_UPDATE *increment* octets on *stream_id* (0: the connection)."""
        if stream_id:
            self.stream(stream_id).granted += increment
        else:
            self.connection_granted += increment
        self.send(window_update(stream_id, increment))

    def wait(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        """Read until *predicate()* holds; TimeoutError after *timeout*
        seconds, ConnectionError when the server closed first."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.closed:
                raise ConnectionError("closed by the server (GOAWAY %r)" % (self.goaway,))
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("condition not met within %.1fs" % timeout)
            self.pump(left)

    def wait_goaway(self, timeout: float = 15.0) -> GoAway:
        """Wait for GOAWAY, then for the server to close the connection."""
        deadline = time.monotonic() + timeout
        while not self.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the server did not close within %.1fs" % timeout)
            self.pump(left)
        assert self.goaway is not None, "closed without GOAWAY"
        return self.goaway

    def sync(self) -> None:
        """Wait until the server processed everything sent so far (and has
        acknowledged our SETTINGS): a PING is answered in order."""
        self._pings += 1
        opaque = b"sync%04d" % self._pings
        self.send(frame(PING, 0, 0, opaque))
        self.wait(lambda: opaque in self.ping_acks and self.settings_acks >= 1)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
