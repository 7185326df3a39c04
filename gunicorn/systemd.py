"""systemd socket activation and readiness notification (sd_listen_fds(3), sd_notify(3))."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

SD_LISTEN_FDS_START = 3
# Environment variables of socket activation, read as (count, owner pid).
_LISTEN_KEYS = ("LISTEN_FDS", "LISTEN_PID")


def listen_fds(unset_environment: bool = True) -> int:
    """Return how many listening fds systemd passed us (they start at fd 3).

    The count comes from ``LISTEN_FDS`` and is honoured only when ``LISTEN_PID``
    equals our pid. With ``unset_environment`` both variables are removed so
    child processes do not pick them up. Returns 0 when there are none.
    """
    env = os.environ
    try:
        count, owner = (int(env.get(key, 0)) for key in _LISTEN_KEYS)
    except ValueError:
        return 0
    # The variables may have been inherited from a parent they were meant for.
    if owner != os.getpid():
        return 0
    if unset_environment:
        for key in _LISTEN_KEYS:
            env.pop(key, None)
    return max(count, 0)


def sd_notify(state: str, logger: Any, unset_environment: bool = False) -> None:
    """Send ``state`` (e.g. ``"READY=1"``) to the socket named by ``NOTIFY_SOCKET``.

    A leading ``@`` selects the Linux abstract namespace. Does nothing when
    the variable is unset; failures are logged at debug level on ``logger``
    and never raised.
    """
    addr = os.environ.get("NOTIFY_SOCKET")
    if addr is None:
        return
    if len(addr) <= 1 or addr[0] not in ("@", "/"):
        return
    if addr[0] == "@":
        addr = "\0" + addr[1:]
    sock = None
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.connect(addr)
        sock.sendall(state.encode("utf-8"))
    except Exception:
        log = logger if logger is not None else logging.getLogger("gunicorn.error")
        log.debug("Exception while invoking sd_notify()", exc_info=True)
    finally:
        if unset_environment:
            os.environ.pop("NOTIFY_SOCKET", None)
        if sock is not None:
            sock.close()
