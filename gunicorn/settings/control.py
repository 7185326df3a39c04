"""Settings of the "Control Socket" section (added by gunicorn 25.1)."""

from __future__ import annotations

from gunicorn.settings.base import define
from gunicorn.settings.validators import auto_int, validate_bool, validate_pos_int, validate_string

SECTION = "Control Socket"

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
