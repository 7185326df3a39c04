"""Settings of the "Config File" section: where configuration comes from."""

from __future__ import annotations

from gunicorn.settings.base import define
from gunicorn.settings.validators import validate_string

SECTION = "Config File"

ConfigFile = define(
    "ConfigFile",
    name="config",
    section=SECTION,
    cli=["-c", "--config"],
    meta="CONFIG",
    validator=validate_string,
    default="./gunicorn.conf.py",
    desc="""
    Configuration file to load: ``PATH``, ``file:PATH`` or ``python:MODULE``.

    The file is executed as Python and every module-level name that matches
    a setting is applied. Only the command line, ``GUNICORN_CMD_ARGS`` and the
    application's own defaults can name this file; when none does, a
    ``gunicorn.conf.py`` in the working directory is used if present.
    """,
)

WSGIApp = define(
    "WSGIApp",
    name="wsgi_app",
    section=SECTION,
    meta="STRING",
    validator=validate_string,
    default=None,
    desc="""
    Application to serve when none is given on the command line.

    Same ``MODULE:EXPRESSION`` form as the positional ``APP_MODULE``
    argument; handy in a configuration file.
    """,
)
