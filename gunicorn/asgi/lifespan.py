"""The ASGI lifespan protocol (ASGI lifespan spec 2.0, ``asgi`` 3.0).

The application runs once per worker with a ``lifespan`` scope.  The server
sends ``lifespan.startup`` before serving and ``lifespan.shutdown`` after the
last request; the application answers ``lifespan.startup.complete`` /
``.failed`` and ``lifespan.shutdown.complete`` / ``.failed`` (with a
``message``).  ``state`` is the dict the application fills at startup; every
request scope gets a shallow copy of it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .scope import ASGI_VERSION

__all__ = ["LifespanManager", "LifespanFailure", "LIFESPAN_TIMEOUT"]

#: seconds each phase (startup, shutdown) may take
LIFESPAN_TIMEOUT = 30.0


class LifespanFailure(Exception):
    """The lifespan phase failed.  ``str()`` is the application's message
    (``lifespan.startup.failed``), or says how the application ended;
    ``unsupported`` is True when the application raised or returned before
    answering (the spec's way to say it does not do lifespan)."""

    def __init__(self, message: str, unsupported: bool = False) -> None:
        super().__init__(message)
        self.unsupported = unsupported


class LifespanManager:
    """Runs the application's lifespan task.

    Args:
        app: the ASGI 3 application ``app(scope, receive, send)``.
        logger: the worker's logger (exceptions are logged at debug level).
        state: the dict shared with request scopes (a new one when None).

    ``await startup()`` and ``await shutdown()`` raise ``LifespanFailure``
    (``asyncio.TimeoutError`` after ``LIFESPAN_TIMEOUT`` seconds).
    """

    def __init__(self, app: Any, logger: Any, state: dict[str, Any] | None = None) -> None:
        self.app = app
        self.log = logger
        self.state: dict[str, Any] = {} if state is None else state
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._ended: BaseException | None = None
        self.supported = True

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": dict(ASGI_VERSION), "state": self.state}
        try:
            await self.app(scope, self._inbox.get, self._send)
        except BaseException as exc:  # noqa: BLE001 - reported through _answers
            self._ended = exc
            self.log.debug("ASGI lifespan task ended with %r", exc, exc_info=True)
        # a returned or failed task answers nothing more
        await self._answers.put({"type": "lifespan.ended"})

    async def _send(self, message: dict[str, Any]) -> None:
        await self._answers.put(message)

    async def _phase(self, name: str) -> None:
        await self._inbox.put({"type": "lifespan.%s" % name})
        answer = await asyncio.wait_for(self._answers.get(), LIFESPAN_TIMEOUT)
        kind = answer.get("type")
        if kind == "lifespan.%s.complete" % name:
            return
        if kind == "lifespan.%s.failed" % name:
            raise LifespanFailure(str(answer.get("message", "")))
        if kind == "lifespan.ended":
            raise LifespanFailure("the application ended during lifespan %s: %r"
                                  % (name, self._ended), unsupported=True)
        raise LifespanFailure("unexpected lifespan message %r" % (kind,))

    async def startup(self) -> None:
        """Start the application's lifespan task and wait for its startup answer."""
        self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            await self._phase("startup")
        except LifespanFailure:
            self.supported = False
            raise

    async def shutdown(self) -> None:
        """Send ``lifespan.shutdown`` and wait for the answer (no-op when the
        startup failed or the task already ended)."""
        task = self._task
        if task is None or task.done() or not self.supported:
            return
        try:
            await self._phase("shutdown")
        finally:
            if not task.done():
                task.cancel()
