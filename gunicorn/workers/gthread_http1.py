"""HTTP/1.x for the gthread worker: the protocol half, over today's blocking
``gunicorn.http`` API (``Request`` reading from a ``SocketUnreader``).

The worker does the I/O and the scheduling and meets this module at two
points only:

* loop thread, bytes in: :meth:`HTTP1Driver.head_ready` tells whether the
  bytes a connection received (``TConn.pending``) hold a complete request
  head, raising the parse error they already prove;
* pool thread, a unit of work: :meth:`HTTP1Driver.serve` parses the
  request(s) and hands each to ``worker.handle_request``, answering
  pipelined requests whose heads are already buffered.

This is the part a sans-IO HTTP/1.1 connection replaces.
"""

from __future__ import annotations

from typing import Any

from gunicorn import http
from gunicorn.http.core import HeadParser, parse_proxy_prefix, settings_for

__all__ = ["HTTP1Driver", "RECV_SIZE", "DRAIN_LIMIT"]

# bytes asked of one recv()
RECV_SIZE = 65536
# unread request body (bytes) read and discarded to keep a connection alive;
# past it closing is cheaper than reading on
DRAIN_LIMIT = 8 * 1024 * 1024


def _message_class(cfg: Any) -> Any:
    """The request class the configured protocol parses into."""
    try:
        return http.get_parser(cfg, iter(()), None).mesg_class
    except Exception:
        from gunicorn.http.message import Request

        return Request


def _uwsgi_head_end(buf: bytes | bytearray) -> bool:
    """True when a whole uWSGI header packet (4 bytes + vars) is buffered."""
    return len(buf) >= 4 and len(buf) >= 4 + int.from_bytes(buf[1:3], "little")


class HTTP1Driver:
    """Request heads and request/response cycles of one worker's connections.

    Args:
        cfg: the Config (read once: settings cannot change without a new worker).

    Attributes:
        max_head: bytes after which a head is handed on complete or not (the
            parser then answers 414/431); also bounds one loop read.
    """

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg
        self.msg_class = _message_class(cfg)
        self.uwsgi = getattr(cfg, "protocol", "http") == "uwsgi"
        # shared with every parser of this worker; limits already normalised
        self.settings = ps = settings_for(cfg)
        self.proxy_mode = ps.proxy_protocol
        self.max_head = max(65536, (ps.limit_request_line or 8190) + ps.max_buffer_headers)

    # -- loop thread: bytes in ------------------------------------------

    def head_ready(self, conn: Any) -> bool:
        """True once ``conn.pending`` holds a full request head (or is too big to wait).

        While the head is incomplete, the bytes so far go through the shared
        sans-IO ``HeadParser``, so limits and malformed lines are found as
        they arrive (RFC 9112 sections 2.2, 3 and 5), and ``conn.scan_from``
        remembers where to look for the blank line next time. Raises that
        parser's errors: LimitRequestLine (414), LimitRequestHeaders (431),
        InvalidRequestLine / InvalidHeader (400) and the PROXY prefix errors.
        """
        buf = conn.pending
        if self.uwsgi:
            ready = _uwsgi_head_end(buf) or len(buf) >= self.max_head
        else:
            start = conn.scan_from
            # CRLF CRLF, or a bare-LF blank line the parser will reject
            ready = (buf.find(b"\n\r\n", start) >= 0 or buf.find(b"\n\n", start) >= 0
                     or len(buf) >= self.max_head)
            if not ready:
                try:
                    ready = self._check_partial_head(conn)
                except Exception:
                    conn.scan_from, conn.head_check = 0, None
                    raise
        if ready:
            conn.scan_from, conn.head_check = 0, None
        else:
            conn.scan_from = max(0, len(buf) - 3)
        return ready

    def _check_partial_head(self, conn: Any) -> bool:
        """Feed the incomplete head in ``conn.pending`` to the core parser.

        Returns True if the parser finds it complete after all, False when it
        needs more bytes; raises the parse error the bytes already prove.
        """
        buf = conn.pending
        start = 0
        if conn.req_count == 0 and self.proxy_mode != "off":
            # PROXY header first (first request only), exactly as the parser does
            peer = conn.client
            host = peer[0] if isinstance(peer, tuple) else peer
            found = parse_proxy_prefix(buf, self.proxy_mode,
                                       self.settings.policy.proxy_allowed(peer), host)
            if found is None:
                return False
            start = found[1]
        parser = conn.head_check
        if parser is None:
            # partial checks never look at forwarded fields: trust is moot
            parser = conn.head_check = HeadParser(self.settings, False)
        return parser.parse(buf, start) is not None

    # -- pool thread: one unit of work -----------------------------------

    def serve(self, worker: Any, conn: Any) -> bool:
        """Answer the request whose head ``conn.pending`` holds, then any
        pipelined ones already buffered; True to keep the connection.

        Each request goes to ``worker.handle_request(req, conn)`` (True to
        keep alive). ``conn.current_req`` names the request being served for
        error reports. What the application left unread of a body is drained
        up to ``DRAIN_LIMIT`` bytes (RFC 9112 section 9.3), else the
        connection closes. Bytes read past a request stay in
        ``conn.pending`` for the loop.

        Raises StopIteration (no request at all), the parse errors of
        ``gunicorn.http.errors``, OSError / ssl.SSLError from the socket, and
        the application's exception when nothing was sent yet.
        """
        reader = conn.reader
        pending = conn.pending
        reader.unread(bytes(pending))
        del pending[:]
        cfg, msg_class, handle_request = self.cfg, self.msg_class, worker.handle_request
        while True:
            conn.req_count += 1
            conn.current_req = req = msg_class(cfg, reader, conn.client, conn.req_count)
            if conn.req_count == 1:
                conn.proxy_protocol_info = getattr(req, "proxy_protocol_info", None)
            elif conn.proxy_protocol_info is not None and req.proxy_protocol_info is None:
                req.proxy_protocol_info = conn.proxy_protocol_info
            if not handle_request(req, conn):
                return False
            body_read = req.body.read
            drained = 0
            while drained <= DRAIN_LIMIT:
                data = body_read(RECV_SIZE)
                if not data:
                    break
                drained += len(data)
            else:
                return False
            conn.current_req = None
            # bytes read past this request belong to the next one
            leftover = reader.take_buffered()
            if not leftover:
                return True
            pending += leftover
            # pipelined (also while stopping: that answer says close): answer
            # the next request now if its head is here
            conn.scan_from, conn.head_check = 0, None
            if not self.head_ready(conn):
                return True
            reader.unread(bytes(pending))
            del pending[:]
