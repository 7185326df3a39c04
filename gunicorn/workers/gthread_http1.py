"""HTTP/1.x for the gthread worker: each connection's sans-IO
``ServerConnection`` (``gunicorn.http.core``), fed by the event loop.

The worker does the I/O and the scheduling and meets this module at two
points only:

* loop thread, bytes in: the worker hands received bytes to ``conn.h1``
  (``receive_data``) and asks :meth:`HTTP1Driver.data_received` what the
  connection holds now: a request to run (``READY``), nothing whole yet
  (``WAIT``) or nothing more at all (``CLOSE``); a request the bytes
  already prove malformed raises its parse error. The head is parsed once,
  here; a small request body is received here too, so that a client that
  sends it slowly costs no pool thread;
* pool thread, a unit of work: :meth:`HTTP1Driver.serve` runs the request
  (``worker.handle_request``), moves the connection to its next cycle and
  answers pipelined requests that are already buffered.

Keep-alive, ``Expect: 100-continue``, framing, pipelining and the drain of
an unread body are all decided by the ``ServerConnection``.
"""

from __future__ import annotations

from typing import Any

from gunicorn import http
from gunicorn.http.core import (
    CONNECTION_CLOSED,
    NEED_DATA,
    Data,
    LocalProtocolError,
    RequestHead,
    ServerConnection,
    settings_for,
)
from gunicorn.http.message import Request

__all__ = ["HTTP1Driver", "RECV_SIZE", "BODY_PRELOAD", "READY", "WAIT", "CLOSE"]

# bytes asked of one recv()
RECV_SIZE = 65536
#: request content up to this many bytes (Content-Length, or decoded chunked
#: content) is received by the loop before a pool thread is taken: a client
#: sending a small body slowly then holds no thread. Bigger bodies are read
#: by the pool thread as the application asks (bounded by the read timeout).
BODY_PRELOAD = 64 * 1024

# what data_received finds
READY, WAIT, CLOSE = "ready", "wait", "close"


def _message_class(cfg: Any) -> Any:
    """The request class the configured protocol parses into."""
    try:
        cls = http.get_parser(cfg, iter(()), None).mesg_class
    except Exception:
        return Request
    # a head parsed by the loop becomes a request through from_head
    return cls if hasattr(cls, "from_head") else Request


class HTTP1Driver:
    """Request heads and request/response cycles of one worker's connections.

    Args:
        cfg: the Config (read once: settings cannot change without a new worker).

    Attributes:
        settings: the ``ParserSettings`` every connection of the worker shares.
        max_read: most bytes the loop buffers for one connection before the
            protocol decides (a head over its limits raises long before).
    """

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg
        self.msg_class = _message_class(cfg)
        self.settings = ps = settings_for(cfg)
        self.max_read = max(65536, (ps.limit_request_line or 8190) + ps.max_buffer_headers,
                            BODY_PRELOAD)

    def connection(self, client: Any) -> ServerConnection:
        """A new ``ServerConnection`` for a client at address *client*."""
        return ServerConnection(self.settings, client)

    # -- loop thread: bytes in ------------------------------------------

    def data_received(self, conn: Any) -> str:
        """What ``conn.h1`` holds after the loop fed it bytes (or the end of input).

        Returns ``READY`` once a request head is parsed and its content is
        here (or will not fit ``BODY_PRELOAD``, or the client waits for a
        100 Continue); ``WAIT`` while more bytes are needed (also while the
        rest of an unread body is drained); ``CLOSE`` when no further
        request will come (the peer closed between requests, or the unread
        body was over the drain limit).

        Raises the request errors of ``gunicorn.http.errors`` as soon as the
        bytes prove them (RFC 9112 sections 2-7: 400, 414, 431, 501 ...),
        NoMoreData when the peer closed in the middle of a head.
        """
        h1 = conn.h1
        if conn.head is None:
            event = h1.next_event()
            if event is NEED_DATA:
                return WAIT
            if type(event) is not RequestHead and not isinstance(event, RequestHead):
                return CLOSE
            conn.head = event
        return READY if self._content_ready(conn) else WAIT

    def _content_ready(self, conn: Any) -> bool:
        """True when the current request may go to a pool thread now."""
        h1 = conn.h1
        if not conn.head.chunked:
            # Content-Length: wait in the loop for a small body's last byte
            left = h1.expected_content()
            return (not left or left <= h1.buffered or left > BODY_PRELOAD or h1.input_ended
                    or h1.client_is_waiting_for_100_continue)
        if h1.client_is_waiting_for_100_continue:
            return True
        # chunked: decode what is here (the framing tells where it ends)
        parts = conn.preload
        if parts is None:
            parts = conn.preload = []
        size = conn.preload_size
        next_event = h1.next_event
        while True:
            event = next_event()
            if type(event) is Data:
                parts.append(event.data)
                size += len(event.data)
                if size > BODY_PRELOAD:
                    conn.preload_size = size
                    return True
            elif event is NEED_DATA:
                conn.preload_size = size
                return h1.input_ended
            else:
                # EndOfMessage: the whole content (and trailers) is here
                conn.preload_size = size
                conn.preload_end = event
                return True

    def take_content(self, conn: Any) -> bytes | None:
        """Loop thread: the whole content of the request ``data_received``
        found READY, taken out of the connection (for a protocol switch such
        as ``Upgrade: h2c``, RFC 7540 section 3.2); None, and nothing taken,
        when it is not all here yet (the request is then served as HTTP/1.1).
        Raises the connection's errors for malformed content."""
        h1 = conn.h1
        if h1.client_is_waiting_for_100_continue:
            return None
        parts = conn.preload
        if conn.head.chunked:
            if conn.preload_end is None:
                return None
            conn.preload, conn.preload_size, conn.preload_end = None, 0, None
            return b"".join(parts or ())
        left = h1.expected_content()
        if left and left > h1.buffered:
            return None
        chunks = []
        while True:
            event = h1.next_event()
            if type(event) is not Data:
                break
            chunks.append(event.data)
        return b"".join(chunks)

    # -- pool thread: one unit of work -----------------------------------

    def serve(self, worker: Any, conn: Any) -> bool:
        """Answer the request ``data_received`` found, then any pipelined
        ones already buffered; True to give the connection back to the loop.

        Each request goes to ``worker.handle_request(req, conn)`` (True to
        keep alive); ``conn.current_req`` names the request being served
        for error reports. Afterwards the connection starts its next cycle:
        a body the application left unread is drained by the connection
        (up to its ``DRAIN_LIMIT``; the loop feeds what has not arrived).

        Raises the parse errors of ``gunicorn.http.errors`` (a pipelined
        request), OSError / ssl.SSLError from the socket, and the
        application's exception when nothing was sent yet.
        """
        h1 = conn.h1
        head = conn.head
        conn.head = None
        cfg, from_head, handle_request = self.cfg, self.msg_class.from_head, worker.handle_request
        reader, client = conn.reader, conn.client
        while True:
            req = from_head(cfg, reader, client, h1, head)
            parts = conn.preload
            if parts is not None:
                # chunked content the loop already decoded
                end = conn.preload_end
                req.body.reader.preload(b"".join(parts), end.trailers if end else None,
                                        end is not None)
                conn.preload, conn.preload_size, conn.preload_end = None, 0, None
            if h1.req_number > 1 and req.proxy_protocol_info is None:
                # the PROXY prefix came with the first request: it describes
                # the whole connection
                req.proxy_protocol_info = h1.proxy_protocol_info
            conn.current_req = req
            if not handle_request(req, conn) or not h1.keep_alive:
                return False
            conn.current_req = None
            try:
                h1.start_next_cycle()
            except LocalProtocolError:
                # the response did not complete: the connection cannot go on
                return False
            event = h1.next_event()
            if event is NEED_DATA:
                return True
            if event is CONNECTION_CLOSED or not isinstance(event, RequestHead):
                return False
            # pipelined: the next head is already here
            head = event
