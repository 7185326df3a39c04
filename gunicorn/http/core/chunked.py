"""Incremental decoder for the chunked transfer coding (RFC 9112 section 7.1).

``ChunkedDecoder.feed(data)`` takes any slice of the encoded body and returns
the chunk-data bytes it completes (possibly b"").  When the last-chunk and
the trailer section have been read, ``done`` is True, ``trailers`` holds the
trailer fields and ``unused`` the bytes that followed the body (the next
pipelined request).  ``eof()`` reports a truncated body.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import (
    ChunkMissingTerminator,
    InvalidChunkExtension,
    InvalidChunkSize,
    InvalidHeader,
    LimitRequestHeaders,
    NoMoreData,
)
from .fields import apply_underscore_policy, check_trailer_fields, parse_field_section
from .grammar import CHUNK_SIZE_LINE_RE, MAX_CHUNK_SIZE_DIGITS, UNDERSCORE_NAME_RE
from .settings import ParserSettings

__all__ = ["ChunkedDecoder"]

_LINE_RE = re.compile(CHUNK_SIZE_LINE_RE.pattern.encode("latin-1"))
_HEX_PREFIX_RE = re.compile(rb"[0-9A-Fa-f]+[ \t]*;")

_SIZE, _DATA, _DATA_END, _TRAILER, _DONE = range(5)


class ChunkedDecoder:
    """Decode one chunked request body.

    *settings* bound chunk-size lines (``max_chunk_line`` bytes) and the
    trailer section (the request field limits).  Errors: InvalidChunkSize
    (bad or oversized chunk-size, bare LF), InvalidChunkExtension (a chunk-ext
    that is not ``;name[=token|quoted-string]``), ChunkMissingTerminator
    (chunk-data not followed by CRLF), trailer field errors (InvalidHeaderName
    for forbidden trailer fields, InvalidHeader for a repeated Content-Type,
    LimitRequestHeaders, ...).

    *parse_trailers*, when given, replaces the built-in trailer field parser:
    it receives the trailer field block as bytes (lines joined by CRLF, no
    final empty line) and returns the list of (name, value) pairs.
    """

    __slots__ = ("settings", "_state", "_remaining", "_buf", "trailers", "unused",
                 "_trailer_hook")

    def __init__(self, settings: ParserSettings,
                 parse_trailers: Callable[[bytes], list[tuple[str, str]]] | None = None
                 ) -> None:
        self.settings = settings
        self._state = _SIZE
        self._remaining = 0
        self._buf = b""
        self.trailers: list[tuple[str, str]] | None = None
        self.unused = b""
        self._trailer_hook = parse_trailers

    @property
    def done(self) -> bool:
        """True once the last-chunk and trailer section were consumed."""
        return self._state == _DONE

    @property
    def remaining(self) -> int:
        """Bytes of the current chunk-data still to come (0 outside chunk-data)."""
        return self._remaining if self._state == _DATA else 0

    def start_trailers(self) -> None:
        """Skip to the trailer section (the last-chunk was read elsewhere)."""
        self._state = _TRAILER

    def feed(self, data: bytes) -> bytes:
        """Consume encoded bytes; return the decoded chunk-data they complete."""
        if self._state == _DONE:
            self.unused += data
            return b""
        if self._buf:
            data = self._buf + data
            self._buf = b""
        n = len(data)
        pos = 0
        out = []
        state = self._state
        while pos < n:
            if state == _DATA:
                take = self._remaining
                if take >= n - pos:
                    take = n - pos
                out.append(data[pos:pos + take] if (pos or take != n) else data)
                pos += take
                self._remaining -= take
                if self._remaining:
                    break
                state = _DATA_END
            elif state == _DATA_END:
                term = data[pos:pos + 2]
                if term != b"\r\n":
                    if term == b"\r":
                        break
                    raise ChunkMissingTerminator(term)
                pos += 2
                state = _SIZE
            elif state == _SIZE:
                lf = data.find(b"\n", pos)
                limit = self.settings.max_chunk_line
                if lf < 0:
                    if n - pos > limit + 1:
                        raise InvalidChunkSize(data[pos:pos + 32])
                    break
                if lf == pos or data[lf - 1] != 13:
                    # bare LF ends nothing (RFC 9112 section 2.2)
                    raise InvalidChunkSize(data[pos:lf + 1])
                line = data[pos:lf - 1]
                if len(line) > limit:
                    raise InvalidChunkSize(line[:32])
                m = _LINE_RE.fullmatch(line)
                if m is None:
                    if _HEX_PREFIX_RE.match(line) is not None:
                        raise InvalidChunkExtension(line)
                    raise InvalidChunkSize(line)
                digits = m.group(1)
                if len(digits.lstrip(b"0")) > MAX_CHUNK_SIZE_DIGITS:
                    raise InvalidChunkSize(digits)
                size = int(digits, 16)
                pos = lf + 1
                if size:
                    self._remaining = size
                    state = _DATA
                else:
                    state = _TRAILER
            else:  # _TRAILER
                head = data[pos:pos + 2]
                if head == b"\r\n":
                    pos += 2
                    self.trailers = []
                    state = _DONE
                    break
                if head == b"\r":
                    break
                end = data.find(b"\r\n\r\n", pos)
                if end < 0:
                    self._check_partial_trailers(data, pos)
                    break
                self.trailers = self._parse_trailers(data, pos, end)
                pos = end + 4
                state = _DONE
                break
        self._state = state
        if state == _DONE:
            self.unused = data[pos:]
        elif pos < n:
            self._buf = data[pos:]
        if not out:
            return b""
        return out[0] if len(out) == 1 else b"".join(out)

    def _check_partial_trailers(self, data: bytes, pos: int) -> None:
        s = self.settings
        if len(data) - pos > s.max_buffer_headers:
            raise LimitRequestHeaders("max buffer headers")
        if data.count(b"\n", pos) != data.count(b"\r\n", pos):
            raise InvalidHeader("bare LF in trailer section")

    def _parse_trailers(self, data: bytes, pos: int, end: int) -> list[tuple[str, str]]:
        s = self.settings
        if end + 4 - pos > s.max_buffer_headers:
            raise LimitRequestHeaders("max buffer headers")
        if self._trailer_hook is not None:
            return self._trailer_hook(data[pos:end])
        block = data[pos:end + 2].decode("latin-1")
        trailers = parse_field_section(block, s)
        check_trailer_fields(trailers)
        if UNDERSCORE_NAME_RE.search(block) is not None:
            # trailers never come from a trusted forwarder
            trailers = apply_underscore_policy(trailers, s, False)
        return trailers

    def eof(self) -> None:
        """Report the end of input before the body ended.

        Raises ChunkMissingTerminator when a chunk terminator or the final
        CRLF is missing, NoMoreData when input stopped inside a chunk-size line
        or chunk-data.  Does nothing once the body is complete.
        """
        state = self._state
        if state == _DONE:
            return
        if state in (_DATA_END, _TRAILER):
            raise ChunkMissingTerminator(self._buf)
        raise NoMoreData(self._buf)
