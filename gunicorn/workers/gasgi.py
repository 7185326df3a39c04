"""``ASGIWorker``: an asyncio worker running ASGI 3.0 applications.

The event loop (``asgi_loop``: ``auto`` takes uvloop when it can be
imported, ``uvloop``, ``asyncio``) serves every listener through
``loop.create_server`` with one ``gunicorn.asgi.http1.ASGIProtocol`` per
connection; each request (or HTTP/2 stream) runs in a task of its own.  The
worker itself only does what ``base.Worker`` leaves to a loop: signals as
loop callbacks, the heartbeat as a periodic task, ``worker_connections``,
graceful drain, and the lifespan protocol around serving
(``gunicorn.asgi.lifespan``).

Lifespan (``asgi_lifespan``): ``on`` runs it and makes a failed startup a
boot failure (the worker exits with the boot-error status, so the master
stops and shows the application's message); ``auto`` runs it and serves
anyway when the application does not support it or fails; ``off`` skips it.
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

from gunicorn.http.core import settings_for
from gunicorn.http2.driver_base import serving_modes
from gunicorn.workers import base
from gunicorn.workers.process import syntax_error_page

__all__ = ["ASGIWorker"]

#: seconds between heartbeats at most
HEARTBEAT = 1.0


def _new_loop(cfg: Any, log: Any) -> asyncio.AbstractEventLoop:
    """The event loop ``asgi_loop`` asks for (uvloop falls back to asyncio
    with a warning when it cannot be imported)."""
    choice = getattr(cfg, "asgi_loop", "auto") or "auto"
    if choice in ("auto", "uvloop"):
        try:
            import uvloop
        except ImportError:
            if choice == "uvloop":
                log.warning("asgi_loop is uvloop but uvloop cannot be imported; using asyncio")
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


class ASGIWorker(base.Worker):
    """Serves an ASGI 3 application (``app.wsgi()`` returns it) with asyncio.

    Attributes (gunicorn 25.0 names): ``worker_connections``, ``loop``,
    ``servers``, ``nr_conns``, ``lifespan`` (the ``LifespanManager`` or
    None), ``state`` (dict shared with the lifespan; None without it),
    ``_quick_shutdown``, ``asgi`` (the application; ``self.wsgi`` stays None).
    """

    #: gunicorn.tls offers h2 in ALPN to this worker
    serves_http2 = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cfg = self.cfg
        self.worker_connections = cfg.worker_connections
        self.loop: Any = None
        self.servers: list[Any] = []
        self.nr_conns = 0
        self.lifespan: Any = None
        self.state: dict[str, Any] | None = None
        self._quick_shutdown = False
        self.asgi: Any = None
        self.h1_settings = settings_for(cfg)
        keepalive = cfg.keepalive
        self.keepalive_timeout = float(keepalive) if keepalive and keepalive > 0 else 0.0
        self.first_request_timeout = float(cfg.timeout) if cfg.timeout > 0 else 30.0
        self.h2_only, self.h2c_prior, self.h2c_upgrade, _ = serving_modes(cfg)
        self._conns: set[Any] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._wakeup: asyncio.Event | None = None

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        """Warn that ``threads`` has no effect on this worker."""
        if cfg.threads > 1:
            log.warning("The asgi worker runs requests as asyncio tasks; threads=%s is ignored",
                        cfg.threads)

    # -- setup -------------------------------------------------------------

    def init_process(self) -> None:
        """Make the event loop first (signals and lifespan need it), then the
        base set-up, which loads the application and calls ``run()``."""
        self.loop = _new_loop(self.cfg, self.log)
        asyncio.set_event_loop(self.loop)
        self._wakeup = asyncio.Event()
        super().init_process()

    def load_wsgi(self) -> None:
        """Load the ASGI application into ``self.asgi`` and run the lifespan
        startup (``asgi_lifespan``).  With ``on``, a failed startup raises
        RuntimeError with the application's message (a boot failure)."""
        try:
            self.asgi = self.app.wsgi()
        except SyntaxError as exc:
            if not self.cfg.reload:
                raise
            self.log.exception(exc)
            if exc.filename and self.reloader is not None:
                self.reloader.add_extra_file(exc.filename)
            self.asgi = self._make_error_app(syntax_error_page(exc))
            return
        mode = getattr(self.cfg, "asgi_lifespan", "auto") or "auto"
        if mode != "off":
            self._lifespan_startup(mode)

    def _lifespan_startup(self, mode: str) -> None:
        from gunicorn.asgi.lifespan import LifespanFailure, LifespanManager

        manager = LifespanManager(self.asgi, self.log, {})
        try:
            self.loop.run_until_complete(manager.startup())
        except (LifespanFailure, asyncio.TimeoutError) as exc:
            if mode == "on":
                self.log.error("ASGI lifespan startup failed: %s", exc)
                raise RuntimeError("ASGI lifespan startup failed: %s" % exc) from None
            if getattr(exc, "unsupported", False):
                self.log.debug("ASGI lifespan not supported by the application: %s", exc)
            else:
                self.log.warning("ASGI lifespan startup failed (asgi_lifespan is auto: "
                                 "serving without it): %s", exc)
            return
        self.lifespan = manager
        self.state = manager.state

    @staticmethod
    def _make_error_app(message: str) -> Any:
        """An ASGI app answering every request with 500 and *message* (the
        SyntaxError page served while ``--reload`` waits for a fix)."""
        body = message.encode("utf-8", "replace")

        async def error_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                return
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"text/plain"),
                                    (b"content-length", b"%d" % len(body))]})
            await send({"type": "http.response.body", "body": body})
        return error_app

    def init_signals(self) -> None:
        """Default dispositions, then loop callbacks: QUIT/INT quick exit,
        TERM graceful, USR1 reopen logs, WINCH ignored; ABRT keeps the base
        handler (stack dump, exit 1)."""
        super().init_signals()
        loop = self.loop
        loop.add_signal_handler(signal.SIGTERM, self._graceful)
        loop.add_signal_handler(signal.SIGQUIT, self._quick)
        loop.add_signal_handler(signal.SIGINT, self._quick)
        loop.add_signal_handler(signal.SIGUSR1, self.log.reopen_files)
        loop.add_signal_handler(signal.SIGWINCH, lambda: self.log.debug("worker: SIGWINCH ignored."))

    def _graceful(self) -> None:
        self.alive = False
        if os.getppid() != self.ppid:
            self._arm_orphan_deadline(in_signal_handler=False)
        self._wake()

    def _quick(self) -> None:
        self._quick_shutdown = True
        self.alive = False
        try:
            self.cfg.worker_int(self)
        except Exception:
            self.log.exception("Exception in worker_int hook")
        self._wake()

    def _wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    # -- connections and tasks (used by the protocols) ---------------------

    def connection_opened(self, proto: Any) -> bool:
        """Register a new connection; at ``worker_connections`` the oldest
        idle keep-alive connection makes room, and without one the new
        connection is refused (False)."""
        conns = self._conns
        if len(conns) >= self.worker_connections or not self.alive:
            victim = next((c for c in conns if c.idle), None) if self.alive else None
            if victim is None:
                self.log.debug("worker_connections (%s) reached: refusing %s",
                               self.worker_connections, proto.peer)
                return False
            victim.close()
        conns.add(proto)
        self.nr_conns = len(conns)
        return True

    def connection_closed(self, proto: Any) -> None:
        """A connection ended (``connection_lost``)."""
        self._conns.discard(proto)
        self.nr_conns = len(self._conns)
        if not self.alive and not self._conns:
            self._wake()

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run *coro* as a request task the worker keeps track of."""
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not self.alive and not self._tasks:
            self._wake()

    def spawn_cycle(self, cycle: Any) -> asyncio.Task[Any]:
        """Run ``cycle.run(app)`` (an ``ASGICycle``) as a tracked request
        task, stored as ``cycle.task``.  The cycle calls ``_task_done`` as
        its last step: no done callback (one more loop callback) per request."""
        task = cycle.task = self.loop.create_task(cycle.run(self.asgi))
        self._tasks.add(task)
        return task

    def cycle_lost(self, cycle: Any) -> None:
        """The client of a running request went away: cancel its task after
        ``asgi_disconnect_grace_period`` seconds if it has not ended."""
        task = cycle.task
        if task is None or task.done():
            return
        grace = self.cfg.asgi_disconnect_grace_period
        if grace <= 0:
            task.cancel()
        else:
            self.loop.call_later(grace, task.cancel)

    # -- serving -----------------------------------------------------------

    def run(self) -> None:
        """Serve until stopped, then clean up (cancel tasks, close the loop)."""
        try:
            self.loop.run_until_complete(self._serve())
        finally:
            self._cleanup()

    async def _serve(self) -> None:
        from gunicorn.asgi.http1 import ASGIProtocol

        loop = self.loop
        ssl_ctx = None
        if self.cfg.is_ssl:
            from gunicorn import tls

            ssl_ctx = tls.ssl_context(self.cfg)
        prefix_first = self.h1_settings.proxy_protocol != "off"
        for listener in self.sockets:
            if prefix_first and ssl_ctx is not None:
                # the PROXY header comes in clear before the TLS handshake
                from gunicorn.asgi.prefix_server import PrefixServer

                server: Any = PrefixServer(loop, listener.sock, lambda: ASGIProtocol(self), ssl_ctx,
                                           self.h1_settings, self.first_request_timeout, self.log,
                                           max_pending=self.worker_connections)
                server.start()
            else:
                server = await loop.create_server(lambda: ASGIProtocol(self), sock=listener.sock,
                                                  ssl=ssl_ctx, backlog=self.cfg.backlog)
            self.servers.append(server)
        wakeup = self._wakeup
        assert wakeup is not None
        interval = min(HEARTBEAT, self.timeout) if self.timeout > 0 else HEARTBEAT
        while self.alive:
            self.notify()
            if not self.alive:
                break
            try:
                await asyncio.wait_for(wakeup.wait(), interval)
            except asyncio.TimeoutError:
                pass
        await self._stop()

    async def _stop(self) -> None:
        """Stop accepting, drain within ``graceful_timeout`` (not on a quick
        shutdown), then run the lifespan shutdown."""
        for server in self.servers:
            server.close()
        if not self._quick_shutdown:
            for proto in list(self._conns):
                proto.shutdown()
            deadline = self.loop.time() + float(self.cfg.graceful_timeout)
            wakeup = self._wakeup
            assert wakeup is not None
            # a request task cancelled before it started never ran its
            # finally (and _task_done): done tasks do not count
            while (self._conns or any(not t.done() for t in self._tasks)) \
                    and not self._quick_shutdown:
                left = deadline - self.loop.time()
                if left <= 0:
                    break
                self.notify()
                wakeup.clear()
                try:
                    await asyncio.wait_for(wakeup.wait(), min(left, HEARTBEAT, 0.1))
                except asyncio.TimeoutError:
                    pass
        for proto in list(self._conns):
            proto.transport.abort()
        if self.lifespan is not None and not self._quick_shutdown:
            try:
                await self.lifespan.shutdown()
            except Exception as exc:
                self.log.error("ASGI lifespan shutdown failed: %s", exc)

    def _cleanup(self) -> None:
        loop = self.loop
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.close()
