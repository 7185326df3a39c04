"""Settings of the "Control Socket" section (added by gunicorn 25.1)."""

from __future__ import annotations

import os

from gunicorn.settings.base import define
from gunicorn.settings.validators import auto_int, validate_bool, validate_pos_int, validate_string

SECTION = "Control Socket"


def default_control_socket_path() -> str:
    """Return the per-user control socket path later gunicorn releases default to.

    ``$XDG_RUNTIME_DIR/gunicorn.ctl`` when that variable names an existing
    directory, otherwise ``~/.gunicorn/gunicorn.ctl``.  The ``control_socket``
    setting itself keeps the 25.1 default (``gunicorn.ctl``).
    """
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    if runtime_dir and os.path.isdir(runtime_dir):
        return os.path.join(runtime_dir, "gunicorn.ctl")
    return os.path.join(os.path.expanduser("~"), ".gunicorn", "gunicorn.ctl")

ControlSocket = define(
    "ControlSocket",
    name="control_socket",
    section=SECTION,
    cli=["--control-socket"],
    meta="PATH",
    validator=validate_string,
    default="gunicorn.ctl",
    desc="""
    Path of the unix socket the master listens on for management commands.

    A relative path is resolved against the working directory.
    """,
)

ControlSocketMode = define(
    "ControlSocketMode",
    name="control_socket_mode",
    section=SECTION,
    cli=["--control-socket-mode"],
    meta="INT",
    type=auto_int,
    validator=validate_pos_int,
    default=0o600,
    desc="""
    File permissions of the control socket (octal, e.g. ``0600``).
    """,
)

ControlSocketDisable = define(
    "ControlSocketDisable",
    name="control_socket_disable",
    section=SECTION,
    cli=["--no-control-socket"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Do not open the control socket.
    """,
)
