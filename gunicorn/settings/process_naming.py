"""Settings of the "Process Naming" section: titles shown by ps and top."""

from __future__ import annotations

from gunicorn.settings.base import define
from gunicorn.settings.validators import validate_string

SECTION = "Process Naming"

Procname = define(
    "Procname",
    name="proc_name",
    section=SECTION,
    cli=["-n", "--name"],
    meta="STRING",
    validator=validate_string,
    default=None,
    desc="""
    Base of the process titles, which tell several servers apart in ``ps``.

    Titles are only changed when the ``setproctitle`` package is installed.
    Unset means ``default_proc_name``.
    """,
)

DefaultProcName = define(
    "DefaultProcName",
    name="default_proc_name",
    section=SECTION,
    validator=validate_string,
    default="gunicorn",
    desc="""
    Process title base used when ``proc_name`` is unset; the application sets it to its module name.
    """,
)
