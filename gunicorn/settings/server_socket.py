"""Settings of the "Server Socket" section: where the server listens."""

from __future__ import annotations

import os

from gunicorn.settings.base import define
from gunicorn.settings.validators import validate_list_string, validate_pos_int

SECTION = "Server Socket"

Bind = define(
    "Bind",
    name="bind",
    section=SECTION,
    cli=["-b", "--bind"],
    action="append",
    meta="ADDRESS",
    validator=validate_list_string,
    default=(["0.0.0.0:%s" % os.environ["PORT"]] if "PORT" in os.environ else ["127.0.0.1:8000"]),
    default_doc="['127.0.0.1:8000'], or ['0.0.0.0:$PORT'] when the PORT environment variable is set",
    desc="""
    Address to listen on; repeat the flag to listen on several.

    Forms: ``HOST``, ``HOST:PORT``, ``[IPV6]:PORT``, ``unix:PATH`` (or
    ``unix://PATH``), ``fd://N`` for an inherited descriptor and
    ``tcp://HOST:PORT``. When ``$PORT`` is set the default becomes
    ``0.0.0.0:$PORT``.
    """,
)

Backlog = define(
    "Backlog",
    name="backlog",
    section=SECTION,
    cli=["--backlog"],
    meta="INT",
    type=int,
    validator=validate_pos_int,
    default=2048,
    desc="""
    Length of the queue of connections waiting to be accepted (``listen()`` backlog).

    Connections beyond it are refused or dropped by the kernel. The kernel may
    cap the value (``net.core.somaxconn`` on Linux).
    """,
)
