"""The eventlet worker (``-k eventlet``), deprecated.

gunicorn 25.0 deprecates it (eventlet itself is in bugfix-only mode; gunicorn
26.0 removes the worker): importing this module emits a DeprecationWarning.
It works fully meanwhile: ``AsyncWorker`` (one green thread per connection,
our HTTP/1.1 protocol and WSGI layer) over eventlet's hub, with a
``GreenPool(worker_connections)`` per listener.

After fork the worker selects a fresh hub for the process and monkey-patches
the standard library (``eventlet.monkey_patch()``) before the application
is loaded; ``GreenSocket`` gains a ``sendfile`` (``os.sendfile`` waiting
on the hub), so ``wsgi.file_wrapper`` responses go out zero-copy.

Requires eventlet >= 0.40.3 (RuntimeError at import otherwise).
"""

from __future__ import annotations

import os
import socket
import time
import warnings
from typing import Any, ContextManager

import eventlet
from eventlet import greenpool, hubs
from eventlet.greenio import GreenSocket

from gunicorn.workers.base_async import AsyncWorker, green_sendfile
from gunicorn.workers.netio import Listener

__all__ = ["EventletWorker", "MIN_EVENTLET", "patch_sendfile"]

warnings.warn(
    "The eventlet worker is deprecated and will be removed in gunicorn 26.0; "
    "use the gevent or gthread worker instead.",
    DeprecationWarning, stacklevel=2)

#: oldest eventlet release this worker runs on
MIN_EVENTLET = (0, 40, 3)


def _release(version: str) -> tuple[int, ...]:
    """``"0.40.3"`` -> ``(0, 40, 3)``; stops at the first non-numeric part."""
    parts = []
    for piece in version.split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


if _release(eventlet.__version__) < MIN_EVENTLET:
    raise RuntimeError("eventlet worker requires eventlet %s or newer (installed: %s)"
                       % (".".join(map(str, MIN_EVENTLET)), eventlet.__version__))

def _wait_writable(fd: int, timeout: float | None) -> None:
    from eventlet.hubs import trampoline

    trampoline(fd, write=True, timeout=timeout, timeout_exc=TimeoutError("timed out"))


def patch_sendfile() -> None:
    """Give ``GreenSocket`` a ``sendfile`` method (eventlet has none)."""
    if getattr(GreenSocket, "sendfile", None) is None:
        GreenSocket.sendfile = green_sendfile(_wait_writable)  # type: ignore[attr-defined]


class EventletWorker(AsyncWorker):
    """``AsyncWorker`` over eventlet green threads (``-k eventlet``, deprecated)."""

    #: HTTP/2 through ``AsyncHTTP2Serving`` (green threads from green_spawn)
    serves_http2 = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        try:
            from eventlet.wsgi import ALREADY_HANDLED as eventlet_handled
        except ImportError:  # pragma: no cover - every supported eventlet has it
            return
        self.already_handled = (*self.already_handled, eventlet_handled)

    def patch(self) -> None:
        """This process's own hub, a cooperative standard library, sendfile."""
        hubs.use_hub()
        eventlet.monkey_patch()
        patch_sendfile()

    def init_process(self) -> None:
        """After fork: ``patch()``, then the usual set-up (the application loads patched)."""
        self.patch()
        super().init_process()

    def os_thread_starter(self) -> Any:
        """``_thread.start_new_thread`` as it was before ``monkey_patch``."""
        return eventlet.patcher.original("_thread").start_new_thread

    def timeout_ctx(self) -> ContextManager[Any]:
        """``eventlet.Timeout(idle_timeout)`` ending the block silently."""
        return eventlet.Timeout(self.idle_timeout, False)

    def green_spawn(self, func: Any, *args: Any) -> Any:
        """``eventlet.spawn``: a new green thread (``kill()`` ends it)."""
        return eventlet.spawn(func, *args)

    def green_park(self) -> Any:
        """Suspend this green thread on the hub until it is switched to."""
        return hubs.get_hub().switch()

    def green_call_soon(self, func: Any, *args: Any) -> None:
        """Have the hub call ``func(*args)`` on its next turn."""
        hubs.get_hub().schedule_call_global(0, func, *args)

    def wait_socket(self, fd: int, write: bool, timeout: float | None) -> bool:
        """Wait on the hub until *fd* is readable (writable); False after *timeout* s."""
        try:
            hubs.trampoline(fd, read=not write, write=write, timeout=timeout,
                            timeout_exc=TimeoutError)
        except TimeoutError:
            return False
        return True

    def handle_quit(self, sig: int, frame: Any) -> None:
        """SIGQUIT/SIGINT: exit from a green thread, out of the signal handler."""
        eventlet.spawn(super().handle_quit, sig, frame)

    def handle_usr1(self, sig: int, frame: Any) -> None:
        """SIGUSR1: reopen the log files from a green thread."""
        eventlet.spawn(super().handle_usr1, sig, frame)

    # -- serving -----------------------------------------------------------

    def _accept_loop(self, info: Listener, listener: Any, pool: greenpool.GreenPool) -> None:
        """Accept on ``listener`` and serve each connection in ``pool`` (which
        blocks the loop while ``worker_connections`` are being served) until
        ``eventlet.StopServe`` is thrown in."""
        try:
            while True:
                try:
                    client, addr = listener.accept()
                except OSError as e:
                    pause = self.handle_accept_error(e)
                    if pause:
                        eventlet.sleep(pause)
                    continue
                pool.spawn(self._serve, info, client, addr)
                client = addr = None  # hold no reference while waiting
        except eventlet.StopServe:
            pass
        finally:
            listener.close()

    def run(self) -> None:
        """Serve until ``alive`` turns False, then drain for up to ``graceful_timeout`` s."""
        acceptors, pools = [], []
        for info in self.prepare_listeners():
            listener = GreenSocket(socket.socket(fileno=os.dup(info.fd)))
            listener.setblocking(True)
            pool = greenpool.GreenPool(self.worker_connections)
            acceptors.append(eventlet.spawn(self._accept_loop, info, listener, pool))
            pools.append(pool)
        interval = min(0.5, self.timeout or 0.5)
        while self.alive:
            self.notify()
            eventlet.sleep(interval)
        self.notify()
        for acceptor in acceptors:
            acceptor.kill(eventlet.StopServe())
        self._drain(pools, interval)

    def _drain(self, pools: list[greenpool.GreenPool], interval: float) -> None:
        """Let in-flight requests finish within ``graceful_timeout`` seconds,
        then kill the green threads still serving."""
        deadline = time.monotonic() + float(self.cfg.graceful_timeout)
        while True:
            self.close_idle()
            if not any(pool.running() for pool in pools):
                return
            if time.monotonic() >= deadline:
                break
            self.notify()
            eventlet.sleep(min(0.05, interval))
        self.log.warning("Worker graceful timeout (pid:%s)", self.pid)
        for pool in pools:
            for green in list(pool.coroutines_running):
                green.kill()
