"""What the threaded and the asyncio HTTP/2 drivers both expose of their
protocol (``core.HTTP2ServerProtocol``), under the names gunicorn 25's
``HTTP2ServerConnection`` uses."""

from __future__ import annotations

from typing import Any

__all__ = ["DriverAttributes"]


class DriverAttributes:
    """Read-only views of a driver's ``protocol`` (mixin).

    The driver sets ``protocol`` (the ``HTTP2ServerProtocol``), ``closed``
    (its transport side is over) and ``adapters`` (stream id -> the stream
    handle of a running application).
    """

    protocol: Any
    closed: bool
    adapters: dict[int, Any]

    @property
    def streams(self) -> dict[int, Any]:
        """Open streams (stream id -> HTTP2Stream)."""
        return self.protocol.streams  # type: ignore[no-any-return]

    @property
    def h2_conn(self) -> Any:
        """The underlying ``h2.connection.H2Connection``."""
        return self.protocol.h2_conn

    initial_window_size = property(lambda self: self.protocol.initial_window_size)
    max_concurrent_streams = property(lambda self: self.protocol.max_concurrent_streams)
    max_frame_size = property(lambda self: self.protocol.max_frame_size)
    max_header_list_size = property(lambda self: self.protocol.max_header_list_size)

    @property
    def is_closed(self) -> bool:
        """True once the transport side or the protocol is over."""
        return self.closed or bool(self.protocol.is_closed)

    @property
    def draining(self) -> bool:
        """True once a graceful GOAWAY went either way."""
        return bool(self.protocol.draining)

    @property
    def active_streams(self) -> int:
        """Streams whose application still runs or whose exchange is open."""
        return max(len(self.adapters), int(self.protocol.active_streams))
