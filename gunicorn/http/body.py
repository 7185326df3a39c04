"""Request body readers for the blocking facade (``wsgi.input``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from .core.chunked import ChunkedDecoder
from .core.settings import ParserSettings
from .errors import NoMoreData
from .unreader import Unreader

__all__ = ["ChunkedReader", "LengthReader", "EOFReader", "Body"]

# bytes pulled per step when a caller asks for "everything"
_STEP = 1 << 20
_LINE_STEP = 8192


def _check_size(size: Any) -> None:
    if not isinstance(size, int):
        raise TypeError("size must be an integral type")
    if size < 0:
        raise ValueError("Size must be positive.")


class ChunkedReader:
    """Decodes a chunked body (RFC 9112 section 7.1) read from *unreader*.

    On completion the trailer fields are stored in ``req.trailers`` and the
    bytes after the body are pushed back into the unreader.  Errors: see
    ``gunicorn.http.core.chunked.ChunkedDecoder``; a truncated body raises
    NoMoreData or ChunkMissingTerminator.
    """

    def __init__(self, req: Any, unreader: Unreader) -> None:
        self.req = req
        self.unreader = unreader
        settings = getattr(req, "_settings", None)
        if settings is None:
            settings = ParserSettings(req.cfg)
        self.decoder = ChunkedDecoder(settings)
        self._buf = b""

    def _fill(self, size: int) -> None:
        decoder = self.decoder
        parts = [self._buf] if self._buf else []
        have = len(self._buf)
        unreader = self.unreader
        while have < size and not decoder.done:
            data = unreader.read()
            if not data:
                decoder.eof()
                break
            out = decoder.feed(data)
            if out:
                parts.append(out)
                have += len(out)
            if decoder.done:
                if decoder.unused:
                    unreader.unread(decoder.unused)
                    decoder.unused = b""
                self.req.trailers = decoder.trailers or []
        self._buf = b"".join(parts) if len(parts) != 1 else parts[0]

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

    def get_data(self, unreader: Unreader, buf: Any) -> None:
        """Append the next input block to *buf* (io.BytesIO); NoMoreData at EOF."""
        data = unreader.read()
        if not data:
            raise NoMoreData()
        buf.write(data)


class LengthReader:
    """Reads exactly *length* bytes of body (Content-Length framing).

    A peer that closes before *length* bytes arrived raises NoMoreData.
    """

    def __init__(self, unreader: Unreader, length: int) -> None:
        self.unreader = unreader
        self.length = length

    def read(self, size: int) -> bytes:
        """Return up to *size* bytes (blocking until that many are available)."""
        _check_size(size)
        if size > self.length:
            size = self.length
        if size == 0:
            return b""
        unreader = self.unreader
        data = unreader.read()
        have = len(data)
        if have < size:
            parts = [data]
            while have < size:
                if not data:
                    raise NoMoreData(b"".join(parts))
                data = unreader.read()
                parts.append(data)
                have += len(data)
            data = b"".join(parts)
        if have > size:
            unreader.unread(data[size:])
            data = data[:size]
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
    and iteration split on b"\\n".  *reader* is one of the readers above.
    """

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self._buf = b""

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
        if not isinstance(size, int):
            raise TypeError("size must be an integral type")
        if size < 0:
            return sys.maxsize
        return size

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
        read = self.reader.read
        parts = [buf] if buf else []
        self._buf = b""
        while have < size:
            want = size - have
            data = read(want if want < _STEP else _STEP)
            if not data:
                break
            parts.append(data)
            have += len(data)
        if len(parts) == 1:
            return parts[0]
        return b"".join(parts)

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
            read = self.reader.read
            while True:
                want = size - have
                data = read(want if want < _LINE_STEP else _LINE_STEP)
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
