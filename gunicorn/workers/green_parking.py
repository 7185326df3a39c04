"""Greenlets that wait parked for more work: the HTTP/2 plumbing of the
greenlet workers (gevent, eventlet) that ``async_http2`` builds on.

Stream greenlets are reused: one that finished its stream waits, parked,
for the next stream of the same connection (up to ``IDLE_RUNNERS`` parked
in the worker; they end with their connection).  A new greenlet costs
about 12 microseconds more than waking a parked one, most of it CPython's
per-greenlet frame stack, mapped and unmapped with each greenlet.

* Every stream runs in a fresh ``contextvars.Context``, as in a new greenlet.
* Greenlet-local data (``threading.local`` once patched) outlives a stream,
  as thread-local data outlives a request on gthread.
* Kept to one connection, whatever an application leaves behind in a
  greenlet (a timeout it never cancelled) reaches no other client, as with
  the HTTP/1.1 requests of one keep-alive connection, which share their
  greenlet.

The writer greenlet of a connection is parked the same way between its
writes.

The worker class provides four green primitives: ``green_spawn(func,
*args)`` (returns a handle with ``kill()``), ``green_park()`` (suspend the
calling greenlet until the hub switches to it; returns the value given to
the switch), ``green_call_soon(func, *args)`` (the hub calls it on its next
turn, after the greenlets already scheduled) and ``wait_socket(fd, write,
timeout) -> bool``.
"""

from __future__ import annotations

from contextvars import Context
from typing import Any

__all__ = ["IDLE_RUNNERS", "GreenLink", "GreenPrimitives", "StreamRunners", "resume_parked"]

#: most stream greenlets parked in a worker (about 8 KiB each): a little
#: more than one connection's default SETTINGS_MAX_CONCURRENT_STREAMS (100)
IDLE_RUNNERS = 128


def resume_parked(glet: Any, value: Any) -> None:
    """Hub callback: switch to the parked greenlet *glet* with *value*,
    unless it ended meanwhile (a dead greenlet would pass the switch on to
    its parent, the hub itself)."""
    if not glet.dead:
        glet.switch(value)


class GreenLink:
    """What the worker keeps about one HTTP/2 connection: its socket and
    its writer greenlet, which writes what the streams queued (after the
    greenlets already scheduled, so that one write carries the output of
    all of them) and what the socket did not take at once.  The writer
    lives as long as the connection, parked while nothing is queued."""

    __slots__ = ("worker", "sock", "fd", "writer", "parked", "goaway", "runners")

    def __init__(self, worker: Any, sock: Any) -> None:
        self.worker = worker
        self.sock = sock
        self.fd = sock.fileno()
        self.writer: Any = None
        self.parked = False
        self.goaway = False
        #: this connection's parked stream greenlets, the most recent last
        #: (None once the connection ended)
        self.runners: list[Any] | None = []

    def want_write(self, h2c: Any) -> None:
        """Driver callback (lock held): output is queued."""
        if h2c.closed:
            return
        if self.writer is None:
            self.writer = self.worker.green_spawn(self._write_loop, h2c)
        elif self.parked:
            self.parked = False
            self.worker.green_call_soon(resume_parked, self.writer, True)

    def _write_loop(self, h2c: Any) -> None:
        from greenlet import getcurrent  # not at import: the arbiter never needs it

        worker = self.worker
        me = getcurrent()
        try:
            while not h2c.closed:
                if h2c.on_writable():
                    # the socket took part of it: wait until it takes more
                    worker.wait_socket(self.fd, True, None)
                    continue
                with h2c.lock:
                    # under the lock, so that want_write() sees the writer parked
                    if h2c.closed:
                        return
                    if h2c.pending_output:
                        continue
                    self.parked = True
                if not worker.green_park():
                    return
        finally:
            if self.writer is me:
                # ended early (a stray exception): want_write starts another
                self.writer = None
                self.parked = False

    def stop(self) -> None:
        """End the writer greenlet (before the socket is closed)."""
        writer, self.writer = self.writer, None
        if writer is None:
            return
        if self.parked:
            # let it return: killing a greenlet costs C++ unwinding (and
            # faults in some 400 KiB of libstdc++ on the first kill)
            self.parked = False
            self.worker.green_call_soon(resume_parked, writer, False)
        else:
            writer.kill()


class GreenPrimitives:
    """What a greenlet worker class provides (gevent, eventlet)."""

    def green_spawn(self, func: Any, *args: Any) -> Any:
        """Run ``func(*args)`` in a new greenlet; return it (has ``kill()``)."""
        raise NotImplementedError()

    def green_park(self) -> Any:
        """Suspend the calling greenlet until the hub switches to it; return
        the value given to that switch."""
        raise NotImplementedError()

    def green_call_soon(self, func: Any, *args: Any) -> None:
        """Have the hub call ``func(*args)`` on its next turn (after the
        greenlets already scheduled)."""
        raise NotImplementedError()

    def wait_socket(self, fd: int, write: bool, timeout: float | None) -> bool:
        """Suspend the calling greenlet until *fd* is readable (writable with
        *write*); False when *timeout* seconds (None: no limit) passed first."""
        raise NotImplementedError()


class StreamRunners(GreenPrimitives):
    """Mixin: run the streams of HTTP/2 connections in reused greenlets.

    Needs ``handle_http2_request(h2c, stream, req, client, server)`` and
    ``alive`` of the worker.
    """

    #: stream greenlets parked in the worker (in their ``GreenLink.runners``)
    _h2_parked = 0

    def handle_http2_request(self, h2c: Any, stream: Any, req: Any, client: Any,
                             server: Any) -> None:
        """Run the application for one stream; never raises ``Exception``."""
        raise NotImplementedError()

    def _h2_spawn(self, link: GreenLink, h2c: Any, jobs: Any, client: Any, server: Any) -> None:
        """Run each (stream, request) of *jobs* in a greenlet of its own: a
        parked one of the connection when there is one, else a new one."""
        runners = link.runners
        for stream, req in jobs:
            job = (h2c, stream, req, client, server)
            if runners:
                self._h2_parked -= 1
                self.green_call_soon(self._h2_hand_over, link, runners.pop(), job)
            else:
                self.green_spawn(self._h2_runner, link, job)

    def _h2_hand_over(self, link: GreenLink, runner: Any, job: tuple[Any, ...]) -> None:
        """Hub callback: give *job* to the parked *runner*, or to a new
        greenlet when *runner* ended meanwhile (a stray exception)."""
        if runner.dead:
            self.green_spawn(self._h2_runner, link, job)
        else:
            runner.switch(job)

    def _h2_runner(self, link: GreenLink, job: tuple[Any, ...]) -> None:
        """A stream greenlet of *link*'s connection: serve *job*, then park
        for the next stream of that connection while the connection lives,
        fewer than ``IDLE_RUNNERS`` are parked and the worker is alive."""
        from greenlet import getcurrent

        me = getcurrent()
        while True:
            # each stream sees the context a new greenlet would: an empty one
            Context().run(self.handle_http2_request, *job)
            runners = link.runners
            if runners is None or self._h2_parked >= IDLE_RUNNERS or not self.alive:  # type: ignore[attr-defined]
                return
            runners.append(me)
            self._h2_parked += 1
            try:
                # _h2_hand_over switches here with a job, _h2_release_runners
                # with None; any other value (a stray wake-up) parks again
                while True:
                    job = self.green_park()
                    if type(job) is tuple:
                        break
                    if job is None and link.runners is None:
                        return
            except BaseException:
                # a stray exception (a leaked timeout, a kill) ends this
                # greenlet; a job already on its way goes to a new one
                if me in runners:
                    runners.remove(me)
                    self._h2_parked -= 1
                raise

    def _h2_release_runners(self, link: GreenLink) -> None:
        """The connection ended: its parked stream greenlets return."""
        runners, link.runners = link.runners, None
        if runners:
            self._h2_parked -= len(runners)
            for runner in runners:
                self.green_call_soon(resume_parked, runner, None)
            runners.clear()  # a runner that fails instead finds itself gone
