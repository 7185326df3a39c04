"""Settings of the "Dirty Arbiters" section: accepted, warned about, and ignored.

gunicorn 25 can run a separate pool of "dirty" worker processes for
long-lived, stateful tasks. This server does not implement it; the settings
and hooks are recognised so configuration files written for gunicorn 25
still load, and setting any of them to a non-default value prints a warning.
"""

from __future__ import annotations

from typing import Any

from gunicorn.settings.base import UnsupportedSetting, define
from gunicorn.settings.hooks import hook_default
from gunicorn.settings.validators import validate_callable, validate_list_string, validate_pos_int

SECTION = "Dirty Arbiters"


class _DirtySetting(UnsupportedSetting):
    unsupported_reason = "dirty arbiters are not supported by this server"


def on_dirty_starting(arbiter: Any) -> None:
    """Default ``on_dirty_starting`` hook: does nothing."""


def dirty_post_fork(arbiter: Any, worker: Any) -> None:
    """Default ``dirty_post_fork`` hook: does nothing."""


def dirty_worker_init(worker: Any) -> None:
    """Default ``dirty_worker_init`` hook: does nothing."""


def dirty_worker_exit(arbiter: Any, worker: Any) -> None:
    """Default ``dirty_worker_exit`` hook: does nothing."""


DirtyApps = define(
    "DirtyApps",
    name="dirty_apps",
    section=SECTION,
    cli=["--dirty-app"],
    action="append",
    meta="STRING",
    validator=validate_list_string,
    default=[],
    base=_DirtySetting,
    desc="""
    Dirty applications to load, as ``module:Class`` or ``module:Class:N`` (not supported here).
    """,
)


def _int_setting(clsname: str, name: str, flag: str, default: int, desc: str) -> type:
    return define(
        clsname,
        name=name,
        section=SECTION,
        cli=[flag],
        meta="INT",
        type=int,
        validator=validate_pos_int,
        default=default,
        base=_DirtySetting,
        desc=desc,
    )


DirtyWorkers = _int_setting("DirtyWorkers", "dirty_workers", "--dirty-workers", 0, """
    Number of dirty worker processes; 0 disables them (not supported here).
    """)
DirtyTimeout = _int_setting("DirtyTimeout", "dirty_timeout", "--dirty-timeout", 300, """
    Seconds a dirty task may run (not supported here).
    """)
DirtyThreads = _int_setting("DirtyThreads", "dirty_threads", "--dirty-threads", 1, """
    Threads per dirty worker (not supported here).
    """)
DirtyGracefulTimeout = _int_setting(
    "DirtyGracefulTimeout", "dirty_graceful_timeout", "--dirty-graceful-timeout", 30, """
    Seconds dirty workers get to stop gracefully (not supported here).
    """)


def _hook(clsname: str, func: Any, arity: int, desc: str) -> type:
    return define(
        clsname,
        name=func.__name__,
        section=SECTION,
        type=callable,
        validator=validate_callable(arity),
        base=_DirtySetting,
        desc=desc,
        **hook_default(clsname, func),
    )


OnDirtyStarting = _hook("OnDirtyStarting", on_dirty_starting, 1, """
    Hook ``on_dirty_starting(arbiter)`` for the dirty arbiter's start (not supported here).
    """)
DirtyPostFork = _hook("DirtyPostFork", dirty_post_fork, 2, """
    Hook ``dirty_post_fork(arbiter, worker)`` after a dirty worker forks (not supported here).
    """)
DirtyWorkerInit = _hook("DirtyWorkerInit", dirty_worker_init, 1, """
    Hook ``dirty_worker_init(worker)`` once a dirty worker loaded its apps (not supported here).
    """)
DirtyWorkerExit = _hook("DirtyWorkerExit", dirty_worker_exit, 2, """
    Hook ``dirty_worker_exit(arbiter, worker)`` when a dirty worker exits (not supported here).
    """)
