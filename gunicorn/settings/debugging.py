"""Settings of the "Debugging" section: reloading, tracing and config checks."""

from __future__ import annotations

from gunicorn.settings.base import define
from gunicorn.settings.validators import (
    validate_bool,
    validate_list_of_files_or_patterns,
    validate_reload_engine,
)

SECTION = "Debugging"

Reload = define(
    "Reload",
    name="reload",
    section=SECTION,
    cli=["--reload"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Restart workers when application code changes.

    Meant for development. Each worker watches the files of its loaded modules
    (plus ``reload_extra_files``) and exits when one changes, so the master
    starts a fresh one. Do not combine with ``preload_app``: a preloaded
    application lives in the master and is never re-imported.
    """,
)

ReloadEngine = define(
    "ReloadEngine",
    name="reload_engine",
    section=SECTION,
    cli=["--reload-engine"],
    meta="STRING",
    validator=validate_reload_engine,
    default="auto",
    desc="""
    How ``reload`` watches files: ``auto``, ``poll`` or ``inotify``.

    ``auto`` uses inotify when the ``inotify`` package is installed on Linux
    and falls back to polling modification times once a second.
    """,
)

ReloadExtraFiles = define(
    "ReloadExtraFiles",
    name="reload_extra_files",
    section=SECTION,
    cli=["--reload-extra-file"],
    action="append",
    meta="FILES",
    validator=validate_list_of_files_or_patterns,
    default=[],
    desc="""
    More files to watch with ``reload``, such as templates or settings files.

    Repeat the flag for several files. A plain path must exist; a glob
    pattern (``templates/**/*.html``) is expanded again on every check, so
    files created later are picked up too.
    """,
)

Spew = define(
    "Spew",
    name="spew",
    section=SECTION,
    cli=["--spew"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Print every line of Python the server executes.

    Extremely verbose and slow; only for hunting a hang or a crash.
    """,
)

ConfigCheck = define(
    "ConfigCheck",
    name="check_config",
    section=SECTION,
    cli=["--check-config"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Load the configuration and the application, then exit.

    Exit status 0 means both loaded; 1 means something failed, with the error
    printed.
    """,
)

PrintConfig = define(
    "PrintConfig",
    name="print_config",
    section=SECTION,
    cli=["--print-config"],
    action="store_true",
    validator=validate_bool,
    default=False,
    desc="""
    Print the resolved configuration, then exit as ``check_config`` does.
    """,
)
