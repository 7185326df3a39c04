"""Pull-style byte sources with push-back, used by the blocking HTTP/1.x facade.

A ``Request`` feeds what it reads from an unreader to the connection's
``ServerConnection`` (kept as ``unreader.connection``); bytes the connection
holds after a request (pipelining) count as buffered here too.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

__all__ = ["Unreader", "SocketUnreader", "IterUnreader"]


class Unreader:
    """A byte source whose reads can be undone with ``unread``.

    Subclasses implement ``chunk(size_hint=None)`` returning the next bytes
    (b"" at end of input).  Buffered bytes are kept as one bytes object plus
    a start offset, so taking small pieces off a large read-ahead does not
    copy the rest each time.
    """

    #: the ServerConnection fed from this source (set by the first Request)
    connection: Any = None

    def __init__(self) -> None:
        self._buf = b""
        self._pos = 0

    def chunk(self, size_hint: int | None = None) -> bytes:
        """Return the next block of input, b"" at end of input.

        *size_hint* is how many bytes the caller may still consume; a source
        may use it to read more at once, never to read more than that.
        """
        raise NotImplementedError()

    def _take_all(self) -> bytes:
        buf, pos = self._buf, self._pos
        self._buf = b""
        self._pos = 0
        return buf[pos:] if pos else buf

    @property
    def buf(self) -> io.BytesIO:
        """A copy of the buffered bytes (the connection's unparsed ones
        first) as a BytesIO positioned at its end (read-only view for code
        written against gunicorn's attribute)."""
        view = io.BytesIO()
        conn = self.connection
        if conn is not None and conn.buffered:
            view.write(conn.trailing_data[0])
        view.write(self._buf[self._pos:])
        return view

    def take_buffered(self) -> bytes:
        """Remove and return the bytes already received and not parsed
        (maybe b""), never reading the source: the connection's unparsed
        bytes, then this buffer's."""
        data = self._take_all()
        conn = self.connection
        if conn is not None and conn.buffered:
            data = conn.take_buffered() + data
        return data

    def read(self, size: int | None = None, read_ahead: int | None = None) -> bytes:
        """Return buffered bytes, or up to *size* bytes.

        ``size=None`` (or negative) returns what is buffered, or else one
        ``chunk(read_ahead)``.  An int size blocks until *size* bytes are
        available or the input ends (then fewer are returned).  *read_ahead*
        is how many bytes the caller may consume in total (e.g. the rest of a
        body of known length): the source may be asked for that much at
        once, the surplus staying buffered.  ``0`` returns b"".  A non-int
        size raises TypeError.
        """
        size = _wanted(size)
        if size == 0:
            return b""
        buf, pos = self._buf, self._pos
        have = len(buf) - pos
        if size is None:
            if have:
                return self._take_all()
            return self.chunk(read_ahead)
        if have >= size:
            end = pos + size
            if end == len(buf):
                self._buf = b""
                self._pos = 0
            else:
                self._pos = end
            return buf[pos:end] if (pos or end != len(buf)) else buf
        parts = [buf[pos:] if pos else buf] if have else []
        want = size if read_ahead is None or read_ahead < size else read_ahead
        while have < size:
            data = self.chunk(want - have)
            if not data:
                break
            parts.append(data)
            have += len(data)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        if have <= size:
            self._buf = b""
            self._pos = 0
            return data
        self._buf = data
        self._pos = size
        return data[:size]

    def unread(self, data: bytes | bytearray | memoryview) -> None:
        """Push *data* back so that the next read returns it first."""
        if data:
            data = bytes(data)
            if len(self._buf) > self._pos:
                self._buf = data + self._buf[self._pos:]
            else:
                self._buf = data
            self._pos = 0


class SocketUnreader(Unreader):
    """Reads from a socket with ``recv``: *max_chunk* bytes by default, up to
    ``max_body_chunk`` when the caller says it wants more (a large body)."""

    #: Upper bound of one recv() sized by a caller's hint; each recv() costs a
    #: GIL release, so bodies are read in large steps.
    max_body_chunk = 1024 * 1024

    def __init__(self, sock: Any, max_chunk: int = 8192) -> None:
        super().__init__()
        self.sock = sock
        self.mxchunk = max_chunk

    def chunk(self, size_hint: int | None = None) -> bytes:
        """One ``recv``: *max_chunk* bytes, or up to *size_hint* (capped at
        ``max_body_chunk``) when that is larger.  Socket errors propagate."""
        size = self.mxchunk
        if size_hint and size_hint > size:
            size = size_hint if size_hint < self.max_body_chunk else self.max_body_chunk
        return self.sock.recv(size)


class IterUnreader(Unreader):
    """Reads from any iterable of bytes objects (the hint is ignored)."""

    def __init__(self, iterable: Iterable[bytes]) -> None:
        super().__init__()
        self.iter: Any = iter(iterable)

    def chunk(self, size_hint: int | None = None) -> bytes:
        """The next item of the iterable; b"" once it is exhausted."""
        source = self.iter
        block = _DONE if source is None else next(source, _DONE)
        if block is _DONE:
            # Forget the exhausted iterator: every later call is EOF.
            self.iter = None
            return b""
        return block


_DONE: Any = object()


def _wanted(size: Any) -> int | None:
    """A read size: None (also for a negative int) means whatever is there."""
    if size is None:
        return None
    if not isinstance(size, int):
        raise TypeError("size parameter must be an int or long.")
    return None if size < 0 else size
