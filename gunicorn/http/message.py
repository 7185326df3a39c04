"""Blocking HTTP/1.x request objects built on the sans-IO core.

``Request(cfg, unreader, peer_addr, req_number=1)`` reads one request head
from *unreader* in its constructor (raising StopIteration when the peer
closed before sending anything), pushes the bytes after the head back, and
sets ``body`` to a ``Body`` framed by Content-Length or chunked coding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .body import Body, ChunkedReader, EOFReader, LengthReader
from .core.fields import apply_underscore_policy, parse_field_section
from .core.framing import should_close as _should_close
from .core.grammar import (
    METHOD_BADCHAR_RE,
    RFC9110_5_5_INVALID_AND_DANGEROUS,
    TOKEN_RE,
    VERSION_RE,
)
from .core.head import HeadParser, RequestHead, parse_request_line, split_target
from .core.proxy import PP_V2_SIGNATURE, PPCommand, PPFamily, PPProtocol, parse_proxy_prefix
from .core.settings import (
    DEFAULT_MAX_HEADERFIELD_SIZE,
    MAX_HEADERS,
    MAX_REQUEST_LINE,
    ParserSettings,
    settings_for,
)
from .errors import (
    ForbiddenProxyRequest,
    InvalidRequestLine,
    InvalidSchemeHeaders,
    LimitRequestLine,
    NoMoreData,
)
from .unreader import Unreader

__all__ = [
    "Message",
    "Request",
    "MAX_REQUEST_LINE",
    "MAX_HEADERS",
    "DEFAULT_MAX_HEADERFIELD_SIZE",
    "TOKEN_RE",
    "METHOD_BADCHAR_RE",
    "VERSION_RE",
    "RFC9110_5_5_INVALID_AND_DANGEROUS",
    "PP_V2_SIGNATURE",
    "PPCommand",
    "PPFamily",
    "PPProtocol",
]


class _ConnectionContext:
    """Per-connection parser state, cached on the unreader: the peer's
    HeadParser over the configuration's shared ParserSettings."""

    __slots__ = ("settings", "head_parser", "peer_addr")

    def __init__(self, settings: ParserSettings, peer_addr: Any) -> None:
        self.peer_addr = peer_addr
        self.settings = settings
        trusted = settings.policy.forwarded_trusted(peer_addr)
        self.head_parser = HeadParser(settings, trusted)


def _context(cfg: Any, unreader: Any, peer_addr: Any) -> _ConnectionContext:
    # settings_for() returns new settings after any cfg.set(), so a context
    # built from older ones is rebuilt.
    settings = settings_for(cfg)
    ctx = getattr(unreader, "_http_core_ctx", None)
    if ctx is None or ctx.settings is not settings or ctx.peer_addr is not peer_addr:
        ctx = _ConnectionContext(settings, peer_addr)
        try:
            unreader._http_core_ctx = ctx
        except AttributeError:
            pass
    return ctx


class Message:
    """Base class of parsed HTTP/1.x messages.

    Attributes: ``cfg``, ``unreader``, ``peer_addr``/``remote_addr``,
    ``version`` (tuple), ``headers`` (list of (UPPERCASE name, value)),
    ``trailers``, ``body`` (Body), ``scheme``, ``must_close``,
    ``limit_request_fields``, ``limit_request_field_size``,
    ``max_buffer_headers``.  Parsing happens in the constructor.
    """

    def __init__(self, cfg: Any, unreader: Unreader, peer_addr: Any) -> None:
        self.cfg, self.unreader = cfg, unreader
        # remote_addr is the historical name of peer_addr.
        self.peer_addr = self.remote_addr = peer_addr
        self.version: tuple[int, int] | None = None
        self.headers: list[tuple[str, str]] = []
        self.trailers: list[tuple[str, str]] = []
        self.body: Body | None = None
        self.must_close = False
        self._expected_100_continue = False
        self._connection: str | None = None
        self._head: RequestHead | None = None

        ctx = _context(cfg, unreader, peer_addr)
        self._ctx = ctx
        settings = self._settings = ctx.settings
        self.scheme = settings.policy.default_scheme
        self.limit_request_fields = settings.limit_request_fields
        self.limit_request_field_size = settings.limit_request_field_size
        self.max_buffer_headers = settings.max_buffer_headers

        unused = self.parse(self.unreader)
        self.unreader.unread(unused)
        self.set_body_reader()

    def force_close(self) -> None:
        """Mark the connection for closing after this message."""
        self.must_close = True

    def parse(self, unreader: Unreader) -> bytes:
        """Read and parse the head; return the bytes that follow it."""
        raise NotImplementedError()

    def parse_headers(self, data: bytes, from_trailer: bool = False) -> list[tuple[str, str]]:
        """Parse a field block (lines separated by CRLF, no final empty line).

        Applies the field rules and ``header_map``; for a header section (not
        trailers) also the trusted secure-scheme headers, setting ``scheme``.
        """
        if not data:
            return []
        block = bytes(data).decode("latin-1") + "\r\n"
        settings = self._settings
        trusted = (not from_trailer) and self._ctx.head_parser.trusted
        headers = parse_field_section(block, settings)
        headers = apply_underscore_policy(headers, settings, trusted)
        if trusted:
            secure = settings.policy.secure_scheme_headers
            seen = None
            for name, value in headers:
                if name in secure:
                    scheme = "https" if value == secure[name] else "http"
                    if seen is not None and scheme != seen:
                        raise InvalidSchemeHeaders()
                    seen = self.scheme = scheme
        return headers

    def set_body_reader(self) -> None:
        """Attach ``body`` according to the framing decided for the head."""
        head = self._head
        if head is None:
            self.body = Body(EOFReader(self.unreader))
        elif head.chunked:
            self.body = Body(ChunkedReader(self, self.unreader))
        else:
            self.body = Body(LengthReader(self.unreader, head.content_length or 0))

    def should_close(self) -> bool:
        """True if the connection must close after this message (RFC 9112 9.3).

        Also True once reading the body failed or came up short of its
        Content-Length: where a next request would start is then unknown.
        """
        body = self.body
        if body is not None and (body.failed or getattr(body.reader, "truncated", False)):
            return True
        return _should_close(self.must_close, self._connection, self.version or (1, 0))


class Request(Message):
    """An HTTP/1.x request read from *unreader*.

    Adds ``method``, ``uri`` (raw request-target), ``path``, ``query``,
    ``fragment``, ``req_number``, ``limit_request_line`` and
    ``proxy_protocol_info`` (dict or None; PROXY headers are only read on the
    first request of a connection).  Raises the errors of
    ``gunicorn.http.errors``; StopIteration when the peer closed cleanly.
    """

    def __init__(self, cfg: Any, unreader: Unreader, peer_addr: Any, req_number: int = 1) -> None:
        self.method: str | None = None
        self.uri: str | None = None
        self.path: str | None = None
        self.query: str | None = None
        self.fragment: str | None = None
        self.req_number = req_number
        self.proxy_protocol_info: dict[str, Any] | None = None
        # 0 (or out of range) means "no limit" up to the hard ceiling.
        wanted = cfg.limit_request_line
        self.limit_request_line = wanted if 0 <= wanted < MAX_REQUEST_LINE else MAX_REQUEST_LINE
        super().__init__(cfg, unreader, peer_addr)

    def get_data(self, unreader: Unreader, buf: Any, stop: bool = False) -> None:
        """Append one input block to *buf* (BytesIO); StopIteration/NoMoreData at EOF."""
        buf.write(_next_block(unreader, stop, buf.getvalue))

    def read_into(self, unreader: Unreader, buf: bytearray, stop: bool = False) -> None:
        """Append one input block to *buf* (bytearray); StopIteration/NoMoreData at EOF."""
        buf.extend(_next_block(unreader, stop, lambda: bytes(buf)))

    def read_line(self, unreader: Unreader, buf: bytearray, limit: int = 0
                  ) -> tuple[bytes, bytearray]:
        """Read up to CRLF; return (line without CRLF, remaining buffer).

        Raises LimitRequestLine when the line exceeds *limit* (0 = unlimited).
        """
        while (end := buf.find(b"\r\n")) < 0:
            # Without a CRLF yet, all but a possible trailing CR counts.
            if limit and len(buf) - 2 > limit:
                raise LimitRequestLine(len(buf), limit)
            self.read_into(unreader, buf)
        if limit and end > limit:
            raise LimitRequestLine(end, limit)
        return bytes(buf[:end]), bytearray(buf[end + 2:])

    def read_bytes(self, unreader: Unreader, buf: bytearray, count: int
                   ) -> tuple[bytes, bytearray]:
        """Read exactly *count* bytes; return (those bytes, remaining buffer)."""
        while len(buf) < count:
            self.read_into(unreader, buf)
        return bytes(buf[:count]), bytearray(buf[count:])

    def parse(self, unreader: Unreader) -> bytes:
        """Read the (optional PROXY prefix and) request head from *unreader*.

        Returns the bytes read past the head.  Raises StopIteration when the
        peer closed before sending a byte, NoMoreData when it closed mid-head,
        and the head errors of gunicorn.http.errors (RFC 9112 sections 2-5).
        """
        buf: Any = unreader.read()
        if not buf:
            # the peer closed between requests: not an error
            raise StopIteration()
        settings = self._settings
        if settings.proxy_protocol != "off" and self.req_number == 1:
            buf = self._handle_proxy_protocol(unreader, buf, settings.proxy_protocol)
        parser = self._ctx.head_parser
        parser.reset()
        while True:
            head = parser.parse(buf)
            if head is not None:
                break
            data = unreader.read()
            if not data:
                raise NoMoreData(bytes(buf))
            if type(buf) is not bytearray:
                buf = bytearray(buf)
            buf += data
        self._head = head
        self.method, self.uri, self.version = head.method, head.uri, head.version
        self.path, self.query, self.fragment = head.path, head.query, head.fragment
        self.headers, self.scheme = head.headers, head.scheme
        self._expected_100_continue = head.expect_100
        self._connection = head.connection
        if head.must_close:
            self.must_close = True
        return buf[head.end:]

    def _handle_proxy_protocol(self, unreader: Unreader, buf: Any, mode: str) -> Any:
        """Consume a PROXY v1/v2 header at the start of *buf*; return the rest."""
        ctx = self._ctx
        peer = self.peer_addr
        allowed = ctx.settings.policy.proxy_allowed(peer)
        host = peer[0] if isinstance(peer, tuple) else peer
        while True:
            result = parse_proxy_prefix(buf, mode, allowed, host)
            if result is not None:
                break
            data = unreader.read()
            if not data:
                raise NoMoreData(bytes(buf))
            buf = bytes(buf) + data
        info, consumed = result
        if info is not None:
            self.proxy_protocol_info = info
        return buf[consumed:] if consumed else buf

    def proxy_protocol_access_check(self) -> None:
        """Raise ForbiddenProxyRequest unless the peer is in ``proxy_allow_ips``."""
        peer = self.peer_addr
        if not self._settings.policy.proxy_allowed(peer):
            raise ForbiddenProxyRequest(peer[0])

    def parse_request_line(self, line_bytes: bytes) -> None:
        """Parse a request-line (bytes, no CRLF) into method/uri/path/query/fragment/version."""
        line = bytes(line_bytes).decode("latin-1")
        method, target, version = parse_request_line(line, self._settings)
        try:
            path, query, fragment = split_target(target)
        except ValueError:
            raise InvalidRequestLine(line)
        self.method, self.uri, self.version = method, target, version
        self.path, self.query, self.fragment = path, query, fragment


def _next_block(unreader: Unreader, stop: bool, buffered: Callable[[], bytes]) -> bytes:
    """The next block of input. At end of input raise StopIteration when
    *stop* (the peer closed between messages), else NoMoreData carrying
    ``buffered()``, the partial message read so far."""
    block = unreader.read()
    if block:
        return block
    if stop:
        raise StopIteration()
    raise NoMoreData(buffered())
