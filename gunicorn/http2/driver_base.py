"""What the HTTP/2 drivers share.

``DriverAttributes``: what the threaded and the asyncio drivers both expose
of their protocol (``core.HTTP2ServerProtocol``), under the names gunicorn
25's ``HTTP2ServerConnection`` uses.  ``run_wsgi_stream`` and
``add_stream_environ``: one WSGI application call per stream of the blocking
driver, used alike by gthread pool threads and greenlet workers.
``take_write``: the next write of a queue of output buffers.
``SETTINGS_TIMEOUT``: how long every driver waits for the peer to
acknowledge our SETTINGS.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.workers.netio import is_client_disconnect

from .errors import HTTP2Error

__all__ = ["SETTINGS_TIMEOUT", "DriverAttributes", "add_stream_environ", "early_hints_sender",
           "run_wsgi_stream", "serving_modes", "take_write"]

#: seconds the peer has to acknowledge our SETTINGS (RFC 9113 section 6.5.3)
SETTINGS_TIMEOUT = 10.0


def take_write(out: deque[Any], limit: int) -> Any:
    """Pop from the front of *out* (bytes-like buffers, in order) the
    octets of one write of at most *limit* octets: the first buffer as it
    is when nothing follows it or it fills the write, else buffers joined
    into one (TLS cannot gather); a buffer crossing *limit* is split and
    its rest left at the front.  *out* must not be empty."""
    buf = out.popleft()
    size = len(buf)
    if size > limit:
        out.appendleft(memoryview(buf)[limit:])
        return memoryview(buf)[:limit]
    if size == limit or not out:
        return buf
    parts = [buf]
    while out and size < limit:
        part = out.popleft()
        room = limit - size
        if len(part) > room:
            out.appendleft(memoryview(part)[room:])
            part = memoryview(part)[:room]
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def serving_modes(cfg: Any) -> tuple[bool, bool, bool, float]:
    """How a worker serves HTTP/2 under *cfg*, read once at start:
    (``h2`` alone over TLS: HTTP/1.x clients are refused, h2c with prior
    knowledge, h2c through ``Upgrade: h2c``, idle seconds of a connection
    without streams: ``keepalive``, else ``timeout``, else 30).  The h2c
    modes need ``h2`` in ``http_protocols``, a plain listener and the
    matching ``http2_cleartext``."""
    protocols = list(cfg.http_protocols or ())
    mode = getattr(cfg, "http2_cleartext", "off") or "off"
    cleartext = "h2" in protocols and not cfg.is_ssl
    keepalive = cfg.keepalive
    idle = float(keepalive) if keepalive and keepalive > 0 else \
        float(cfg.timeout if cfg.timeout > 0 else 30)
    return (bool(cfg.is_ssl) and protocols == ["h2"],
            cleartext and mode in ("prior-knowledge", "both"),
            cleartext and mode in ("upgrade", "both"), idle)


class DriverAttributes:
    """Read-only views of a driver's ``protocol`` (mixin).

    The driver sets ``protocol`` (the ``HTTP2ServerProtocol``), ``closed``
    (its transport side is over), ``adapters`` (stream id -> the stream
    handle of a running application) and, after a PROXY header,
    ``proxy_protocol_info``.
    """

    protocol: Any
    closed: bool
    adapters: dict[int, Any]
    #: the PROXY header read before the TLS handshake (HAProxy
    #: proxy-protocol.txt); it describes every stream of the connection
    proxy_protocol_info: dict[str, Any] | None = None

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


# -- WSGI over one stream of a blocking driver (gthread pool threads, greenlets) --


def early_hints_sender(stream: Any, resp: Any) -> Callable[[Iterable[Any]], None]:
    """``wsgi.early_hints`` for an HTTP/2 stream.

    Args:
        stream: the stream's ``HTTP2StreamIO`` (``send_informational``).
        resp: the WSGI ``Response`` (nothing is sent once ``headers_sent``).

    Each call validates its (name, value) pairs like HTTP/1.1 hints
    (``InvalidEarlyHint``, a ValueError) and sends one HEADERS frame with
    ``:status 103`` (RFC 8297, RFC 9113 section 8.1), never HTTP/1.1 bytes.
    """

    def send_early_hints(headers: Iterable[Any]) -> None:
        # imported here: the asgi worker imports this module, never this path
        from gunicorn.http.early_hints import check_early_hint

        pairs = [(name.lower(), value) for name, value in map(check_early_hint, headers)]
        if resp.headers_sent:
            return
        stream.send_informational(103, pairs)

    return send_early_hints


def add_stream_environ(environ: dict[str, Any], stream: Any, resp: Any) -> None:
    """Put the HTTP/2 stream keys in *environ*: ``wsgi.early_hints`` (103
    HEADERS), ``gunicorn.http2.send_trailers(list of (name, value))`` and
    ``gunicorn.http2.request_trailers() -> list`` (RFC 9113 section 8.1)."""
    environ["wsgi.early_hints"] = early_hints_sender(stream, resp)
    environ["gunicorn.http2.send_trailers"] = stream.set_trailers
    environ["gunicorn.http2.request_trailers"] = stream.request_trailers


def run_wsgi_stream(call: Any, log: Any, h2c: Any, stream: Any, req: Any, client: Any,
                    server: Any, before_app: Callable[[Any, dict[str, Any]], None]) -> None:
    """Run the WSGI application for one HTTP/2 stream; never raises ``Exception``.

    Args:
        call: the worker's ``WSGICall``; log: the worker's logger.
        h2c: the ``HTTP2ServerConnection``; stream: the stream's ``HTTP2StreamIO``;
        req: its ``HTTP2Request``; client / server: peer and listener addresses.
        before_app: ``before_app(resp, environ)`` (environ keys, request count).

    A client that went away (reset stream, closed connection) costs a debug
    line; another failure before the head went out is answered on the stream
    (500, or the 4xx the error carries) and logged; after it the stream is
    reset.  The stream is handed back (``h2c.stream_done``) in every case:
    an unfinished response is reset there.
    """
    info = h2c.proxy_protocol_info
    if info is not None and req.proxy_protocol_info is None:
        req.proxy_protocol_info = info
    try:
        call.call_stream(req, stream, client, server, before_app)
    except Exception as exc:
        if is_client_disconnect(exc) or h2c.is_closed:
            log.debug("HTTP/2 stream %s from %s ended: %s", stream.stream_id, client, exc)
        else:
            status = getattr(exc, "status_code", None) or getattr(exc, "code", None)
            if not isinstance(status, int) or not 400 <= status < 600:
                status = 500
            if status >= 500:
                log.exception("Error handling request %s", getattr(req, "uri", ""))
            else:
                log.warning("Invalid request from %s: %s", client, exc)
            try:
                stream.send_error(status, "Internal Server Error" if status == 500 else str(exc))
            except (HTTP2Error, OSError):
                pass
    finally:
        h2c.stream_done(stream)
