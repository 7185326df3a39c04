"""asyncio HTTP/2 driver (gunicorn 25 name ``AsyncHTTP2Connection``): NOT BUILT YET.

The protocol is ``gunicorn.http2.core.HTTP2ServerProtocol``; the asyncio
driver for the ASGI worker is written with that worker.  Until then
constructing it raises NotImplementedError.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AsyncHTTP2Connection"]


class AsyncHTTP2Connection:
    """asyncio HTTP/2 server connection: not implemented yet.

    Raises NotImplementedError when constructed.
    """

    def __init__(self, cfg: Any, reader: Any, writer: Any, client_addr: Any) -> None:
        raise NotImplementedError(
            "the asyncio HTTP/2 driver is not built yet; "
            "gunicorn.http2.core.HTTP2ServerProtocol is the protocol layer")
