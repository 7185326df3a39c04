"""Settings of the "Server Hooks" section: callables the server runs at fixed points.

Each hook is validated for its number of positional parameters (see
``validate_callable``), so a hook written with the wrong signature is
reported when the configuration loads rather than when the hook first runs.
The defaults do nothing, except ``pre_request`` (debug log line) and
``ssl_context`` (returns the default context).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.settings.base import define
from gunicorn.settings.validators import validate_callable, validate_post_request

SECTION = "Server Hooks"


def hook_default(clsname: str, func: Callable[..., Any]) -> dict[str, Any]:
    """Keyword data for :func:`define` making ``func`` the default of hook class ``clsname``.

    The function is also published as ``gunicorn.config.<clsname>.<name>``
    (its qualified name), so ``str(cfg)`` shows ``<OnStarting.on_starting()>``
    and a Config holding default hooks can be pickled.
    """
    func.__qualname__ = "%s.%s" % (clsname, func.__name__)
    func.__module__ = "gunicorn.config"
    return {"default": func, func.__name__: staticmethod(func)}


def on_starting(server: Any) -> None:
    """Default ``on_starting`` hook: does nothing."""


def on_reload(server: Any) -> None:
    """Default ``on_reload`` hook: does nothing."""


def when_ready(server: Any) -> None:
    """Default ``when_ready`` hook: does nothing."""


def pre_fork(server: Any, worker: Any) -> None:
    """Default ``pre_fork`` hook: does nothing."""


def post_fork(server: Any, worker: Any) -> None:
    """Default ``post_fork`` hook: does nothing."""


def post_worker_init(worker: Any) -> None:
    """Default ``post_worker_init`` hook: does nothing."""


def worker_int(worker: Any) -> None:
    """Default ``worker_int`` hook: does nothing."""


def worker_abort(worker: Any) -> None:
    """Default ``worker_abort`` hook: does nothing."""


def pre_exec(server: Any) -> None:
    """Default ``pre_exec`` hook: does nothing."""


def pre_request(worker: Any, req: Any) -> None:
    """Default ``pre_request`` hook: log the method and path at debug level."""
    worker.log.debug("%s %s", req.method, req.path)


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    """Default ``post_request`` hook: does nothing."""


def child_exit(server: Any, worker: Any) -> None:
    """Default ``child_exit`` hook: does nothing."""


def worker_exit(server: Any, worker: Any) -> None:
    """Default ``worker_exit`` hook: does nothing."""


def nworkers_changed(server: Any, new_value: int, old_value: int | None) -> None:
    """Default ``nworkers_changed`` hook: does nothing."""


def on_exit(server: Any) -> None:
    """Default ``on_exit`` hook: does nothing."""


def ssl_context(config: Any, default_ssl_context_factory: Callable[[], Any]) -> Any:
    """Default ``ssl_context`` hook: return the context built from the SSL settings."""
    return default_ssl_context_factory()


# (class name, default function, arity, description)
_HOOKS: list[tuple[str, Callable[..., Any], int, str]] = [
    ("OnStarting", on_starting, 1, """
     Called in the master as it starts, before listeners are opened: ``on_starting(server)``.
     """),
    ("OnReload", on_reload, 1, """
     Called in the master on a reload (SIGHUP), before new workers start: ``on_reload(server)``.
     """),
    ("WhenReady", when_ready, 1, """
     Called in the master once the listeners are open: ``when_ready(server)``.
     """),
    ("Prefork", pre_fork, 2, """
     Called in the master just before a worker is forked: ``pre_fork(server, worker)``.
     """),
    ("Postfork", post_fork, 2, """
     Called in a new worker process right after the fork: ``post_fork(server, worker)``.
     """),
    ("PostWorkerInit", post_worker_init, 1, """
     Called in a worker once it has loaded the application: ``post_worker_init(worker)``.
     """),
    ("WorkerInt", worker_int, 1, """
     Called in a worker that received SIGINT or SIGQUIT, before it exits: ``worker_int(worker)``.
     """),
    ("WorkerAbort", worker_abort, 1, """
     Called in a worker that received SIGABRT, usually after a timeout: ``worker_abort(worker)``.
     """),
    ("PreExec", pre_exec, 1, """
     Called in the new master forked for a re-exec (SIGUSR2), just before exec: ``pre_exec(server)``.
     """),
    ("PreRequest", pre_request, 2, """
     Called in a worker before each request is handled: ``pre_request(worker, req)``.

     The default logs the method and path at debug level.
     """),
]

_HOOKS_TAIL: list[tuple[str, Callable[..., Any], int, str]] = [
    ("ChildExit", child_exit, 2, """
     Called in the master after a worker process has been reaped: ``child_exit(server, worker)``.
     """),
    ("WorkerExit", worker_exit, 2, """
     Called in a worker process as it exits: ``worker_exit(server, worker)``.
     """),
    ("NumWorkersChanged", nworkers_changed, 3, """
     Called in the master whenever the number of workers changes.

     ``nworkers_changed(server, new_value, old_value)``; ``old_value`` is None
     the first time.
     """),
    ("OnExit", on_exit, 1, """
     Called in the master just before the server exits: ``on_exit(server)``.
     """),
    ("NewSSLContext", ssl_context, 2, """
     Builds the TLS context: ``ssl_context(config, default_ssl_context_factory)``.

     Return an ``ssl.SSLContext``; call ``default_ssl_context_factory()`` to
     get one built from the SSL settings and adjust it.
     """),
]


def _define_hooks(table: list[tuple[str, Callable[..., Any], int, str]]) -> None:
    for clsname, func, arity, desc in table:
        globals()[clsname] = define(
            clsname,
            name=func.__name__,
            section=SECTION,
            type=callable,
            validator=validate_callable(arity),
            desc=desc,
            **hook_default(clsname, func),
        )


_define_hooks(_HOOKS)

PostRequest = define(
    "PostRequest",
    name="post_request",
    section=SECTION,
    type=callable,
    validator=validate_post_request,
    **hook_default("PostRequest", post_request),
    desc="""
    Called in a worker after each request: ``post_request(worker, req, environ, resp)``.

    Two-argument ``(worker, req)`` and three-argument ``(worker, req,
    environ)`` functions are accepted too.
    """,
)

_define_hooks(_HOOKS_TAIL)
