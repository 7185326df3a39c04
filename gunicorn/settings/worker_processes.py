"""Settings of the "Worker Processes" section: how many workers, of which kind."""

from __future__ import annotations

import os

from gunicorn.settings.base import define
from gunicorn.settings.validators import (
    validate_asgi_lifespan,
    validate_asgi_loop,
    validate_class,
    validate_pos_int,
)

SECTION = "Worker Processes"

Workers = define(
    "Workers",
    name="workers",
    section=SECTION,
    cli=["-w", "--workers"],
    meta="INT",
    type=int,
    validator=validate_pos_int,
    default=int(os.environ.get("WEB_CONCURRENCY", 1)),
    default_doc="1, or $WEB_CONCURRENCY when set",
    desc="""
    Number of worker processes serving requests.

    A common starting point is two to four per CPU core. The environment
    variable ``WEB_CONCURRENCY`` changes the default.
    """,
)

WorkerClass = define(
    "WorkerClass",
    name="worker_class",
    section=SECTION,
    cli=["-k", "--worker-class"],
    meta="STRING",
    validator=validate_class,
    default="sync",
    desc="""
    Kind of worker: a short name, a dotted class path, or ``egg:DIST#NAME``.

    The built-in workers are ``sync``, ``gthread``, ``gevent``,
    ``gevent_wsgi``/``gevent_pywsgi``, ``eventlet`` (deprecated), ``tornado``
    and ``asgi`` (ASGI 3.0 applications); ``sync`` with more than one thread
    runs as ``gthread``. A third-party worker class that is installed (for
    example ``uvicorn_worker.UvicornWorker``) is named by its dotted path.
    """,
)

WorkerThreads = define(
    "WorkerThreads",
    name="threads",
    section=SECTION,
    cli=["--threads"],
    meta="INT",
    type=int,
    validator=validate_pos_int,
    default=1,
    desc="""
    Size of each worker's thread pool for application calls.

    Used by the ``gthread`` worker; asking for more than one thread with the
    ``sync`` worker switches to ``gthread``.
    """,
)

WorkerConnections = define(
    "WorkerConnections",
    name="worker_connections",
    section=SECTION,
    cli=["--worker-connections"],
    meta="INT",
    type=int,
    validator=validate_pos_int,
    default=1000,
    desc="""
    Most client connections one worker holds open at the same time.

    Applies to the ``gthread``, ``gevent``, ``gevent_pywsgi`` and
    ``eventlet`` and ``asgi`` workers; ``sync`` holds one at a time.
    """,
)

MaxRequests = define(
    "MaxRequests",
    name="max_requests",
    section=SECTION,
    cli=["--max-requests"],
    meta="INT",
    type=int,
    validator=validate_pos_int,
    default=0,
    desc="""
    Requests a worker serves before it is replaced by a fresh one; 0 never replaces.

    A blunt but effective remedy for slow memory leaks in an application.
    """,
)

MaxRequestsJitter = define(
    "MaxRequestsJitter",
    name="max_requests_jitter",
    section=SECTION,
    cli=["--max-requests-jitter"],
    meta="INT",
    type=int,
    validator=validate_pos_int,
    default=0,
    desc="""
    Random extra requests (0 to this value) added to ``max_requests`` per worker.

    Spreads restarts out so the workers do not all restart together.
    """,
)

Timeout = define(
    "Timeout",
    name="timeout",
    section=SECTION,
    cli=["-t", "--timeout"],
    meta="INT",
    type=int,
    validator=validate_pos_int,
    default=30,
    desc="""
    Seconds a worker may stay silent before the master kills and replaces it; 0 disables.

    Synchronous workers are silent while they handle a request, so this also
    bounds request time for them. Asynchronous workers report in while they
    wait, so for them it only catches a blocked process.
    """,
)

GracefulTimeout = define(
    "GracefulTimeout",
    name="graceful_timeout",
    section=SECTION,
    cli=["--graceful-timeout"],
    meta="INT",
    type=int,
    validator=validate_pos_int,
    default=30,
    desc="""
    Seconds workers get to finish their requests after a graceful stop or restart.

    Workers still running when it expires are killed.
    """,
)

Keepalive = define(
    "Keepalive",
    name="keepalive",
    section=SECTION,
    cli=["--keep-alive"],
    meta="INT",
    type=int,
    validator=validate_pos_int,
    default=2,
    desc="""
    Seconds an idle keep-alive connection is held open for the next request.

    The ``sync`` worker always closes after one response and ignores this.
    0 turns keep-alive off. Behind a load balancer, use a value above the
    balancer's own idle timeout.
    """,
)

ASGILoop = define(
    "ASGILoop",
    name="asgi_loop",
    section=SECTION,
    cli=["--asgi-loop"],
    meta="STRING",
    validator=validate_asgi_loop,
    default="auto",
    desc="""
    Event loop for the ``asgi`` worker: ``auto``, ``asyncio`` or ``uvloop``.

    ``auto`` picks uvloop when it is installed, else asyncio; ``uvloop``
    falls back to asyncio with a warning when uvloop is missing.
    """,
)

ASGILifespan = define(
    "ASGILifespan",
    name="asgi_lifespan",
    section=SECTION,
    cli=["--asgi-lifespan"],
    meta="STRING",
    validator=validate_asgi_lifespan,
    default="auto",
    desc="""
    ASGI lifespan protocol of the ``asgi`` worker: ``auto``, ``on`` or ``off``.

    ``auto`` tries it and carries on when the application does not support
    it; ``on`` makes a startup failure fatal (the worker does not boot and
    the application's message is logged); ``off`` never sends lifespan events.
    """,
)

ASGIDisconnectGracePeriod = define(
    "ASGIDisconnectGracePeriod",
    name="asgi_disconnect_grace_period",
    section=SECTION,
    cli=["--asgi-disconnect-grace-period"],
    meta="INT",
    type=int,
    validator=validate_pos_int,
    default=3,
    desc="""
    Seconds an ASGI request task may run after its client disconnected before it is cancelled.

    Used by the ``asgi`` worker: gives the application time to notice
    ``http.disconnect`` and clean up.
    """,
)
