"""Process-level helpers for worker processes: parent-death signal, thread
stack dumps, the request budget and the placeholder page of a broken app."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from random import randint
from typing import Any

__all__ = ["arm_exit_deadline", "request_budget", "set_parent_death_signal", "syntax_error_page", "thread_stacks"]

_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Any:
    """libc's prctl, or None.  Loaded when this module is imported (in the
    arbiter): a worker that switched to ``--user`` may no longer be able to
    read the Python installation to import ctypes."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None


_prctl = _load_prctl()


def set_parent_death_signal(sig: int) -> None:
    """Ask Linux to send ``sig`` to this process when its parent dies (prctl(2)).

    Best effort: a no-op elsewhere or when libc cannot be loaded.
    """
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


def thread_stacks(current_frame: Any = None) -> str:
    """Every Python thread's current stack, formatted for the error log.

    ``current_frame`` (the frame a signal interrupted) replaces the calling
    thread's own stack, so the dump does not show the signal handler.
    """
    names = {t.ident: t.name for t in threading.enumerate()}
    me = threading.get_ident()
    parts = []
    for ident, frame in sys._current_frames().items():
        if ident == me and current_frame is not None:
            frame = current_frame
        parts.append("Thread %s (%s):\n%s" % (
            names.get(ident, "?"), ident, "".join(traceback.format_stack(frame))))
    return "\n".join(parts)


def request_budget(cfg: Any) -> int:
    """Requests this worker serves before it restarts (max_requests plus jitter)."""
    limit = cfg.max_requests
    if limit <= 0:
        return sys.maxsize
    return limit + randint(0, max(cfg.max_requests_jitter, 0))


def syntax_error_page(exc: SyntaxError) -> str:
    """The traceback text shown by the placeholder app while a file is broken."""
    parts = traceback.format_tb(exc.__traceback__)
    parts.extend(traceback.format_exception_only(type(exc), exc))
    return "".join(parts)


def arm_exit_deadline(delay: float, in_signal_handler: bool) -> float | None:
    """Make sure this process ends ``delay`` seconds from now, whatever it is doing.

    SIGALRM's default action (terminate) needs no Python code to run, so it
    also ends a process stuck in C code. When the application owns SIGALRM a
    daemon thread calls ``os._exit(1)`` instead; that is not started from a
    signal handler (``in_signal_handler``), where starting a thread could
    deadlock on threading's internal locks.

    Returns the monotonic deadline, or None when nothing was armed (SIGALRM
    taken and called from a signal handler: try again outside it).
    """
    if signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None):
        signal.setitimer(signal.ITIMER_REAL, delay)
    elif in_signal_handler:
        return None
    else:
        timer = threading.Timer(delay, os._exit, (1,))
        timer.daemon = True
        timer.start()
    return time.monotonic() + delay
