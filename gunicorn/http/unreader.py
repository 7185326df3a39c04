"""Pull-style byte sources with push-back, used by the blocking HTTP/1.x facade."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["Unreader", "SocketUnreader", "IterUnreader"]


class Unreader:
    """A byte source whose reads can be undone with ``unread``.

    Subclasses implement ``chunk()`` returning the next bytes (b"" at EOF).
    """

    def __init__(self) -> None:
        self._buf = b""

    def chunk(self) -> bytes:
        """Return the next block of input, b"" at end of input."""
        raise NotImplementedError()

    def read(self, size: int | None = None) -> bytes:
        """Return buffered bytes, or up to *size* bytes.

        ``size=None`` (or negative) returns what is buffered, or else one
        ``chunk()``.  An int size blocks until *size* bytes are available or
        the input ends.  ``0`` returns b"".  A non-int raises TypeError.
        """
        if size is not None:
            if not isinstance(size, int):
                raise TypeError("size parameter must be an int or long.")
            if size == 0:
                return b""
            if size < 0:
                size = None
        buf = self._buf
        if size is None:
            if buf:
                self._buf = b""
                return buf
            return self.chunk()
        have = len(buf)
        if have < size:
            parts = [buf] if buf else []
            while have < size:
                data = self.chunk()
                if not data:
                    break
                parts.append(data)
                have += len(data)
            buf = b"".join(parts)
        if have <= size:
            self._buf = b""
            return buf
        self._buf = buf[size:]
        return buf[:size]

    def unread(self, data: bytes | bytearray | memoryview) -> None:
        """Push *data* back so that the next read returns it first."""
        if data:
            data = bytes(data)
            self._buf = data + self._buf if self._buf else data


class SocketUnreader(Unreader):
    """Reads from a socket with ``recv(max_chunk)`` (bytes)."""

    def __init__(self, sock: Any, max_chunk: int = 8192) -> None:
        super().__init__()
        self.sock = sock
        self.mxchunk = max_chunk

    def chunk(self) -> bytes:
        return self.sock.recv(self.mxchunk)


class IterUnreader(Unreader):
    """Reads from any iterable of bytes objects."""

    def __init__(self, iterable: Iterable[bytes]) -> None:
        super().__init__()
        self.iter: Any = iter(iterable)

    def chunk(self) -> bytes:
        if not self.iter:
            return b""
        try:
            return next(self.iter)
        except StopIteration:
            self.iter = None
            return b""
