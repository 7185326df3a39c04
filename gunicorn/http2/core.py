"""Sans-IO HTTP/2 server connection (RFC 9113, RFC 7541) on ``h2.H2Connection``.

``HTTP2ServerProtocol`` is the one place where HTTP/2 is spoken; the blocking
and asyncio drivers only move bytes and wake waiters.  Bytes go in with
``receive_data(data)``, which returns events (``gunicorn.http2.events``);
bytes to write come out of ``data_to_send()``.  Responses go out through
``send_informational`` / ``send_headers`` / ``send_data`` / ``end_stream`` /
``reset_stream`` (or the same methods on ``HTTP2Stream``).  Nothing here
blocks, sleeps or touches a socket; nothing here is thread-safe either: a
threaded driver calls every method under one lock per connection.

``h2`` does framing, HPACK, the state machines and flow-control accounting.
Incoming bytes are cut into frames here first and handed to ``h2`` one frame
at a time, so that the rules ``h2`` gets wrong or answers with the wrong
error code are applied before it sees a frame:

* a frame longer than SETTINGS_MAX_FRAME_SIZE, and a RST_STREAM, SETTINGS,
  PING, GOAWAY or WINDOW_UPDATE frame whose length its type does not allow,
  are refused from the frame header (FRAME_SIZE_ERROR, RFC 9113 sections 4.2,
  6.4, 6.5, 6.7-6.9), before their payload is awaited;
* the client preface and a first frame other than SETTINGS (section 3.4);
* malformed requests (section 8.1.1: pseudo-headers, connection-specific
  fields, ``te``, uppercase names, content-length against DATA, trailers
  without END_STREAM) are stream errors of type PROTOCOL_ERROR, not
  connection errors: ``h2``'s own header validation is off and its decoder
  is wrapped so that it never sees the fields it would reject;
* HPACK decoding errors are COMPRESSION_ERROR (section 4.3);
* streams beyond SETTINGS_MAX_CONCURRENT_STREAMS are refused with
  RST_STREAM(REFUSED_STREAM) after their field block was decoded, which keeps
  the HPACK context in step (section 5.1.2);
* RST_STREAM on an idle stream is a connection error (section 6.4);
  WINDOW_UPDATE with increment 0 on a stream and PRIORITY that depends on
  itself or is not 5 octets long are stream errors (sections 6.9, 5.3.1, 6.3); a
  CONTINUATION without a header block and PUSH_PROMISE from a client are
  PROTOCOL_ERROR (sections 6.10, 8.4); DATA after a stream ended both ways is
  a connection error of type STREAM_CLOSED (section 5.1); the reserved bit of
  WINDOW_UPDATE is ignored (section 6.9);
* frames that arrive on a stream we reset are ignored (section 5.1), where
  ``h2`` would answer each with another RST_STREAM;
* GOAWAY frames are handled here: ``h2`` would stop all sending on receipt,
  whereas a peer's GOAWAY(NO_ERROR) still lets the running streams finish,
  and our own graceful GOAWAY keeps serving the streams below it (6.8).

Flood limits (each closes only this connection, with GOAWAY
ENHANCE_YOUR_CALM): token buckets for stream resets -- received RST_STREAM,
streams we reset because of the peer, refused streams -- (CVE-2023-44487
"rapid reset" and its server-reset variant), PING, SETTINGS, PRIORITY, empty
frames and tiny WINDOW_UPDATEs, and a bound on a header block's size and
number of CONTINUATION frames.  HPACK output is bounded by a hard header list
limit above the advertised SETTINGS_MAX_HEADER_LIST_SIZE; between the two the
request is answered 431 on its stream.  Our HPACK encoder's dynamic table is
bounded too (``ENCODER_TABLE_SIZE``), whatever SETTINGS_HEADER_TABLE_SIZE the
peer advertises.

Flow control is tied to consumption: request DATA stays in the stream's
buffer, and the stream window is only re-opened when ``HTTP2Stream.read_body``
takes octets out.  The connection window (``connection_window``) bounds the
request content buffered for the whole connection.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from h2 import events as h2e
from h2.config import H2Configuration
from h2.connection import ConnectionState, H2Connection
from h2.errors import ErrorCodes
from h2.exceptions import (
    FrameDataMissingError,
    H2Error,
    ProtocolError,
    StreamClosedError,
    StreamIDTooLowError,
)
from h2.settings import SettingCodes, Settings
from h2.stream import StreamClosedBy
from h2.stream import StreamState as _H2StreamState
from hpack import Decoder, Encoder
from hpack.exceptions import HPACKError, OversizedHeaderListError
from hpack.table import HeaderTable
from hyperframe.exceptions import InvalidDataError, InvalidFrameError, InvalidPaddingError
from hyperframe.frame import Frame, RstStreamFrame

from gunicorn.http.core.settings import settings_for
from gunicorn.http.errors import LimitRequestHeaders, ParseException

from .errors import (
    HTTP2ConnectionError,
    HTTP2Error,
    HTTP2ErrorCode,
    HTTP2StreamError,
    error_for_code,
)
from .events import (
    ConnectionTerminated,
    DataReceived,
    Event,
    RequestReceived,
    RequestRejected,
    StreamEnded,
    StreamReset,
    WindowUpdated,
)
from .fields import informational_block, response_head, trailer_block
from .request import HTTP2Request, check_trailer_policy
from .stream import (  # the states as globals: read per frame
    _CLOSED,
    _HALF_CLOSED_LOCAL,
    _HALF_CLOSED_REMOTE,
    _OPEN,
    _RECEIVING,
    HTTP2Stream,
)

__all__ = [
    "PREFACE",
    "H2C_SWITCHING_PROTOCOLS",
    "FloodLimits",
    "HTTP2ServerProtocol",
    "detect_preface",
    "decode_http2_settings",
    "h2c_upgrade_settings",
    "h2c_allowed",
    "inadequate_tls",
]

# The client connection preface (RFC 9113 section 3.4).
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Answer to an accepted "Upgrade: h2c" request (RFC 7540 section 3.2); the
# driver writes it, then ``data_to_send()``.
H2C_SWITCHING_PROTOCOLS = (
    b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
)

# frame types (RFC 9113 section 6)
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
# flags
FLAG_END_STREAM = 0x1
FLAG_ACK = 0x1
FLAG_END_HEADERS = 0x4
FLAG_PADDED = 0x8
FLAG_PRIORITY = 0x20

E = HTTP2ErrorCode
_MAX_STREAM_ID = 2 ** 31 - 1
# how far below the highest one a stream id is remembered for the "ignore
# frames after our RST_STREAM" and "DATA after END_STREAM both ways" rules;
# older ones fall back to h2's rules
_REMEMBERED_SPAN = 1 << 15

#: frame types whose length alone, read from the frame header, can be wrong:
#: a connection error of type FRAME_SIZE_ERROR (RFC 9113 sections 4.2, 6.4,
#: 6.5, 6.7, 6.8, 6.9)
_FIXED_SIZE_TYPES = frozenset((RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE))


def _bad_length(ftype: int, flags: int, length: int) -> bool:
    """Whether a frame of *ftype* with *flags* cannot be *length* octets long."""
    if ftype == SETTINGS:
        return bool(length % 6 or (flags & FLAG_ACK and length))
    if ftype == PING:
        return length != 8
    if ftype == GOAWAY:
        return length < 8
    return length != 4  # RST_STREAM, WINDOW_UPDATE


#: h2 stream states in which DATA may be sent (RFC 9113 section 5.1)
_H2_SENDING = (_H2StreamState.OPEN, _H2StreamState.HALF_CLOSED_REMOTE)
_H2_OPEN = _H2StreamState.OPEN
_H2_HALF_CLOSED_LOCAL = _H2StreamState.HALF_CLOSED_LOCAL
_H2_CLOSED = _H2StreamState.CLOSED
_H2_SERVER_OPEN = ConnectionState.SERVER_OPEN
_CLOSED_BY_END = StreamClosedBy.SEND_END_STREAM
#: DATA payloads up to this size are copied into the output buffer; larger
#: ``bytes`` payloads wait in it by reference
_COPY_PAYLOAD = 4096


def _local_end_state(state_machine: Any) -> None:
    """Our END_STREAM on an h2 stream in a sending state: the transition
    h2's ``SEND_END_STREAM`` input makes (RFC 9113 section 5.1)."""
    if state_machine.state is _H2_OPEN:
        state_machine.state = _H2_HALF_CLOSED_LOCAL
    else:  # half-closed (remote)
        state_machine.state = _H2_CLOSED
        state_machine.stream_closed_by = _CLOSED_BY_END


def _frame_header(length: int, ftype: int, flags: int, stream_id: int) -> bytes:
    return length.to_bytes(3, "big") + bytes((ftype, flags)) + stream_id.to_bytes(4, "big")


def _rst_frame(stream_id: int, code: int) -> bytes:
    return _frame_header(4, RST_STREAM, 0, stream_id) + int(code).to_bytes(4, "big")


def _goaway_frame(last_stream_id: int, code: int, data: bytes = b"") -> bytes:
    return (_frame_header(8 + len(data), GOAWAY, 0, 0) + last_stream_id.to_bytes(4, "big")
            + int(code).to_bytes(4, "big") + data)


def _settings_frame(values: Iterable[tuple[int, int]]) -> bytes:
    payload = b"".join(int(k).to_bytes(2, "big") + int(v).to_bytes(4, "big") for k, v in values)
    return _frame_header(len(payload), SETTINGS, 0, 0) + payload


def _refused(stream_id: int, exc: H2Error) -> HTTP2StreamError:
    """The error for a frame h2 refused to send on *stream_id*."""
    return HTTP2StreamError(stream_id, "h2 refused to send: %s" % (exc,), E.INTERNAL_ERROR)


@dataclass
class FloodLimits:
    """Per-connection abuse limits.

    Each ``(burst, rate)`` pair is a token bucket: *burst* events at once,
    refilled at *rate* per second.  Running dry closes the connection with
    GOAWAY ENHANCE_YOUR_CALM (RFC 9113 section 10.5).

    Attributes:
        resets: stream resets -- RST_STREAM received, streams reset because of
            the peer, streams refused beyond the concurrency limit.  A burst of
            0 means ``max(200, 2 * http2_max_concurrent_streams)``.
        pings: PING frames without ACK.
        settings: SETTINGS frames without ACK.
        priorities: PRIORITY frames.
        empty_frames: DATA frames with no content and no END_STREAM, PING ACKs
            and SETTINGS ACKs we did not ask for, frames of unknown type.
        small_window_updates: WINDOW_UPDATE frames with an increment below
            ``small_window_update`` octets.
        small_window_update: the increment (octets) below which a
            WINDOW_UPDATE counts as small.
        max_continuations: CONTINUATION frames allowed in one header block.
        header_block_size: octets allowed in one encoded header block, and the
            hard limit of a decoded header list; 0 means
            ``max(2 * http2_max_header_list_size, http2_max_header_list_size + 16384)``.
        connection_window: the connection flow-control window (octets) granted
            to the peer, the most request content buffered on one connection;
            0 means ``max(65535, 4 * http2_initial_window_size, 1 MiB)``
            capped at 2**31-1.
    """

    resets: tuple[int, float] = (0, 50.0)
    pings: tuple[int, float] = (200, 20.0)
    settings: tuple[int, float] = (100, 10.0)
    priorities: tuple[int, float] = (1000, 200.0)
    empty_frames: tuple[int, float] = (1000, 100.0)
    small_window_updates: tuple[int, float] = (1000, 100.0)
    small_window_update: int = 1024
    max_continuations: int = 32
    header_block_size: int = 0
    connection_window: int = 0


class _Bucket:
    """Token bucket: ``take(now)`` is False when the burst is used up."""

    __slots__ = ("tokens", "burst", "rate", "stamp")

    def __init__(self, burst: int, rate: float, now: float) -> None:
        self.tokens = float(burst)
        self.burst = float(burst)
        self.rate = rate
        self.stamp = now

    def take(self, now: float) -> bool:
        tokens = self.tokens + (now - self.stamp) * self.rate
        if tokens > self.burst:
            tokens = self.burst
        self.stamp = now
        if tokens < 1.0:
            self.tokens = tokens
            return False
        self.tokens = tokens - 1.0
        return True


class _VersionedTable(HeaderTable):
    """hpack's header table with a count of its changes (entries added,
    size changed).

    HPACK coding is a function of the field block and the table: a block
    that left the count unchanged (every field indexed or not indexed, no
    size update) encodes or decodes to the same result while the count
    stays, which is what lets the coders below reuse results.  A browser or
    a client library sends the same request fields again and again, and an
    application the same response fields; hpack spends 10-12 us on each.
    """

    version = 0

    def add(self, name: bytes, value: bytes) -> None:
        self.version += 1
        HeaderTable.add(self, name, value)

    def _resize(self, value: int) -> None:
        self.version += 1
        HeaderTable.maxsize.fset(self, value)  # type: ignore[attr-defined]

    maxsize = property(HeaderTable.maxsize.fget, _resize)  # type: ignore[assignment, attr-defined]


# the most field blocks remembered per coder (only those that left the
# table as it was, and only until the table changes), the largest one and
# the most fields in one: a peer that repeats blocks of indexed fields
# holds at most 16 x 64 small tuples per connection this way
_CODING_CACHE_SIZE = 16
_CODING_CACHE_BLOCK = 1024
_CODING_CACHE_FIELDS = 64


class _CapturingDecoder(Decoder):
    """HPACK decoder that keeps each decoded field block for the protocol and
    hands ``h2`` an empty list.

    ``h2`` turns several per-request problems (content-length, informational
    status, its own field validation) into connection errors once it sees
    the fields; with an empty list it only runs the stream state machine, and
    the protocol validates the real fields itself.  Decoding errors are
    recorded instead of raised, so that the protocol answers
    COMPRESSION_ERROR (RFC 9113 section 4.3) or ENHANCE_YOUR_CALM (header
    list above the hard limit; the HPACK context is then lost too).
    """

    def __init__(self, hard_limit: int) -> None:
        self._hard_limit = hard_limit
        super().__init__()
        self._table = self.header_table = _VersionedTable()
        self.captured: list[Any] | None = None
        self.error = 0
        self.error_message = ""
        # field blocks that left the table unchanged -> their fields, valid
        # for _cache_state (table version, allowed table size)
        self._cache: dict[bytes, tuple[Any, ...]] = {}
        self._cache_state: tuple[int, int] = (-1, 0)

    def _ignore_limit(self, value: int) -> None:
        # h2 copies the advertised setting here on SETTINGS ACK; the advertised
        # value is enforced with a 431 instead, this one is the hard limit.
        pass

    # the hard limit; hpack reads it once per decoded field, hence a getter
    # in C (attrgetter) rather than a Python function
    max_header_list_size = property(  # type: ignore[assignment]
        attrgetter("_hard_limit"), _ignore_limit)

    def decode(self, data: Any, raw: bool = False) -> list[Any]:
        table = self._table
        state = (table.version, self.max_allowed_table_size)
        cache = self._cache
        if state != self._cache_state:
            cache.clear()
            self._cache_state = state
        elif type(data) is bytes:
            known = cache.get(data)
            if known is not None:
                self.captured = list(known)
                return []
        try:
            headers = super().decode(data, raw=True)
        except OversizedHeaderListError:
            self.error = E.ENHANCE_YOUR_CALM
            self.error_message = "header list larger than %d octets" % self._hard_limit
            return []
        except (HPACKError, IndexError, TypeError, ValueError) as exc:
            self.error = E.COMPRESSION_ERROR
            self.error_message = "HPACK decoding error: %s" % (exc,)
            return []
        # hpack returns a new list; anything else is copied into one
        captured = self.captured = headers if type(headers) is list else list(headers)
        if (table.version == state[0] and type(data) is bytes
                and len(data) <= _CODING_CACHE_BLOCK and len(captured) <= _CODING_CACHE_FIELDS
                and len(cache) < _CODING_CACHE_SIZE):
            cache[data] = tuple(captured)
        return []

    def take(self) -> list[Any]:
        headers = self.captured
        self.captured = None
        return headers or []


# The most octets of HPACK dynamic table our encoder uses for response
# fields, whatever SETTINGS_HEADER_TABLE_SIZE the peer advertises: the
# encoder may use less than the peer allows (RFC 7541 section 4.2), and a
# peer advertising 2**32-1 would otherwise make the table keep every distinct
# response field of a long connection.  4096 is the initial value (RFC 9113
# section 6.5.2).
ENCODER_TABLE_SIZE = 4096


class _BoundedEncoder(Encoder):
    """HPACK encoder whose dynamic table never exceeds ENCODER_TABLE_SIZE.

    ``h2`` sets ``header_table_size`` to the peer's SETTINGS_HEADER_TABLE_SIZE;
    a smaller value is honoured (and signalled with a dynamic table size
    update), a larger one is cut to the bound.
    """

    def __init__(self) -> None:
        super().__init__()
        self._table = self.header_table = _VersionedTable()
        # lists of plain (name, value) tuples that left the table unchanged
        # -> their block, valid while the table version is _cache_version
        self._cache: dict[tuple[Any, ...], bytes] = {}
        self._cache_version = -1

    @property  # type: ignore[override]
    def header_table_size(self) -> int:
        return self.header_table.maxsize

    @header_table_size.setter
    def header_table_size(self, value: int) -> None:
        Encoder.header_table_size.fset(self, min(int(value), ENCODER_TABLE_SIZE))  # type: ignore[attr-defined]

    def encode(self, headers: Any, huffman: bool = True) -> bytes:
        """hpack's ``encode``; a list of plain tuples encoded before, while
        the table has not changed since, gets the same block again."""
        table = self._table
        key = None
        if type(headers) is list and huffman and not table.resized \
                and len(headers) <= _CODING_CACHE_FIELDS and set(map(type, headers)) == _PLAIN:
            # plain tuples only: a NeverIndexedHeaderTuple compares equal to
            # a tuple but encodes differently
            version = table.version
            cache = self._cache
            if version != self._cache_version:
                cache.clear()
                self._cache_version = version
            key = tuple(headers)
            try:
                known = cache.get(key)
            except TypeError:  # an unhashable value: hpack decides
                key = None
            else:
                if known is not None:
                    return known
        block = super().encode(headers, huffman)
        if key is not None and table.version == self._cache_version \
                and len(block) <= _CODING_CACHE_BLOCK and len(self._cache) < _CODING_CACHE_SIZE:
            self._cache[key] = block
        return block


_PLAIN = {tuple}


class _StreamIdWindow:
    """A set of stream ids kept as one bit each over a sliding window of the
    last ``_REMEMBERED_SPAN`` ids (RFC 9113 section 5.1, closed state).

    An id more than the span below the highest one added is forgotten.  The
    bits grow with the ids seen, up to span / 8 octets (4 KiB); a dict of
    the last 1024 ids took about 70 KB per connection.
    """

    __slots__ = ("_bits", "_base")

    def __init__(self) -> None:
        self._bits = bytearray()
        self._base = 0  # the stream id of bit 0, a multiple of 8

    def add(self, stream_id: int) -> None:
        off = stream_id - self._base
        if off < 0:
            return
        bits = self._bits
        byte = off >> 3
        if byte >= len(bits):
            cap = _REMEMBERED_SPAN >> 3
            if byte >= cap:
                # slide by a quarter of the window at least: O(1) amortized
                drop = max(byte - cap + 1, cap >> 2)
                del bits[:drop]
                self._base += drop << 3
                byte -= drop
                off -= drop << 3
            bits.extend(bytes(byte + 1 - len(bits)))
        bits[byte] |= 1 << (off & 7)

    def __contains__(self, stream_id: int) -> bool:
        off = stream_id - self._base
        if off < 0:
            return False
        byte = off >> 3
        return byte < len(self._bits) and bool(self._bits[byte] >> (off & 7) & 1)


class _H2Connection(H2Connection):
    """h2's connection with a smaller memory of closed streams and a
    per-frame input path.

    ``receive_frame`` takes one frame the protocol has already split off
    (no frame buffer), and no received frame is formatted for h2's trace
    log.  h2 remembers how the last 65536 streams closed (several MB on a
    long-lived connection).  The late frames RFC 9113 section 5.1 tells an
    endpoint to ignore are recognised by HTTP2ServerProtocol's own tables
    (stream ids up to 32768 below the highest); h2's memory only chooses between a stream and a
    connection error for older ones, so 256 are kept (about 30 KB per
    connection instead of 470 KB once 4096 streams have closed).
    """

    MAX_CLOSED_STREAMS = 256

    #: streams held (open or closed) before the next sweep of closed ones
    _sweep_at = 64

    @property
    def open_inbound_streams(self) -> int:
        """0: HTTP2ServerProtocol enforces SETTINGS_MAX_CONCURRENT_STREAMS
        (h2's limit is set out of reach).

        h2 counts the open streams by walking all of them on every new
        stream, and moves the closed ones out as it goes; here the walk runs
        only once the streams held doubled since the last one, so each new
        stream costs O(1) amortized.
        """
        if len(self.streams) >= self._sweep_at:
            self._open_streams(1)  # the walk; its count (odd ids) is unused
            self._sweep_at = max(64, 2 * len(self.streams))
        return 0

    def receive_frame(self, frame: bytes | bytearray) -> list[h2e.Event]:
        """Process one complete frame (9-octet header and payload) outside a
        header block; return h2's events.

        ``receive_data`` for a single frame without h2's frame buffer (the
        protocol has already split the input into frames and checked their
        size).  A HEADERS frame without END_HEADERS and CONTINUATION frames
        must go through ``receive_data``, whose buffer joins the block.
        Raises ProtocolError with GOAWAY queued, as ``receive_data`` does.
        """
        view = memoryview(frame)
        try:
            try:
                parsed, _length = Frame.parse_frame_header(view[:9])
                parsed.parse_body(view[9:])
            except InvalidPaddingError as exc:
                raise ProtocolError("frame with invalid padding") from exc
            except InvalidDataError as exc:
                raise ProtocolError("frame with invalid data") from exc
            except InvalidFrameError as exc:
                raise FrameDataMissingError("frame payload missing or invalid") from exc
            return self._receive_frame(parsed)
        except ProtocolError as exc:
            self._terminate_connection(exc.error_code)  # GOAWAY, as receive_data
            raise

    def _receive_frame(self, frame: Frame) -> list[h2e.Event]:
        # h2's own version first formats the frame for a trace log that is
        # never written (repr of the frame, its flags and payload: about 5%
        # of the CPU time of a small request); the outcomes are the same
        try:
            frames, events = self._frame_dispatch_table[frame.__class__](frame)
        except StreamClosedError as exc:
            # a stream we reset: a stream error; one that ended: connection error
            if not self._stream_is_closed_by_reset(exc.stream_id):
                raise
            self._reset_again(exc.stream_id, exc.error_code)
            return exc._events
        except StreamIDTooLowError as exc:
            # a stream h2 has already forgotten
            if self._stream_is_closed_by_reset(exc.stream_id):
                self._reset_again(exc.stream_id, ErrorCodes.STREAM_CLOSED)
                return []
            if self._stream_is_closed_by_end(exc.stream_id):
                raise StreamClosedError(exc.stream_id) from exc
            raise
        self._prepare_for_sending(frames)
        return events

    def _reset_again(self, stream_id: int, code: int) -> None:
        rst = RstStreamFrame(stream_id)
        rst.error_code = code
        self._prepare_for_sending([rst])

    def forget_closed(self, stream_id: int) -> None:
        """Move a closed stream out of ``streams`` now, as h2's walk would
        (its closing reason stays in ``_closed_streams``).  Without it each
        connection holds up to ``_sweep_at`` finished H2Streams (about 2 KB
        each) until the next walk."""
        stream = self.streams.get(stream_id)
        if stream is not None and stream.closed:
            del self.streams[stream_id]
            self._closed_streams[stream_id] = stream.closed_by


class HTTP2ServerProtocol:
    """The server side of one HTTP/2 connection, without I/O.

    Args:
        cfg: the gunicorn Config; reads ``http2_max_concurrent_streams``,
            ``http2_initial_window_size``, ``http2_max_frame_size``,
            ``http2_max_header_list_size`` and the HTTP/1.1 field policy
            settings (``header_map``, ``forwarded_allow_ips``,
            ``secure_scheme_headers``, limits).
        client_addr: the peer address ((host, port), a UNIX path or None);
            decides whether the peer is trusted (``forwarded_allow_ips``).
        is_ssl: whether the connection is TLS (the default scheme);
            ``cfg.is_ssl`` when None.
        limits: FloodLimits (defaults when None).
        clock: monotonic clock in seconds, for the flood limits.
        enable_connect_protocol: advertise SETTINGS_ENABLE_CONNECT_PROTOCOL=1
            and accept extended CONNECT requests carrying ``:protocol``
            (RFC 8441 sections 3 and 4).  Only a worker that serves
            WebSocket sets it; without it such a request is malformed (a
            stream error of type PROTOCOL_ERROR, RFC 9113 section 8.1.1).

    Usage: ``initiate_connection()`` (or ``initiate_upgrade_connection`` for
    h2c Upgrade), write ``data_to_send()``, then feed every read to
    ``receive_data`` and write ``data_to_send()`` after every call that may
    produce output.  Attributes: ``streams`` (dict id -> HTTP2Stream of the
    streams not closed yet), ``max_concurrent_streams``,
    ``initial_window_size``, ``max_frame_size``, ``max_header_list_size``
    (what we advertise), ``h2_conn`` (the ``h2.connection.H2Connection``).
    """

    stream_class: type[HTTP2Stream] = HTTP2Stream
    request_class: type[HTTP2Request] = HTTP2Request

    def __init__(self, cfg: Any, client_addr: Any = None, *, is_ssl: bool | None = None,
                 limits: FloodLimits | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 enable_connect_protocol: bool = False) -> None:
        self.cfg = cfg
        self.enable_connect_protocol = bool(enable_connect_protocol)
        self.client_addr = client_addr
        self.max_concurrent_streams = max(0, int(getattr(cfg, "http2_max_concurrent_streams", 100)))
        self.initial_window_size = min(max(0, int(getattr(cfg, "http2_initial_window_size",
                                                          65535))), _MAX_STREAM_ID)
        self.max_frame_size = min(max(16384, int(getattr(cfg, "http2_max_frame_size", 16384))),
                                  16777215)
        self.max_header_list_size = max(0, int(getattr(cfg, "http2_max_header_list_size",
                                                       65536)))
        limits = limits or FloodLimits()
        self.limits = limits
        self._clock = clock
        now = clock()
        burst, rate = limits.resets
        if not burst:
            burst = max(200, 2 * self.max_concurrent_streams)
        self._reset_bucket = _Bucket(burst, rate, now)
        self._ping_bucket = _Bucket(*limits.pings, now)
        self._settings_bucket = _Bucket(*limits.settings, now)
        self._priority_bucket = _Bucket(*limits.priorities, now)
        self._empty_bucket = _Bucket(*limits.empty_frames, now)
        self._window_bucket = _Bucket(*limits.small_window_updates, now)
        hard = limits.header_block_size or max(2 * self.max_header_list_size,
                                               self.max_header_list_size + 16384)
        self._block_limit = hard
        window = limits.connection_window or max(65535, 4 * self.initial_window_size, 1 << 20)
        self.connection_window = min(window, _MAX_STREAM_ID)

        self._parser_settings = settings_for(cfg)
        policy = self._parser_settings.policy
        self._trusted = policy.forwarded_trusted(client_addr)
        if is_ssl is None:
            self._default_scheme = policy.default_scheme
        else:
            self._default_scheme = "https" if is_ssl else "http"

        config = H2Configuration(
            client_side=False, header_encoding=None,
            validate_outbound_headers=False, normalize_outbound_headers=False,
            validate_inbound_headers=False, normalize_inbound_headers=False)
        h2 = _H2Connection(config=config)
        # h2 checks its concurrency limit before decoding a field block, which
        # would leave HPACK out of step on a refused stream: the limit we
        # advertise is enforced here, after decoding.
        h2.local_settings = Settings(client=False, initial_values={
            SettingCodes.MAX_CONCURRENT_STREAMS: _MAX_STREAM_ID,
            SettingCodes.MAX_HEADER_LIST_SIZE: self.max_header_list_size,
        })
        self._decoder = _CapturingDecoder(hard)
        h2.decoder = self._decoder
        h2.encoder = _BoundedEncoder()
        self.h2_conn = h2
        self.streams: dict[int, HTTP2Stream] = {}

        self._inbuf = bytearray()
        self._out = bytearray()
        #: output older than ``_out``: buffers handed over whole (DATA
        #: payloads of immutable bytes, referenced instead of copied)
        self._chunks: list[Any] = []
        self._events: list[Event] | None = None
        self._initiated = False
        self._preface_done = False
        self._settings_seen = False
        self._settings_acked = False
        self._settings_unacked = 0  # our SETTINGS frames not acknowledged yet
        self._terminated = False
        self._goaway_last: int | None = None
        self._peer_goaway = False
        self._block_sid = 0
        self._block_size = 0
        self._block_frames = 0
        self._block_strip = False
        self._verdict_sid = 0
        self._verdict = 0
        self._local_reset = _StreamIdWindow()
        self._closed_normally = _StreamIdWindow()

    # -- state ------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        """True once the connection is over (connection error, peer error, fatal close)."""
        return self._terminated

    @property
    def draining(self) -> bool:
        """True after a graceful GOAWAY either way: no new streams are accepted."""
        return self._goaway_last is not None or self._peer_goaway

    @property
    def active_streams(self) -> int:
        """Streams not closed yet (RFC 9113 section 5.1.2 counts these)."""
        return len(self.streams)

    @property
    def settings_acknowledged(self) -> bool:
        """True once the peer acknowledged our SETTINGS (else consider SETTINGS_TIMEOUT)."""
        return self._settings_acked

    @property
    def highest_stream_id(self) -> int:
        """The highest stream id the peer opened."""
        return self.h2_conn.highest_inbound_stream_id

    # -- start ------------------------------------------------------------------

    def _local_settings(self) -> None:
        h2 = self.h2_conn
        values: dict[SettingCodes | int, int] = {
            SettingCodes.INITIAL_WINDOW_SIZE: self.initial_window_size,
            SettingCodes.MAX_FRAME_SIZE: self.max_frame_size,
            SettingCodes.MAX_HEADER_LIST_SIZE: self.max_header_list_size,
        }
        if self.enable_connect_protocol:
            values[SettingCodes.ENABLE_CONNECT_PROTOCOL] = 1
        h2.update_settings(values)
        # h2's SETTINGS frames carry its internal concurrency value; ours
        # replaces them (one frame, one ACK, which applies the values above)
        h2.data_to_send()
        self._out += _settings_frame(
            [(SettingCodes.MAX_CONCURRENT_STREAMS, self.max_concurrent_streams), *values.items()])
        self._settings_unacked += 1
        grow = self.connection_window - 65535
        if grow > 0:
            h2.increment_flow_control_window(grow)
        self._initiated = True

    def initiate_connection(self) -> None:
        """Queue the server connection preface: our SETTINGS (RFC 9113 section 3.4)
        and a connection WINDOW_UPDATE up to ``connection_window``."""
        if self._initiated:
            return
        self.h2_conn.initiate_connection()
        self._local_settings()

    def initiate_upgrade_connection(self, settings_header: str | bytes, request: Any,
                                    body: bytes = b"") -> list[Event]:
        """Take over a connection after ``Upgrade: h2c`` (RFC 7540 section 3.2).

        Args:
            settings_header: the HTTP2-Settings value (base64url SETTINGS payload).
            request: the HTTP/1.1 request (method, uri, path, query, fragment,
                headers as (UPPERCASE name, value), scheme) that asked for the
                upgrade; it becomes stream 1, half-closed (remote).
            body: its complete content, read before the upgrade.

        Returns [RequestReceived(1, ...), StreamEnded(1, ())].  The driver
        writes ``H2C_SWITCHING_PROTOCOLS``, then ``data_to_send()``, then feeds
        what follows (starting with the client preface) to ``receive_data``.
        Raises ValueError for an invalid HTTP2-Settings value (call this
        before answering 101; on error serve HTTP/1.1 instead).
        """
        payload = decode_http2_settings(settings_header)
        self.h2_conn.initiate_upgrade_connection(base64.urlsafe_b64encode(payload))
        self._local_settings()
        stream = self.stream_class(1, self)
        stream.state = _HALF_CLOSED_REMOTE
        stream.request_complete = True
        if body:
            stream._body += body
            stream._exempt = len(body)
            stream.received = len(body)
        stream.content_length = len(body) if body else None
        req = self.request_class.from_http1(stream, self.cfg, self.client_addr, request,
                                            settings=self._parser_settings,
                                            default_scheme=self._default_scheme)
        stream.request = req
        self.streams[1] = stream
        return [RequestReceived(1, req, True), StreamEnded(1, ())]

    # -- input ------------------------------------------------------------------

    def receive_data(self, data: bytes) -> list[Event]:
        """Process bytes read from the peer; return the events they caused.

        Never raises for anything the peer sends: a connection error queues
        GOAWAY (see ``data_to_send``) and ends the list with
        ConnectionTerminated; later calls return [].
        """
        if self._terminated:
            return []
        if not self._initiated:
            self.initiate_connection()
        buf = self._inbuf
        buf += data
        events: list[Event] = []
        self._events = events
        try:
            pos = 0
            if not self._preface_done:
                n = len(buf)
                if buf[:24] != PREFACE[:n]:
                    self._connection_error(E.PROTOCOL_ERROR, "invalid connection preface")
                    return events
                if n < 24:
                    return events
                self._preface_done = True
                pos = 24
                self._feed(PREFACE, block=True)
            while not self._terminated:
                if len(buf) - pos < 9:
                    break
                length = (buf[pos] << 16) | (buf[pos + 1] << 8) | buf[pos + 2]
                if length > self.h2_conn.max_inbound_frame_size:
                    # refused from the header, before buffering (RFC 9113 4.2)
                    self._connection_error(E.FRAME_SIZE_ERROR,
                                           "frame of %d octets is over the limit" % length)
                    break
                end = pos + 9 + length
                ftype = buf[pos + 3]
                flags = buf[pos + 4]
                if (ftype in _FIXED_SIZE_TYPES and not self._block_sid
                        and (self._settings_seen or (ftype == SETTINGS and not flags & FLAG_ACK))
                        and _bad_length(ftype, flags, length)):
                    # known from the header: no waiting for a payload that
                    # may never come (the preface and header-block checks
                    # of _frame come first)
                    self._connection_error(E.FRAME_SIZE_ERROR,
                                           "frame type %d of %d octets" % (ftype, length))
                    break
                if end > len(buf):
                    break
                sid = ((buf[pos + 5] & 0x7F) << 24) | (buf[pos + 6] << 16) \
                    | (buf[pos + 7] << 8) | buf[pos + 8]
                frame = buf[pos:end]  # one copy; h2 copies it again anyway
                pos = end
                self._frame(ftype, flags, sid, length, frame)
            if self._terminated:
                buf.clear()
            elif pos:
                del buf[:pos]
        finally:
            self._events = None
        return events

    def _emit(self, event: Event) -> None:
        if self._events is not None:
            self._events.append(event)

    def _frame(self, ftype: int, flags: int, sid: int, length: int, frame: Any) -> None:
        """Apply the checks h2 lacks to one complete frame, then feed it to h2."""
        if self._block_sid:
            # only CONTINUATION frames of the same stream (RFC 9113 section 6.10)
            if ftype != CONTINUATION or sid != self._block_sid:
                self._connection_error(E.PROTOCOL_ERROR, "frame interleaved in a header block")
                return
            self._block_size += length
            self._block_frames += 1
            if (self._block_size > self._block_limit
                    or self._block_frames > self.limits.max_continuations):
                self._connection_error(E.ENHANCE_YOUR_CALM,
                                       "header block too large (CONTINUATION flood)")
                return
            if flags & FLAG_END_HEADERS:
                self._block_sid = 0
            self._feed(frame, sid if self._block_strip else 0, block=True)
            if not self._block_sid:
                self._verdict_sid = 0
            return
        if not self._settings_seen:
            if ftype != SETTINGS or flags & FLAG_ACK:
                # the preface ends with a SETTINGS frame (RFC 9113 section 3.4)
                self._connection_error(E.PROTOCOL_ERROR, "connection preface without SETTINGS")
                return
            self._settings_seen = True
        if ftype == DATA:
            self._on_data_frame(flags, sid, length, frame)
        elif ftype == HEADERS:
            self._on_headers_frame(flags, sid, length, frame)
        elif ftype == WINDOW_UPDATE:
            self._on_window_update_frame(sid, length, frame)
        elif ftype == RST_STREAM:
            self._on_rst_stream_frame(sid, length, frame)
        elif ftype == SETTINGS:
            self._on_settings_frame(flags, sid, length, frame)
        elif ftype == PING:
            if sid == 0 and length == 8:
                bucket = self._empty_bucket if flags & FLAG_ACK else self._ping_bucket
                if not bucket.take(self._clock()):
                    self._connection_error(E.ENHANCE_YOUR_CALM, "PING flood")
                    return
            self._feed(frame)
        elif ftype == PRIORITY:
            self._on_priority_frame(sid, length, frame)
        elif ftype == GOAWAY:
            self._on_goaway_frame(sid, length, frame)
        elif ftype == CONTINUATION:
            self._connection_error(E.PROTOCOL_ERROR, "CONTINUATION without a header block")
        elif ftype == PUSH_PROMISE:
            # a client cannot push (RFC 9113 section 8.4)
            self._connection_error(E.PROTOCOL_ERROR, "PUSH_PROMISE from a client")
        elif not self._empty_bucket.take(self._clock()):
            # unknown frame types are ignored (RFC 9113 section 5.5), within limits
            self._connection_error(E.ENHANCE_YOUR_CALM, "flood of frames of unknown type")

    def _is_idle(self, sid: int) -> bool:
        # we never open streams, so every even id is idle (RFC 9113 5.1.1)
        return sid % 2 == 0 or sid > self.h2_conn.highest_inbound_stream_id

    def _on_data_frame(self, flags: int, sid: int, length: int, frame: bytes) -> None:
        if sid in self._closed_normally:
            # "frames after ... END_STREAM ... connection error of type
            # STREAM_CLOSED" (RFC 9113 section 5.1, closed)
            self._connection_error(E.STREAM_CLOSED, "DATA on closed stream %d" % sid)
            return
        if not flags & FLAG_END_STREAM:
            content = length
            if flags & FLAG_PADDED and length:
                content = length - 1 - frame[9]
            if content <= 0 and not self._empty_bucket.take(self._clock()):
                self._connection_error(E.ENHANCE_YOUR_CALM, "flood of empty DATA frames")
                return
        self._feed(frame, sid if sid in self._local_reset else 0)

    def _on_headers_frame(self, flags: int, sid: int, length: int, frame: bytes) -> None:
        if length > self._block_limit:
            self._connection_error(E.ENHANCE_YOUR_CALM, "header block too large")
            return
        verdict = 0
        strip = False
        if flags & FLAG_PRIORITY and sid:
            at = 10 if flags & FLAG_PADDED else 9
            if 9 + length >= at + 5 and int.from_bytes(frame[at:at + 4], "big") & 0x7FFFFFFF == sid:
                # "A stream cannot depend on itself ... stream error of type
                # PROTOCOL_ERROR" (RFC 9113 section 5.3.1); h2 would make it a
                # connection error, so the priority fields are removed first
                rewritten = self._without_priority(flags, sid, length, frame)
                if rewritten is not None:
                    frame = rewritten
                    verdict = E.PROTOCOL_ERROR
        if sid and sid % 2 and sid > self.h2_conn.highest_inbound_stream_id:
            if self._refuse(sid):
                verdict = verdict or E.REFUSED_STREAM
        elif sid:
            stream = self.streams.get(sid)
            if stream is not None and stream.state in _RECEIVING:
                if not flags & FLAG_END_STREAM:
                    # a second HEADERS frame must end the stream (RFC 9113 8.1)
                    self._reset(stream, E.PROTOCOL_ERROR, provoked=True, event=True)
                    strip = True
            elif sid in self._local_reset:
                strip = True
        if self._terminated:
            return
        if verdict:
            self._verdict_sid = sid
            self._verdict = verdict
        if not flags & FLAG_END_HEADERS:
            self._block_sid = sid
            self._block_size = length
            self._block_frames = 0
            self._block_strip = strip
        self._feed(frame, sid if strip else 0, block=bool(self._block_sid))
        if not self._block_sid:
            self._verdict_sid = 0

    @staticmethod
    def _without_priority(flags: int, sid: int, length: int, frame: bytes) -> bytes | None:
        """The HEADERS frame without its priority fields and padding (None when the
        padding is invalid, which h2 then reports as PROTOCOL_ERROR)."""
        start = 9
        pad = 0
        if flags & FLAG_PADDED:
            if length < 1:
                return None
            pad = frame[9]
            start = 10
        start += 5
        stop = 9 + length - pad
        if stop < start:
            return None
        block = frame[start:stop]
        new_flags = flags & ~(FLAG_PRIORITY | FLAG_PADDED)
        return _frame_header(len(block), HEADERS, new_flags, sid) + block

    def _refuse(self, sid: int) -> bool:
        """Whether a new stream *sid* is refused (REFUSED_STREAM); counts the refusal."""
        if self._peer_goaway or (self._goaway_last is not None and sid > self._goaway_last):
            return True
        if len(self.streams) >= self.max_concurrent_streams:
            # beyond SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 section 5.1.2)
            self._count_reset("streams opened beyond the concurrency limit")
            return True
        return False

    def _on_window_update_frame(self, sid: int, length: int, frame: bytes) -> None:
        # the length is 4 (receive_data checked it)
        raw = int.from_bytes(frame[9:13], "big")
        increment = raw & 0x7FFFFFFF
        if raw != increment:
            # the reserved bit MUST be ignored (RFC 9113 section 6.9)
            frame = frame[:9] + increment.to_bytes(4, "big")
        if increment == 0 and sid:
            if self._is_idle(sid):
                self._connection_error(E.PROTOCOL_ERROR, "WINDOW_UPDATE on idle stream %d"
                                       % sid)
            else:
                # RFC 9113 section 6.9: a stream error on a stream
                self._stream_error(sid, E.PROTOCOL_ERROR)
            return
        if 0 < increment < self.limits.small_window_update and \
                not self._window_bucket.take(self._clock()):
            self._connection_error(E.ENHANCE_YOUR_CALM, "flood of tiny WINDOW_UPDATE frames")
            return
        self._feed(frame)

    def _on_rst_stream_frame(self, sid: int, length: int, frame: bytes) -> None:
        # the length is 4 (receive_data checked it)
        if sid:
            if self._is_idle(sid):
                # RFC 9113 section 6.4
                self._connection_error(E.PROTOCOL_ERROR, "RST_STREAM on idle stream %d" % sid)
                return
            if not self._count_reset("RST_STREAM flood (rapid reset)"):
                return
        self._feed(frame)

    def _on_settings_frame(self, flags: int, sid: int, length: int, frame: bytes) -> None:
        if sid == 0:
            if flags & FLAG_ACK:
                if self._settings_unacked:
                    self._settings_unacked -= 1
                elif not self._empty_bucket.take(self._clock()):
                    # an ACK we did not ask for costs work and means nothing
                    self._connection_error(E.ENHANCE_YOUR_CALM,
                                           "flood of SETTINGS ACK frames")
                    return
            elif not self._settings_bucket.take(self._clock()):
                self._connection_error(E.ENHANCE_YOUR_CALM, "SETTINGS flood")
                return
        self._feed(frame)

    def _on_priority_frame(self, sid: int, length: int, frame: bytes) -> None:
        if sid == 0:
            self._connection_error(E.PROTOCOL_ERROR, "PRIORITY on stream 0")
            return
        if length != 5:
            # RFC 9113 section 6.3: a stream error
            self._stream_error(sid, E.FRAME_SIZE_ERROR)
            return
        raw = int.from_bytes(frame[9:13], "big")
        depends_on = raw & 0x7FFFFFFF
        if depends_on == sid:
            self._stream_error(sid, E.PROTOCOL_ERROR)
            return
        if not self._priority_bucket.take(self._clock()):
            self._connection_error(E.ENHANCE_YOUR_CALM, "PRIORITY flood")
            return
        # priority signals are advisory (RFC 9113 section 5.3.2): recorded only
        stream = self.streams.get(sid)
        if stream is not None:
            stream.update_priority(frame[13] + 1, depends_on, bool(raw >> 31))

    def _on_goaway_frame(self, sid: int, length: int, frame: bytes) -> None:
        if sid:
            self._connection_error(E.PROTOCOL_ERROR, "GOAWAY on stream %d" % sid)
            return
        if self._peer_goaway and not self._empty_bucket.take(self._clock()):
            self._connection_error(E.ENHANCE_YOUR_CALM, "GOAWAY flood")
            return
        last = int.from_bytes(frame[9:13], "big") & 0x7FFFFFFF
        code = int.from_bytes(frame[13:17], "big")
        debug = bytes(frame[17:])
        self._peer_goaway = True
        if code != E.NO_ERROR:
            # the peer is closing because of an error: nothing more will be read
            self._terminate(code, "GOAWAY from the peer", remote=True, last=last, data=debug)
            return
        self._emit(ConnectionTerminated(code, last, True, debug, None))

    def _stream_error(self, sid: int, code: int) -> None:
        """RST_STREAM(code) for a frame on *sid* (open, closed or idle)."""
        stream = self.streams.get(sid)
        if stream is not None:
            self._reset(stream, code, provoked=True, event=True)
            return
        if not self._count_reset("streams reset because of peer errors"):
            return
        self._raw(_rst_frame(sid, code))
        if not self._is_idle(sid):
            self._local_reset.add(sid)

    # -- h2 ---------------------------------------------------------------------

    def _feed(self, frame: bytes, strip_sid: int = 0, block: bool = False) -> None:
        """Hand one frame to h2 and translate what comes back.

        *block*: the frame opens or continues a header block (or is the
        preface), so it goes through h2's frame buffer, which joins the
        block; other frames are handed over directly.
        """
        h2 = self.h2_conn
        if strip_sid:
            pending = h2.data_to_send()
            if pending:
                self._out += pending
        decoder = self._decoder
        decoder.captured = None
        try:
            h2_events = h2.receive_data(frame) if block else h2.receive_frame(frame)
        except ProtocolError as exc:
            # h2 already queued GOAWAY with exc.error_code
            self._terminate(int(exc.error_code), str(exc) or type(exc).__name__)
            return
        except (H2Error, ValueError, KeyError, AssertionError) as exc:
            self._connection_error(E.INTERNAL_ERROR, "h2 failed: %r" % (exc,))
            return
        if decoder.error:
            self._connection_error(decoder.error, decoder.error_message)
            return
        if strip_sid:
            # frames on a stream we reset are ignored (RFC 9113 section 5.1);
            # h2 answers them with RST_STREAM(STREAM_CLOSED), which is dropped
            out = h2.data_to_send()
            rst = _rst_frame(strip_sid, E.STREAM_CLOSED)
            if out.endswith(rst):
                out = out[:-len(rst)]
            self._out += out
        for event in h2_events:
            if self._terminated:
                return
            handler = self._H2_HANDLERS.get(type(event))
            if handler is not None:
                handler(self, event)

    def _take_verdict(self, sid: int) -> int:
        if self._verdict_sid == sid:
            self._verdict_sid = 0
            return self._verdict
        return 0

    def _on_request(self, ev: h2e.RequestReceived) -> None:
        sid = ev.stream_id
        headers = self._decoder.take()
        end = ev.stream_ended is not None
        verdict = self._take_verdict(sid)
        if verdict:
            self._h2_reset(sid, verdict)
            if verdict != E.REFUSED_STREAM:
                self._count_reset("streams reset because of peer errors")
            return
        stream = self.stream_class(sid, self)
        priority = ev.priority_updated
        if priority is not None:
            stream.update_priority(priority.weight, priority.depends_on, priority.exclusive)
        try:
            stream.receive_headers(headers, end)
        except HTTP2StreamError as exc:
            self._h2_reset(sid, exc.error_code)
            self._count_reset("malformed requests")
            return
        self.streams[sid] = stream
        try:
            if stream.list_size > self.max_header_list_size:
                # above what we advertised, below the hard limit (RFC 9113 10.5.1)
                raise LimitRequestHeaders("SETTINGS_MAX_HEADER_LIST_SIZE exceeded")
            req = self.request_class(stream, self.cfg, self.client_addr,
                                     settings=self._parser_settings, trusted=self._trusted,
                                     default_scheme=self._default_scheme)
        except ParseException as exc:
            stream.discard_body = True
            credit = stream._drop_body()
            if credit:
                self._ack(sid, credit)
            self._emit(RequestRejected(sid, exc))
            return
        stream.request = req
        self._emit(RequestReceived(sid, req, end))

    def _on_trailers(self, ev: h2e.TrailersReceived) -> None:
        sid = ev.stream_id
        headers = self._decoder.take()
        verdict = self._take_verdict(sid)
        stream = self.streams.get(sid)
        if stream is None:
            return
        if verdict:
            self._reset(stream, verdict, provoked=True, event=True)
            return
        try:
            stream.receive_trailers(headers)
        except HTTP2StreamError as exc:
            self._reset(stream, exc.error_code, provoked=True, event=True)
            return
        req = stream.request
        if req is not None:
            try:
                req.set_trailers(check_trailer_policy(stream.trailers, self._parser_settings))
            except ParseException as exc:
                # as HTTP/1.1: the body reader raises it at the end of the body
                stream.body_error = exc

    def _on_data(self, ev: h2e.DataReceived) -> None:
        sid = ev.stream_id
        data = ev.data
        flow = ev.flow_controlled_length
        stream = self.streams.get(sid)
        if stream is None:
            self._ack(sid, flow)
            return
        size = len(data)
        if flow > size:
            # padding is never read by anyone: credit it at once
            self._ack(sid, flow - size)
        end = ev.stream_ended is not None
        try:
            stream.receive_data(data, end)
        except HTTP2StreamError as exc:
            self._ack(sid, size)
            self._reset(stream, exc.error_code, provoked=True, event=True)
            return
        if stream.discard_body:
            self._ack(sid, size)
        elif stream.request is not None:
            self._emit(DataReceived(sid, data, end))

    def _on_stream_ended(self, ev: h2e.StreamEnded) -> None:
        stream = self.streams.get(ev.stream_id)
        if stream is None:
            return
        req = stream.request
        if req is not None:
            self._emit(StreamEnded(ev.stream_id, tuple(req.trailers)))
        if stream.state is _CLOSED:
            self._closed(stream, normally=True)

    def _on_stream_reset(self, ev: h2e.StreamReset) -> None:
        sid = ev.stream_id
        code = int(ev.error_code) if ev.error_code is not None else E.NO_ERROR
        if not ev.remote_reset:
            # h2 reset it (STREAM_CLOSED, FLOW_CONTROL_ERROR): the peer caused it
            self._local_reset.add(sid)
            if not self._count_reset("streams reset because of peer errors"):
                return
        stream = self.streams.pop(sid, None)
        if stream is None:
            return
        self._closed(stream, code=code, remote=ev.remote_reset)
        if stream.request is not None:
            self._emit(StreamReset(sid, code, ev.remote_reset))

    def _on_window_updated(self, ev: h2e.WindowUpdated) -> None:
        sid = ev.stream_id or 0
        if sid == 0 or sid in self.streams:
            self._emit(WindowUpdated(sid))

    def _on_remote_settings(self, ev: h2e.RemoteSettingsChanged) -> None:
        changed = ev.changed_settings
        if SettingCodes.INITIAL_WINDOW_SIZE in changed or SettingCodes.MAX_FRAME_SIZE in changed:
            self._emit(WindowUpdated(0))

    def _on_settings_ack(self, ev: h2e.SettingsAcknowledged) -> None:
        self._settings_acked = True

    def _on_priority(self, ev: h2e.PriorityUpdated) -> None:
        # h2 types stream_id as optional; .get(None) simply finds nothing
        stream = self.streams.get(ev.stream_id)  # type: ignore[arg-type]
        if stream is not None:
            stream.update_priority(ev.weight, ev.depends_on, ev.exclusive)

    _H2_HANDLERS: dict[type, Callable[[Any, Any], None]] = {
        h2e.RequestReceived: _on_request,
        h2e.TrailersReceived: _on_trailers,
        h2e.DataReceived: _on_data,
        h2e.StreamEnded: _on_stream_ended,
        h2e.StreamReset: _on_stream_reset,
        h2e.WindowUpdated: _on_window_updated,
        h2e.RemoteSettingsChanged: _on_remote_settings,
        h2e.SettingsAcknowledged: _on_settings_ack,
        h2e.PriorityUpdated: _on_priority,
    }

    # -- bookkeeping ------------------------------------------------------------

    def _raw(self, frame: bytes) -> None:
        """Queue a frame h2 does not know about, after what h2 already queued."""
        pending = self.h2_conn.data_to_send()
        if pending:
            self._out += pending
        self._out += frame

    def _ack(self, sid: int, n: int) -> None:
        if n > 0 and not self._terminated:
            try:
                self.h2_conn.acknowledge_received_data(n, sid)
            except (H2Error, ValueError):
                pass

    def _count_reset(self, what: str) -> bool:
        if self._reset_bucket.take(self._clock()):
            return True
        self._connection_error(E.ENHANCE_YOUR_CALM, what)
        return False

    def _h2_reset(self, sid: int, code: int) -> None:
        try:
            self.h2_conn.reset_stream(sid, code)
        except (H2Error, KeyError):
            self._raw(_rst_frame(sid, code))
        self._local_reset.add(sid)

    def _reset(self, stream: HTTP2Stream, code: int, *, provoked: bool = False,
               event: bool = False) -> None:
        if stream.state is _CLOSED:
            return
        sid = stream.stream_id
        self._h2_reset(sid, code)
        self.streams.pop(sid, None)
        self._closed(stream, code=code, remote=False)
        if event and stream.request is not None:
            self._emit(StreamReset(sid, code, False))
        if provoked:
            self._count_reset("streams reset because of peer errors")

    def _closed(self, stream: HTTP2Stream, *, code: int | None = None, remote: bool = False,
                normally: bool = False) -> None:
        """Forget a closed stream; give back the connection credit of its unread body."""
        sid = stream.stream_id
        stream.state = _CLOSED
        if code is not None:
            stream.reset_code = code
            stream.reset_remote = remote
        self.streams.pop(sid, None)
        self.h2_conn.forget_closed(sid)
        credit = stream._drop_body()
        if credit:
            self._ack(sid, credit)
        if normally:
            self._closed_normally.add(sid)

    def _connection_error(self, code: int, message: str) -> None:
        """Send GOAWAY(code) and end the connection (RFC 9113 section 5.4.1)."""
        if self._terminated:
            return
        h2 = self.h2_conn
        last = h2.highest_inbound_stream_id
        try:
            h2.close_connection(code, last_stream_id=last)
        except H2Error:
            self._raw(_goaway_frame(last, code))
        self._terminate(code, message)

    def _terminate(self, code: int, message: str, *, remote: bool = False,
                   last: int | None = None, data: bytes = b"") -> None:
        self._terminated = True
        if last is None:
            last = self.h2_conn.highest_inbound_stream_id
        for stream in list(self.streams.values()):
            stream.state = _CLOSED
            stream.reset_code = code if code else E.CANCEL
            stream.reset_remote = remote
            stream._drop_body()
        self.streams.clear()
        self._inbuf.clear()
        error = None if remote else error_for_code(code, message)
        self._emit(ConnectionTerminated(code, last, remote, data, error))

    # -- output -----------------------------------------------------------------

    def data_to_send(self) -> bytes:
        """The bytes to write to the peer now (b"" when none)."""
        pending = self.h2_conn.data_to_send()
        if self._chunks:
            return b"".join(self.take_output(pending))
        if not self._out:
            return pending
        out = self._out
        if pending:
            out += pending
        self._out = bytearray()
        return bytes(out)

    def take_output(self, pending: bytes | None = None) -> list[Any]:
        """The output to write to the peer now, in order, as a list of
        bytes-like objects (empty when none): what ``data_to_send`` would
        return, without joining it.  DATA payloads given as ``bytes`` may be
        memoryviews of the caller's object rather than copies (a writer can
        join them into its own write size)."""
        if pending is None:
            pending = self.h2_conn.data_to_send()
        chunks = self._chunks
        out = self._out
        if out:
            if pending:
                out += pending
            chunks.append(out)
            self._out = bytearray()
        elif pending:
            chunks.append(pending)
        elif not chunks:
            return chunks
        self._chunks = []
        return chunks

    def _sendable(self, stream_id: int) -> HTTP2Stream:
        if self._terminated:
            raise HTTP2ConnectionError("the connection is closed")
        stream = self.streams.get(stream_id)
        if stream is None or not stream.can_send:
            raise HTTP2StreamError(stream_id, "stream is closed or was reset",
                                   E.STREAM_CLOSED)
        return stream

    def _h2_send(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            call(*args, **kwargs)
        except H2Error as exc:
            raise _refused(args[0], exc) from exc

    def available(self, stream_id: int) -> int:
        """Octets of DATA that may be sent on *stream_id* now (connection and
        stream windows, RFC 9113 section 6.9.1); 0 for a closed stream."""
        if self._terminated:
            return 0
        stream = self.streams.get(stream_id)
        if stream is None or not stream.can_send:
            return 0
        try:
            return max(0, self.h2_conn.local_flow_control_window(stream_id))
        except H2Error:
            return 0

    def acknowledge_received_data(self, stream_id: int, size: int) -> None:
        """Report *size* request octets of *stream_id* as consumed: WINDOW_UPDATE
        credit for the stream and the connection follows (RFC 9113 6.9)."""
        self._ack(stream_id, size)

    def send_informational(self, stream_id: int, status: int, headers: Iterable[Any] = ()) -> None:
        """Send a 1xx response head (HEADERS without END_STREAM, RFC 9113 8.1).

        May be called several times before the final head (e.g. 103 Early
        Hints, RFC 8297).  Raises HTTP2Error for a status outside 100..199 or
        101, HTTP2StreamError once the final head was sent or the stream is
        closed, HTTP2ConnectionError when the connection is closed.
        """
        stream = self._sendable(stream_id)
        if stream.response_headers_sent:
            raise HTTP2StreamError(stream_id, "informational response after the final response",
                                   E.INTERNAL_ERROR)
        try:
            block = informational_block(int(status), headers)
        except ValueError as exc:
            raise HTTP2Error(str(exc)) from exc
        self._h2_send(self.h2_conn.send_headers, stream_id, block)
        stream.informational_sent += 1

    def send_headers(self, stream_id: int, status: int, headers: Iterable[Any] = (),
                     end_stream: bool = False) -> None:
        """Send the final response head.

        Args:
            stream_id: the stream.
            status: the status code (200..999).
            headers: (name, value) pairs (str, or bytes as latin-1); names are
                lowercased, connection-specific fields dropped (RFC 9113 8.2).
            end_stream: True when the response has no content.

        A HEAD request, 204 and 304 get no DATA: later ``send_data`` calls
        discard their octets.  A declared content-length bounds the DATA sent.
        Raises HTTP2Error for an invalid status or a pseudo-header name,
        HTTP2StreamError when the head was already sent or the stream is closed.
        """
        stream = self._sendable(stream_id)
        if stream.response_headers_sent:
            raise HTTP2StreamError(stream_id, "response head already sent", E.INTERNAL_ERROR)
        try:
            block, length = response_head(int(status), headers)
        except ValueError as exc:
            raise HTTP2Error(str(exc)) from exc
        req = stream.request
        no_body = stream.no_body = status in (204, 304) or (
            req is not None and getattr(req, "method", None) == "HEAD")
        if not no_body and length is not None and length.isdigit():
            stream.response_length = int(length)
        ends = end_stream and (no_body or not stream.response_length)
        if not self._write_head(stream_id, block, ends):
            try:
                self.h2_conn.send_headers(stream_id, block, ends)
            except H2Error as exc:
                raise _refused(stream_id, exc) from exc
        stream.response_headers_sent = stream.response_started = True
        stream.response_status = int(status)
        if end_stream:
            if stream.no_body or not stream.response_length:
                self._local_end(stream)
            else:
                self._finish(stream, None)

    def _h2_sending_stream(self, stream_id: int) -> Any:
        """h2's stream *stream_id* when the usual states allow sending on it
        (the connection open, the stream open or half-closed (remote), RFC
        9113 section 5.1), else None: then h2 decides (and raises)."""
        h2 = self.h2_conn
        h2_stream = h2.streams.get(stream_id)
        if (h2_stream is None or h2.state_machine.state is not _H2_SERVER_OPEN
                or h2_stream.state_machine.state not in _H2_SENDING):
            return None
        return h2_stream

    def _write_head(self, stream_id: int, block: list[Any], ends: bool) -> bool:
        """Write the final response head *block* (HPACK input) of *stream_id*
        as HEADERS (and CONTINUATION) frames here; False, with nothing done,
        when the states are not the usual ones (then h2 decides).

        The usual states: the connection open, the stream open or
        half-closed (remote) with no head sent yet (RFC 9113 section 5.1).
        h2 would make the same state changes (``response_sent``, and
        ``SEND_END_STREAM`` with *ends*) and the same HPACK block with the
        same encoder, but builds, validates and serializes frame objects
        (about a fifth of the CPU time of a small response).  *block* was
        normalized by ``response_head`` (lowercase names, no
        connection-specific fields, never-indexed fields marked).
        """
        h2 = self.h2_conn
        h2_stream = self._h2_sending_stream(stream_id)
        if h2_stream is None:
            return False
        machine = h2_stream.state_machine
        if machine.headers_sent or machine.client is not False:
            return False
        encoded = h2.encoder.encode(block)
        machine.headers_sent = True
        flags = FLAG_END_HEADERS
        if ends:
            _local_end_state(machine)
            flags |= FLAG_END_STREAM
        out = self._out
        pending = h2.data_to_send()
        if pending:
            out += pending  # frames queued in h2 come first
        size = h2.max_outbound_frame_size
        n = len(encoded)
        if n <= size:
            out += _frame_header(n, HEADERS, flags, stream_id)
            out += encoded
            return True
        # a header block split over CONTINUATION frames (RFC 9113 section 6.10)
        out += _frame_header(size, HEADERS, flags & FLAG_END_STREAM, stream_id)
        out += encoded[:size]
        for off in range(size, n, size):
            piece = encoded[off:off + size]
            last = off + size >= n
            out += _frame_header(len(piece), CONTINUATION, FLAG_END_HEADERS if last else 0,
                                 stream_id)
            out += piece
        return True

    def send_data(self, stream_id: int, data: bytes | bytearray | memoryview,
                  end_stream: bool = False) -> int:
        """Send as much of *data* as the flow-control windows allow; return the
        octets taken.

        DATA frames are at most the peer's SETTINGS_MAX_FRAME_SIZE.  When all
        of *data* was taken and *end_stream* is set, the stream ends.  When
        fewer octets were taken, send the rest after WindowUpdated; a
        zero-length *data* with *end_stream* just ends the stream.  Octets past
        a declared content-length, or for a response without content, are
        dropped (and counted as taken).
        """
        stream = self._sendable(stream_id)
        if not stream.response_headers_sent:
            raise HTTP2StreamError(stream_id, "DATA before the response head", E.INTERNAL_ERROR)
        total = len(data)
        if stream.no_body:
            if end_stream:
                self._finish(stream, None)
            return total
        limit = stream.response_length
        if limit is not None and total > limit - stream.sent:
            data = memoryview(data)[:max(0, limit - stream.sent)]
        n = len(data)
        if n:
            h2 = self.h2_conn
            try:
                window = h2.local_flow_control_window(stream_id)
            except H2Error as exc:
                raise HTTP2StreamError(stream_id, "stream is closed", E.STREAM_CLOSED) from exc
            take = n if n <= window else max(0, window)
            if take:
                size = h2.max_outbound_frame_size
                ends = (end_stream and take == n
                        and (limit is None or stream.sent + take == limit))
                self._send_frames(stream_id, memoryview(data), take, size, ends)
                stream.sent += take
                if ends:
                    self._local_end(stream)
                    return total
            if take < n:
                return take
        if end_stream:
            self._finish(stream, None)
        return total

    def _send_frames(self, stream_id: int, view: memoryview, take: int, size: int,
                     ends: bool) -> None:
        """DATA frames of at most *size* octets for ``view[:take]`` (the
        windows allow *take*), END_STREAM on the last with *ends*.

        The frames are written here, with h2's windows charged and its
        stream state changed as h2 does, once the states h2 would check
        allow DATA (the connection is open, the stream open or half-closed
        (remote), RFC 9113 section 5.1): h2 would build, serialize and copy
        every frame (about 13 us for 16 KiB).  A payload of immutable
        ``bytes`` larger than ``_COPY_PAYLOAD`` is referenced, not copied
        (``take_output``).
        """
        h2 = self.h2_conn
        h2_stream = self._h2_sending_stream(stream_id)
        if h2_stream is None:
            # h2 raises what the state calls for
            self._h2_send(h2.send_data, stream_id, view[:size])
            raise HTTP2StreamError(stream_id, "stream cannot send DATA", E.STREAM_CLOSED)
        pending = h2.data_to_send()
        out = self._out
        if pending:
            out += pending  # frames queued in h2 come first
        flags = 0
        if ends:
            _local_end_state(h2_stream.state_machine)
            flags = FLAG_END_STREAM
        h2.outbound_flow_control_window -= take
        h2_stream.outbound_flow_control_window -= take
        if take <= size and (take <= _COPY_PAYLOAD or type(view.obj) is not bytes):
            out += _frame_header(take, DATA, flags, stream_id)
            out += view[:take]
            return
        full = _frame_header(size, DATA, 0, stream_id)
        last = take - 1 - (take - 1) % size  # where the last frame starts
        frames: list[Any] = []
        append = frames.append
        for off in range(0, last, size):
            append(full)
            append(view[off:off + size])
        append(_frame_header(take - last, DATA, flags, stream_id))
        append(view[last:take])
        if type(view.obj) is bytes:
            # immutable: the payloads can wait in the output by reference
            if out:
                self._chunks.append(out)
                self._out = bytearray()
            self._chunks += frames
        else:
            for piece in frames:
                out += piece

    def end_stream(self, stream_id: int, trailers: Iterable[Any] | None = None) -> None:
        """End the response, with a trailer section when *trailers* has fields.

        A response that sent fewer DATA octets than its content-length is
        reset with INTERNAL_ERROR instead (RFC 9113 section 8.1.1 would call
        it malformed).  Raises HTTP2StreamError when the head was not sent or
        the stream is closed, HTTP2Error for a pseudo-header in *trailers*.
        """
        stream = self._sendable(stream_id)
        if not stream.response_headers_sent:
            raise HTTP2StreamError(stream_id, "end of a response without a head",
                                   E.INTERNAL_ERROR)
        self._finish(stream, trailers)

    def send_trailers(self, stream_id: int, trailers: Iterable[Any]) -> None:
        """End the response with a trailer section (gunicorn 25 name)."""
        self.end_stream(stream_id, list(trailers))

    def _finish(self, stream: HTTP2Stream, trailers: Iterable[Any] | None) -> None:
        sid = stream.stream_id
        if (stream.response_length is not None and not stream.no_body
                and stream.sent != stream.response_length):
            self._reset(stream, E.INTERNAL_ERROR)
            return
        block = None
        if trailers:
            trailers = list(trailers)
            try:
                block = trailer_block(trailers)
            except ValueError as exc:
                raise HTTP2Error(str(exc)) from exc
        if block:
            self._h2_send(self.h2_conn.send_headers, sid, block, end_stream=True)
            stream.response_trailers = trailers  # type: ignore[assignment]
        else:
            self._h2_send(self.h2_conn.end_stream, sid)
        self._local_end(stream)

    def _local_end(self, stream: HTTP2Stream) -> None:
        """Our END_STREAM went out."""
        stream.response_complete = True
        if stream.state is _HALF_CLOSED_REMOTE:
            self._closed(stream, normally=True)
        elif stream.state is _OPEN:
            stream.state = _HALF_CLOSED_LOCAL
            if getattr(stream.request, "protocol", None) is not None:
                # an extended CONNECT tunnel (RFC 8441): our END_STREAM ends
                # our half of the byte stream; the client ends its own
                return
            # complete response before the complete request: ask the client to
            # stop sending, without error (RFC 9113 section 8.1)
            self._h2_reset(stream.stream_id, E.NO_ERROR)
            self._closed(stream, code=E.NO_ERROR)

    def reset_stream(self, stream_id: int, error_code: int = E.CANCEL) -> None:
        """Reset *stream_id* with RST_STREAM(error_code); no-op when it is closed."""
        if self._terminated:
            return
        stream = self.streams.get(stream_id)
        if stream is not None:
            self._reset(stream, error_code)

    def send_error(self, stream_id: int, status: int, message: str | None = None,
                   reason: str = "") -> bytes:
        """Answer *stream_id* with a short text/plain response.

        Returns the part of the body the flow-control window did not take
        yet (b"" when all was sent): pass it to ``send_data(...,
        end_stream=True)`` after WindowUpdated.
        """
        body = (message if message is not None else reason or str(status)).encode("utf-8")
        self.send_headers(stream_id, status, [
            ("content-type", "text/plain; charset=utf-8"),
            ("content-length", str(len(body))),
        ], end_stream=not body)
        if not body:
            return b""
        taken = self.send_data(stream_id, body, end_stream=True)
        return body[taken:]

    def answer_rejected(self, event: RequestRejected) -> None:
        """Answer a request the field rules rejected (``RequestRejected``)
        with its error status on its stream; when the peer's window cannot
        take the whole message, the stream is reset (CANCEL) after what fit.
        A stream that cannot be answered any more is left alone."""
        error = event.error
        status = int(getattr(error, "status_code", 400) or 400)
        try:
            rest = self.send_error(event.stream_id, status, str(error) or None)
        except HTTP2Error:
            return
        if rest:
            self.reset_stream(event.stream_id, E.CANCEL)

    def close(self, error_code: int = E.NO_ERROR, last_stream_id: int | None = None,
              additional_data: bytes = b"") -> None:
        """Send GOAWAY (RFC 9113 section 6.8).

        With NO_ERROR this is a graceful shutdown: streams up to
        *last_stream_id* (default: the highest the peer opened) keep being
        served, newer ones are refused, and the driver closes the socket once
        ``active_streams`` is 0.  Any other code ends the connection at once.
        """
        if self._terminated:
            return
        h2 = self.h2_conn
        last = h2.highest_inbound_stream_id if last_stream_id is None else last_stream_id
        if error_code != E.NO_ERROR:
            try:
                h2.close_connection(error_code, additional_data or None, last)
            except H2Error:
                self._raw(_goaway_frame(last, error_code, additional_data))
            self._terminated = True
            for stream in list(self.streams.values()):
                self._closed(stream, code=error_code)
            return
        if self._goaway_last is not None and last >= self._goaway_last:
            return
        self._goaway_last = last
        # written here: h2 would stop every stream once it sent GOAWAY
        self._raw(_goaway_frame(last, E.NO_ERROR, additional_data))
        for sid, stream in list(self.streams.items()):
            if sid > last:
                self._reset(stream, E.REFUSED_STREAM)


# -- h2c (RFC 9113 section 3.3 prior knowledge, RFC 7540 section 3.2 Upgrade) -----

def detect_preface(data: bytes | bytearray) -> bool | None:
    """Whether *data* starts with the HTTP/2 client preface.

    True when it does, False when it cannot (an HTTP/1.x request), None
    while *data* is a proper prefix of the preface (read more first).
    """
    n = len(data)
    if n >= 24:
        return data[:24] == PREFACE
    return None if data == PREFACE[:n] else False


_TOKEN68 = re.compile(rb"[A-Za-z0-9\-_]*=*")
_SETTING_RULES = {
    SettingCodes.ENABLE_PUSH: (0, 1),
    SettingCodes.INITIAL_WINDOW_SIZE: (0, _MAX_STREAM_ID),
    SettingCodes.MAX_FRAME_SIZE: (16384, 16777215),
    SettingCodes.ENABLE_CONNECT_PROTOCOL: (0, 1),
}


def decode_http2_settings(value: str | bytes) -> bytes:
    """Decode an HTTP2-Settings value into a SETTINGS payload (RFC 7540 3.2.1).

    The value is the base64url encoding (padding optional) of a SETTINGS
    frame payload.  Raises ValueError when it is not, or when a setting has
    a value RFC 9113 section 6.5.2 forbids.
    """
    raw = value.encode("latin-1") if isinstance(value, str) else bytes(value)
    raw = raw.strip(b" \t")
    if _TOKEN68.fullmatch(raw) is None:
        raise ValueError("HTTP2-Settings is not base64url")
    raw = raw.rstrip(b"=")
    try:
        payload = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("HTTP2-Settings is not base64url") from exc
    if len(payload) % 6:
        raise ValueError("HTTP2-Settings payload is not a list of settings")
    for at in range(0, len(payload), 6):
        code = int.from_bytes(payload[at:at + 2], "big")
        val = int.from_bytes(payload[at + 2:at + 6], "big")
        rule = _SETTING_RULES.get(code)  # type: ignore[call-overload]
        if rule is not None and not rule[0] <= val <= rule[1]:
            raise ValueError("HTTP2-Settings has an invalid value for setting %d" % code)
    return payload


def _tokens(value: str) -> set[str]:
    return {item.strip(" \t").lower() for item in value.split(",")}


def h2c_upgrade_settings(headers: Iterable[tuple[str, str]]) -> str | None:
    """The HTTP2-Settings value when an HTTP/1.1 request asks for ``Upgrade: h2c``.

    *headers* are (UPPERCASE name, value) pairs.  The request qualifies when
    Upgrade lists "h2c", Connection lists "upgrade" and "http2-settings", and
    exactly one HTTP2-Settings field is present (RFC 7540 section 3.2.1);
    otherwise None (serve it as HTTP/1.1).
    """
    upgrade: set[str] = set()
    connection: set[str] = set()
    settings = []
    for name, value in headers:
        if name == "UPGRADE":
            upgrade |= _tokens(value)
        elif name == "CONNECTION":
            connection |= _tokens(value)
        elif name == "HTTP2-SETTINGS":
            settings.append(value)
    if "h2c" not in upgrade or len(settings) != 1:
        return None
    if "upgrade" not in connection or "http2-settings" not in connection:
        return None
    return settings[0]


def h2c_allowed(cfg: Any, peer_addr: Any) -> tuple[bool, bool]:
    """(prior knowledge allowed, Upgrade allowed) for a cleartext connection.

    Needs "h2" in ``http_protocols``, the matching ``http2_cleartext`` mode
    and a peer in ``forwarded_allow_ips``.
    """
    protocols = getattr(cfg, "http_protocols", None) or ()
    mode = getattr(cfg, "http2_cleartext", "off") or "off"
    if "h2" not in protocols or mode == "off":
        return False, False
    if not settings_for(cfg).policy.forwarded_trusted(peer_addr):
        return False, False
    return mode in ("prior-knowledge", "both"), mode in ("upgrade", "both")


def inadequate_tls(version: str | None, cipher: str | None) -> bool:
    """Whether a TLS session is unfit for HTTP/2 (RFC 9113 section 9.2).

    Args:
        version: ``SSLSocket.version()``, e.g. "TLSv1.3".
        cipher: the OpenSSL cipher name, ``SSLSocket.cipher()[0]``.

    HTTP/2 needs TLS 1.2 or later; with TLS 1.2 the cipher suite must use an
    ephemeral key exchange and an AEAD cipher (the suites of Appendix A are
    the others).  When this is True, answer ``close(INADEQUATE_SECURITY)``.
    """
    if version == "TLSv1.3":
        return False
    if version != "TLSv1.2" or not cipher:
        return True
    name = cipher.upper()
    ephemeral = name.startswith(("ECDHE-", "DHE-"))
    aead = "GCM" in name or "CHACHA20" in name or ("CCM" in name and "CCM8" not in name)
    return not (ephemeral and aead)
