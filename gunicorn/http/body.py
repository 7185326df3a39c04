"""Request body readers for the blocking facade (``wsgi.input``).

``ConnectionReader`` reads the content of a request parsed by a
``ServerConnection`` (what ``Request`` uses); ``ChunkedReader``,
``LengthReader`` and ``EOFReader`` are the gunicorn 25.0 readers over a bare
``Unreader``, kept for code that builds bodies itself.  ``Body`` is the
file-like object an application sees.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from typing import Any

from .core.chunked import ChunkedDecoder
from .core.connection import ServerConnection
from .core.settings import ParserSettings
from .errors import ClientDisconnected, InvalidChunkSize, NoMoreData
from .unreader import Unreader

__all__ = ["ConnectionReader", "ChunkedReader", "LengthReader", "EOFReader", "Body"]

# bytes pulled per step when a caller asks for "everything"
_STEP = 1 << 20
# smallest request to the reader: tiny reads still fetch a useful amount
_MIN_STEP = 1024
_LINE_STEP = 8192


def _check_size(size: Any) -> None:
    # Reader-level sizes are always given: an int, zero or more.
    if isinstance(size, int):
        if size >= 0:
            return
        raise ValueError("Size must be positive.")
    raise TypeError("size must be an integral type")


def _settings_for(req: Any) -> tuple[ParserSettings, bool]:
    """The parser settings for *req*, and whether *req* is one of our messages.

    A duplicate of ``Request`` (a test double or a subclass from elsewhere)
    gets settings from its ``cfg`` when that is a gunicorn Config, else the
    defaults, with the field limits the object itself carries.
    """
    settings = getattr(req, "_settings", None)
    if type(settings) is ParserSettings:
        return settings, True
    from gunicorn.config import Config

    cfg = getattr(req, "cfg", None)
    settings = ParserSettings(cfg if isinstance(cfg, Config) else Config())
    size = getattr(req, "limit_request_field_size", None)
    if type(size) is int and size > 0:
        settings.limit_request_field_size = size
        settings.max_chunk_line = size
    total = getattr(req, "max_buffer_headers", None)
    if type(total) is int and total > 0:
        settings.max_buffer_headers = total
    return settings, False


class ConnectionReader:
    """The content of the current request, read through its connection.

    A blocking adapter: it takes the content the connection decodes
    (``read_content``, the ``Data`` events without the objects) and, when
    the connection needs bytes, reads them from *unreader* (a socket or an
    iterable), asking for as much as the content still expected.  On
    ``EndOfMessage`` the trailer fields are added to *trailers* (the
    request's list); bytes after the content stay in the connection for the
    next request.  *length*: the Content-Length (None when chunked; by
    default the connection's current request tells).

    Content cut short by the peer (Content-Length not reached):
    ``strict`` False (``RequestParser`` alone, gunicorn's documented
    behaviour) returns what arrived and then b"", setting ``truncated``;
    ``strict`` True, or the connection's ``strict_content`` (set once a
    stream serves the request to an application, as ``wsgi.create`` does),
    raises ClientDisconnected.  Either way the connection is not reused.
    Chunked errors (RFC 9112 section 7.1) raise as the core decoder does.
    """

    __slots__ = ("conn", "unreader", "trailers", "strict", "truncated", "_buf", "_done", "_left",
                 "_error")

    def __init__(self, conn: ServerConnection, unreader: Unreader,
                 trailers: list[tuple[str, str]] | None = None,
                 length: int | None = -1) -> None:
        self.conn = conn
        self.unreader = unreader
        # filled in place: holding the request itself would make a cycle
        self.trailers = [] if trailers is None else trailers
        self.strict = False
        self.truncated = False
        self._buf = b""
        if length == -1:
            # not given: ask the connection (None while chunked)
            length = conn.expected_content() if conn.head is None or not conn.head.chunked \
                else None
        # content bytes still to come by Content-Length (None: chunked, the
        # connection says when it ends); a request without content needs no
        # event at all
        self._left = length
        self._done = length == 0
        self._error: BaseException | None = None

    @property
    def length(self) -> int | None:
        """Content bytes still to come when known (0 once complete), else None."""
        if self._done:
            return 0
        left = self._left
        if left is None:
            left = self.conn.expected_content()
        return None if left is None else left + len(self._buf)

    def preload(self, data: bytes, trailers: list[tuple[str, str]] | None = None,
                complete: bool = False) -> None:
        """Content a driver already took from the connection (an event loop
        that received a small body before the application ran), served
        before anything read later.  *complete*: its ``EndOfMessage`` was
        seen too (with *trailers*, the trailer fields), nothing more follows.
        """
        self._buf = data
        if self._left is not None:
            self._left -= len(data)
        if complete:
            self._done = True
            if trailers:
                self.trailers.extend(trailers)

    def read(self, size: int) -> bytes:
        """Return up to *size* bytes, blocking until that many arrived or the
        content ended (b"" once it has)."""
        if type(size) is not int or size < 0:
            _check_size(size)
        if size == 0:
            return b""
        buf = self._buf
        have = len(buf)
        if have >= size or self._done:
            self._buf = buf[size:]
            return buf[:size] if have > size else buf
        if self._error is not None:
            # every later read fails the same way: the content is incomplete
            raise self._error
        parts = [buf] if buf else []
        conn = self.conn
        data = None
        while have < size:
            try:
                if type(data) is int:
                    # more bytes needed, at least *data* when known; b"" (end
                    # of input) is recorded by the connection too
                    data = conn.receive_content(self.unreader.read(None, data or None))
                else:
                    data = conn.read_content()
            except ClientDisconnected as exc:
                if self.strict or conn.strict_content:
                    self._error = exc
                    raise
                # gunicorn's RequestParser hands over what arrived
                self.truncated = True
                self._done = True
                break
            except Exception as exc:
                self._error = exc
                raise
            if type(data) is bytes:
                parts.append(data)
                have += len(data)
                left = self._left
                if left is not None:
                    left -= len(data)
                    self._left = left
                    if not left:
                        # the whole Content-Length arrived: the end of the
                        # message is implied (no trailers without chunked)
                        self._done = True
                        break
            elif type(data) is not int:
                # EndOfMessage (or the connection moved on): the content ended
                self._done = True
                trailers = getattr(data, "trailers", None)
                if trailers:
                    self.trailers.extend(trailers)
                break
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        if have > size:
            self._buf = data[size:]
            return data[:size]
        self._buf = b""
        return data


class ChunkedReader:
    """Decodes a chunked body (RFC 9112 section 7.1) read from *unreader*.

    On completion the trailer fields are stored in ``req.trailers`` and the
    bytes after the body are pushed back into the unreader.  Errors: see
    ``gunicorn.http.core.chunked.ChunkedDecoder``; a truncated body raises
    NoMoreData or ChunkMissingTerminator.  For a *req* that is not one of
    our Request objects, trailers go through ``req.parse_headers(block,
    from_trailer=True)``.
    """

    def __init__(self, req: Any, unreader: Unreader) -> None:
        self.req = req
        self.unreader = unreader
        settings, ours = _settings_for(req)
        self._settings = settings
        self._trailer_hook = None if ours else self._parse_trailer_block
        self.decoder = ChunkedDecoder(settings, self._trailer_hook)
        self._buf = b""

    def _parse_trailer_block(self, block: bytes) -> list[tuple[str, str]]:
        return self.req.parse_headers(block, from_trailer=True)

    def _fill(self, size: int) -> None:
        decoder = self.decoder
        parts = [self._buf] if self._buf else []
        have = len(self._buf)
        unreader = self.unreader
        while have < size and not decoder.done:
            # read chunk-data in steps as large as what is left of the chunk
            data = unreader.read(None, decoder.remaining or None)
            if not data:
                decoder.eof()
                break
            out = decoder.feed(data)
            if out:
                parts.append(out)
                have += len(out)
            if decoder.done:
                self._finish(decoder)
        self._buf = b"".join(parts) if len(parts) != 1 else parts[0]

    def _finish(self, decoder: ChunkedDecoder) -> None:
        if decoder.unused:
            self.unreader.unread(decoder.unused)
            decoder.unused = b""
        self.req.trailers = decoder.trailers or []

    def read(self, size: int) -> bytes:
        """Return up to *size* decoded bytes (b"" once the body is complete)."""
        _check_size(size)
        if size == 0:
            return b""
        if len(self._buf) < size and not self.decoder.done:
            self._fill(size)
        buf = self._buf
        if len(buf) <= size:
            self._buf = b""
            return buf
        self._buf = buf[size:]
        return buf[:size]

    def parse_chunked(self, unreader: Unreader | None = None) -> Iterator[bytes]:
        """Yield decoded chunk data until the body is complete."""
        while True:
            data = self.read(_STEP)
            if not data:
                return
            yield data

    def parse_chunk_size(self, unreader: Unreader, data: bytes | None = None
                         ) -> tuple[int, bytes]:
        """Read one chunk-size line (RFC 9112 section 7.1).

        *data* is input already read.  Returns ``(chunk-size, bytes after the
        line)``.  Raises InvalidChunkSize for a malformed line or one longer
        than the field size limit (read no further than that),
        InvalidChunkExtension, NoMoreData at end of input.
        """
        buf = bytes(data or b"")
        limit = self._settings.max_chunk_line
        while True:
            idx = buf.find(b"\n")
            if idx >= 0:
                break
            if len(buf) > limit + 1:
                raise InvalidChunkSize(buf[:32])
            more = unreader.read()
            if not more:
                raise NoMoreData(buf)
            buf += more
        # a fresh decoder judges the line by the same grammar as the body path
        probe = ChunkedDecoder(self._settings)
        probe.feed(buf[:idx + 1])
        return probe.remaining, buf[idx + 1:]

    def parse_trailers(self, unreader: Unreader, data: bytes) -> None:
        """Read the trailer section after the last-chunk (RFC 9112 section 7.1.2).

        *data* is input already read.  Stores the fields in ``req.trailers``
        and pushes what follows back into *unreader*.  Raises
        LimitRequestHeaders once the section outgrows ``max_buffer_headers``
        (read no further than that), field errors, ChunkMissingTerminator or
        NoMoreData at end of input.
        """
        decoder = ChunkedDecoder(self._settings, self._trailer_hook)
        decoder.start_trailers()
        if data:
            decoder.feed(bytes(data))
        while not decoder.done:
            more = unreader.read()
            if not more:
                decoder.eof()
                raise NoMoreData(b"")
            decoder.feed(more)
        if decoder.unused:
            unreader.unread(decoder.unused)
        self.req.trailers = decoder.trailers or []

    def get_data(self, unreader: Unreader, buf: Any) -> None:
        """Append the next input block to *buf* (io.BytesIO); NoMoreData at EOF."""
        block = unreader.read()
        if block:
            buf.write(block)
            return
        raise NoMoreData()


class LengthReader:
    """Reads exactly *length* bytes of body (Content-Length framing).

    A peer that closes before *length* bytes arrived gets what did arrive
    (the read returns short, later reads b""), and ``truncated`` becomes
    True so the connection is not reused.
    """

    def __init__(self, unreader: Unreader, length: int) -> None:
        self.unreader = unreader
        self.length = length
        self.truncated = False

    def read(self, size: int) -> bytes:
        """Return up to *size* bytes (blocking until that many are available)."""
        _check_size(size)
        if size > self.length:
            size = self.length
        if size == 0:
            return b""
        # read ahead up to the end of the body, never past it
        data = self.unreader.read(size, self.length)
        if len(data) < size:
            self.truncated = True
            self.length = 0
        else:
            self.length -= size
        return data


class EOFReader:
    """Reads body bytes until the peer closes the connection."""

    def __init__(self, unreader: Unreader) -> None:
        self.unreader = unreader
        self._buf = b""
        self.finished = False

    def read(self, size: int) -> bytes:
        """Return up to *size* bytes; b"" after end of input."""
        _check_size(size)
        if size == 0:
            return b""
        buf = self._buf
        if not self.finished:
            parts = [buf] if buf else []
            have = len(buf)
            while have < size:
                data = self.unreader.read()
                if not data:
                    self.finished = True
                    break
                parts.append(data)
                have += len(data)
            buf = b"".join(parts)
        self._buf = buf[size:]
        return buf[:size]


class Body:
    """File-like view of a request body (PEP 3333 ``wsgi.input``).

    ``read(size=None)`` never returns more than *size* bytes; ``readline``
    and iteration split on b"\\n".  *reader* is one of the readers above (or
    anything with ``read(size)``); it is asked for at least 1 KiB at a time,
    the surplus staying in this object.  ``failed`` becomes True when the
    reader raised: where the next request starts is then unknown.
    """

    # read-ahead kept for the next call; reading raised (class defaults)
    _buf = b""
    failed = False

    def __init__(self, reader: Any) -> None:
        self.reader = reader

    def _pull(self, size: int) -> bytes:
        try:
            return self.reader.read(size)
        except BaseException:
            self.failed = True
            raise

    def __iter__(self) -> Body:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration()
        return line

    next = __next__

    @staticmethod
    def getsize(size: Any) -> int:
        """Normalise a size argument: None or negative mean "everything"."""
        if size is None:
            return sys.maxsize
        if isinstance(size, int):
            return size if size >= 0 else sys.maxsize
        raise TypeError("size must be an integral type")

    def read(self, size: int | None = None) -> bytes:
        """Read up to *size* bytes (all remaining bytes when None or negative)."""
        size = self.getsize(size)
        if size == 0:
            return b""
        buf = self._buf
        have = len(buf)
        if have >= size:
            self._buf = buf[size:]
            return buf[:size]
        want = size - have
        data = self._pull(want if want < _STEP else _STEP) if want > _MIN_STEP else self._pull(_MIN_STEP)
        if buf:
            data = buf + data
        if len(data) >= size or not data or len(data) == have:
            self._buf = data[size:]
            return data[:size] if len(data) > size else data
        if getattr(self.reader, "length", None) == 0:
            # the reader says its content ended with this piece: done, with
            # no further read and no copy
            self._buf = b""
            return data
        # More than one step: gather in a BytesIO, whose final getvalue()
        # usually needs no second copy of the whole body.
        out = io.BytesIO()
        out.write(data)
        have = len(data)
        while have < size:
            want = size - have
            data = self._pull(want if want < _STEP else _STEP) if want > _MIN_STEP else self._pull(_MIN_STEP)
            if not data:
                break
            out.write(data)
            have += len(data)
        if have > size:
            data = out.getvalue()
            self._buf = data[size:]
            return data[:size]
        self._buf = b""
        return out.getvalue()

    def readline(self, size: int | None = None) -> bytes:
        """Read one line including its b"\\n", at most *size* bytes."""
        size = self.getsize(size)
        if size == 0:
            return b""
        buf = self._buf
        idx = buf.find(b"\n", 0, size)
        if idx < 0 and len(buf) < size:
            parts = [buf] if buf else []
            have = len(buf)
            while True:
                want = size - have
                data = self._pull(_LINE_STEP if want > _LINE_STEP else max(want, _MIN_STEP))
                if not data:
                    break
                parts.append(data)
                have += len(data)
                if b"\n" in data or have >= size:
                    break
            buf = b"".join(parts)
            idx = buf.find(b"\n", 0, size)
        end = idx + 1 if idx >= 0 else min(size, len(buf))
        self._buf = buf[end:]
        return buf[:end]

    def readlines(self, size: Any = None) -> list[bytes]:
        """Return the remaining lines as a list (the *size* hint is accepted)."""
        data = self.read()
        if not data:
            return []
        lines = data.split(b"\n")
        last = lines.pop()
        out = [line + b"\n" for line in lines]
        if last:
            out.append(last)
        return out


from .errors import ChunkMissingTerminator  # noqa: E402, F401  (gunicorn 25.0 name)
