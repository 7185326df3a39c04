"""``HTTP1Cycle``: the ASGI ``receive`` / ``send`` pair of one HTTP/1.x request.

The cycle talks only to its connection's ``ServerConnection`` (which frames
everything: Content-Length, chunked with trailers, nothing on HEAD/204/304,
100 Continue, 103) and to its ``ASGIProtocol`` for the transport:
``write(bytes)``, ``drain()``, ``want_data()`` (resume reading and wait).
Request content is taken from the connection only when the application
calls ``receive()``, so a slow application stops the client (the protocol
pauses reading while the buffer is full).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from gunicorn.glogging import Logger
from gunicorn.http.core import (
    NEED_DATA,
    Data,
    EndOfMessage,
    LocalProtocolError,
    Response,
)
from gunicorn.http.errors import InvalidHeader
from gunicorn.settings import hooks as default_hooks
from gunicorn.workers import netio

from .scope import ASGIResponseInfo, access_environ, check_response_headers, response_start

__all__ = ["ASGICycle", "HTTP1Cycle", "take_start"]

_DISCONNECT = {"type": "http.disconnect"}
#: bodies from this size (bytes) go to the transport as separate parts
#: rather than joined with the head: the join copies them once more
_JOIN_LIMIT = 16384


def _noop(*args: Any) -> None:
    return None


class RequestHooks:
    """The per-request hooks of one worker, looked up once per worker
    (settings cannot change without a new worker).

    Attributes: ``pre_request`` (a no-op when it is the default and its only
    effect, a debug line, would be filtered out), ``post_request`` (None for
    the default, which does nothing) and ``custom_access`` (True when the
    logger class has its own ``access``, e.g. statsd, so it must be called
    even with the access log off).
    """

    __slots__ = ("pre_request", "post_request", "custom_access")

    def __init__(self, worker: Any) -> None:
        cfg = worker.cfg
        log = worker.log
        pre = cfg.pre_request
        if pre is default_hooks.pre_request:
            is_enabled = getattr(getattr(log, "error_log", None), "isEnabledFor", None)
            if is_enabled is not None and not is_enabled(10):  # logging.DEBUG
                pre = _noop
        self.pre_request = pre
        post = cfg.post_request
        self.post_request = None if post is default_hooks.post_request else post
        self.custom_access = getattr(type(log), "access", None) is not Logger.access

    @classmethod
    def of(cls, worker: Any) -> RequestHooks:
        """The worker's ``RequestHooks``, made on first use."""
        hooks = getattr(worker, "_asgi_request_hooks", None)
        if hooks is None:
            hooks = worker._asgi_request_hooks = cls(worker)
        return hooks


def take_start(cycle: Any, message: dict[str, Any]) -> None:
    """Record an ``http.response.start`` message on *cycle* (an HTTP/1.1 or
    HTTP/2 cycle): status, checked headers, whether trailers follow.
    Raises RuntimeError when the message comes twice."""
    if cycle._start is not None:
        raise RuntimeError("http.response.start sent twice")
    status, headers, cycle._trailers = response_start(message)
    cycle._start = (status, headers)
    cycle.resp.status = status
    cycle.resp.headers = headers


class ASGICycle:
    """What every request task does around the application, whatever the
    protocol: the ``pre_request`` hook, the call, a 500 or an aborted
    response when the application fails, the access log, the
    ``post_request`` hook and ``proto.cycle_done(self)``.

    Subclasses provide ``receive``, ``send`` and ``_abandon`` and the
    attributes ``proto`` (with ``worker``, ``peer``, ``cycle_done``),
    ``head``, ``scope``, ``resp``, ``complete``, ``disconnected``.
    """

    __slots__ = ()

    proto: Any
    head: Any
    scope: dict[str, Any]
    resp: ASGIResponseInfo
    complete: bool
    disconnected: bool

    async def receive(self) -> dict[str, Any]:
        raise NotImplementedError

    async def send(self, message: dict[str, Any]) -> None:
        raise NotImplementedError

    async def _abandon(self) -> None:
        raise NotImplementedError

    def _body_stalled(self) -> None:
        raise NotImplementedError

    async def _body_wait(self, waiting: Any) -> Any:
        """Await *waiting* (a wait for request content); after the worker's
        ``timeout`` seconds (``--timeout``, 30 when 0) without it ending,
        ``_body_stalled()`` is called, as the WSGI workers bound a blocking
        read of a stalled body."""
        timer = asyncio.get_running_loop().call_later(
            self.proto.worker.first_request_timeout, self._body_stalled)
        try:
            return await waiting
        finally:
            timer.cancel()

    # -- the task ----------------------------------------------------------

    async def run(self, app: Any) -> None:
        """Run *app* for this request, then finish the exchange: a 500 when
        the application failed or returned before starting a response, a
        closed connection when it stopped in the middle of one; the
        access-log line and the ``post_request`` hook; hand the connection
        back to the protocol."""
        proto = self.proto
        worker = proto.worker
        started_at = datetime.now()
        try:
            RequestHooks.of(worker).pre_request(worker, self.head)
        except Exception:
            worker.log.exception("Exception in pre_request hook")
        try:
            await app(self.scope, self.receive, self.send)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                if self.disconnected:
                    worker.log.debug("ASGI task cancelled after the client %s went away",
                                     proto.peer)
                else:
                    worker.log.debug("ASGI task for %s cancelled (worker stopping)", proto.peer)
            else:
                worker.log.exception("Error handling request %s", self.head.uri)
            await self._abandon()
            if not isinstance(exc, Exception):
                raise
        else:
            if not self.complete and not self.disconnected:
                worker.log.error("ASGI application returned without completing its "
                                 "response to %s", self.head.uri)
                await self._abandon()
        finally:
            try:
                self._finish(started_at)
            finally:
                # the worker tracks this task (spawn_cycle): forget it now
                worker._task_done(self.task)  # type: ignore[attr-defined]

    def _finish(self, started_at: datetime) -> None:
        proto = self.proto
        worker = proto.worker
        log = worker.log
        hooks = RequestHooks.of(worker)
        post_request = hooks.post_request
        # the environ only feeds the access log and post_request: skip it
        # when neither wants it (the default: no access log, no hook)
        if post_request is None and not hooks.custom_access \
                and not getattr(log, "_access_enabled", True):
            proto.cycle_done(self)
            return
        environ = None
        try:
            # the scope's client: a PROXY header or uWSGI vars may name it
            environ = access_environ(self.head, self.scope, self.scope.get("client") or proto.peer)
            log.access(self.resp, self.head, environ, datetime.now() - started_at)
        except Exception:
            log.debug("Failed to log access for an ASGI response", exc_info=True)
        if post_request is not None:
            try:
                post_request(worker, self.head, environ, self.resp)
            except Exception:
                log.exception("Exception in post_request hook")
        proto.cycle_done(self)


class HTTP1Cycle(ASGICycle):
    """One request on an HTTP/1.x connection, as its ASGI task sees it.

    Args:
        proto: the connection's ``ASGIProtocol`` (``conn``, ``worker``,
            ``write``, ``drain``, ``want_data``, ``peer``).
        head: the ``RequestHead`` the connection parsed.
        scope: the request's ASGI scope.

    Attributes: ``disconnected`` (the client went away or the request
    content was malformed), ``complete`` (the response ended),
    ``resp`` (an ``ASGIResponseInfo``).
    """

    __slots__ = ("proto", "conn", "head", "scope", "resp", "disconnected", "complete",
                 "_start", "_head_sent", "_trailers", "_body_ended", "_request_done",
                 "_pending_trailers", "_wake", "task")

    def __init__(self, proto: Any, head: Any, scope: dict[str, Any]) -> None:
        self.proto = proto
        self.conn = proto.conn
        self.head = head
        self.scope = scope
        self.resp = ASGIResponseInfo()
        self.disconnected = False
        self.complete = False
        self._start: tuple[int, list[tuple[str, str]]] | None = None
        self._head_sent = False
        self._trailers = False
        self._body_ended = False
        self._request_done = False
        self._pending_trailers: list[tuple[str, str]] = []
        self._wake: asyncio.Event | None = None
        #: the asyncio task running the application (set by the protocol)
        self.task: asyncio.Task[Any] | None = None

    # -- called by the protocol --------------------------------------------

    def wake(self) -> None:
        """New bytes, the end of input, or the connection's loss: wake ``receive``."""
        if self._wake is not None:
            self._wake.set()

    def lost(self) -> None:
        """The connection is gone: ``receive`` returns ``http.disconnect`` from now on."""
        self.disconnected = True
        self.wake()

    @property
    def reading_body(self) -> bool:
        """True while request content the application has not read is still
        on its way (so the end of input decides how the body ends)."""
        conn = self.conn
        if self._request_done or self.disconnected or conn.content_complete:
            return False
        if not self.head.chunked:
            left = conn.expected_content()
            if left is not None and left <= conn.buffered:
                return False  # all of it is here already
        return True

    # -- receive -----------------------------------------------------------

    async def receive(self) -> dict[str, Any]:
        """The next ASGI message: ``http.request`` {body, more_body} while
        request content remains, then (waiting until the response is
        complete or the client goes away) ``http.disconnect``.

        The first call answers ``Expect: 100-continue`` (RFC 9110 section
        10.1.1).  Malformed content (RFC 9112 section 7) is answered with
        the error page when no response started, and ends in ``http.disconnect``.
        Content that stops arriving for ``--timeout`` seconds while the
        application waits here also ends in ``http.disconnect``, and the
        connection is closed.
        """
        conn = self.conn
        while not self._request_done and not self.disconnected:
            if conn.client_is_waiting_for_100_continue:
                self.proto.write(conn.send_informational(100))
            try:
                event = conn.next_event()
                if type(event) is Data:
                    body = event.data
                    if conn.content_complete:
                        conn.next_event()  # the EndOfMessage: say so now
                        self._request_done = True
                    return {"type": "http.request", "body": body,
                            "more_body": not self._request_done}
                if type(event) is EndOfMessage:
                    self._request_done = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            except Exception as exc:
                self._bad_content(exc)
                break
            if event is not NEED_DATA:
                # PAUSED / CONNECTION_CLOSED: nothing more comes for this request
                self._request_done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await self._body_wait(self._wait())
        # the request is read: block until something ends the exchange
        while not self.disconnected and not self.complete:
            await self._wait()
        return dict(_DISCONNECT)

    async def _wait(self) -> None:
        wake = self._wake
        if wake is None:
            wake = self._wake = asyncio.Event()
        wake.clear()
        self.proto.want_data()
        await wake.wait()


    def _body_stalled(self) -> None:
        """No request content for ``timeout`` seconds while the application
        waits in ``receive()``: it gets ``http.disconnect`` and the
        connection closes (no response: the client stopped talking, and a
        half-read body leaves nothing to keep alive)."""
        if self._request_done or self.disconnected:
            return
        self.proto.worker.log.info("Request body from %s stalled for %ss: closing the connection",
                                   self.proto.peer, self.proto.worker.first_request_timeout)
        self.disconnected = True
        self.proto.close()
        self.wake()

    def _bad_content(self, exc: BaseException) -> None:
        """Request content that is cut short or malformed: the connection
        cannot continue; answer it like the WSGI path when we still can."""
        self.disconnected = True
        worker = self.proto.worker
        if netio.disconnect_reason(exc) is not None:
            worker.log.debug("client %s went away while sending the body: %r", self.proto.peer, exc)
        elif not self.conn.response_started:
            worker.log.warning("Invalid request from ip=%s: %s", netio.peer_ip(self.proto.peer), exc)
            try:
                self.proto.write(self.conn.send_error(exc))
                self.resp.status = getattr(type(exc), "status_code", 400)
                self.complete = True
            except LocalProtocolError:
                pass
        self.proto.close()

    # -- send --------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        """Take one ASGI send message.

        ``http.response.start`` {status, headers, trailers}; ``http.response.body``
        {body, more_body}; ``http.response.trailers`` {headers, more_trailers}
        (only after ``trailers: True``; sent as a chunked trailer section,
        RFC 9112 section 7.1.2, dropped when the response is not chunked);
        ``http.response.informational`` {status, headers} and the
        ``http.response.early_hint`` extension {links} before the start
        (103, RFC 8297; nothing is sent to an HTTP/1.0 client).

        Raises RuntimeError for messages out of order, TypeError/ValueError
        (``InvalidHeader``) for malformed ones.  After a disconnect messages
        are dropped.
        """
        kind = message["type"]
        if kind == "http.response.body":
            if self._start is None or self._body_ended:
                raise RuntimeError("%s not allowed now" % kind)
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if self.disconnected:
                self._body_ended = not more
                return
            conn = self.conn
            parts = []
            if not self._head_sent:
                status, headers = self._start
                try:
                    parts.append(conn.send(Response(status, headers)))
                except ValueError:
                    # a Content-Length that is not a number: nothing went out
                    raise InvalidHeader("content-length") from None
                self._head_sent = True
            if body:
                prefix, data, suffix = conn.frame_data(body)
                self.resp.sent += len(data)
                parts += (prefix, data, suffix)
            if not more:
                self._body_ended = True
                if not self._trailers:
                    parts.append(conn.send_end())
                    self.complete = True
            proto = self.proto
            if len(body) < _JOIN_LIMIT:
                proto.write(b"".join(parts))
            else:
                proto.write_parts(parts)
            if self.complete:
                self.wake()
            paused = proto._write_paused
            if more and paused is not None and not paused.done():
                # the transport's buffer is above its high-water mark; after
                # the last part the next request waits instead (_next_request)
                await paused
        elif kind == "http.response.start":
            take_start(self, message)
        elif kind == "http.response.trailers":
            if not self._trailers or not self._body_ended or self.complete:
                raise RuntimeError("http.response.trailers not allowed now")
            self._pending_trailers += check_response_headers(message.get("headers", ()))
            if not message.get("more_trailers", False):
                self.complete = True
                if not self.disconnected:
                    self.proto.write(self.conn.send_end(self._pending_trailers))
                self.wake()
        elif kind in ("http.response.informational", "http.response.early_hint"):
            if self._start is not None:
                raise RuntimeError("%s after http.response.start" % kind)
            if kind == "http.response.early_hint":
                status = 103
                headers = check_response_headers(("link", link) for link in message.get("links", ()))
            else:
                status = message.get("status", 103)
                if type(status) is not int or not 100 <= status < 200 or status == 101:
                    raise ValueError("invalid informational status %r" % (status,))
                headers = check_response_headers(message.get("headers", ()))
            if not self.disconnected and status != 100:
                self.proto.write(self.conn.send_informational(status, headers))
        else:
            raise ValueError("unknown ASGI message type %r" % (kind,))

    async def _abandon(self) -> None:
        """The application will send nothing more: a 500 page when no
        response head went out, else the connection must close."""
        if self.complete or self.disconnected:
            return
        if not self._head_sent:
            self.resp.status = 500
            self.resp.headers = []
            self.proto.write(self.conn.send_error(Exception()))
            self.complete = True
        else:
            self.conn.send_failed()
        self.proto.close()
