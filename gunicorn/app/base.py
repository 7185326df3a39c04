"""Application base classes: configuration loading and the ``run()`` entry point.

:class:`BaseApplication` is what embedding code subclasses: fill ``self.cfg``
in :meth:`~BaseApplication.load_config`, return the WSGI/ASGI callable from
:meth:`~BaseApplication.load`, then call :meth:`~BaseApplication.run`.
:class:`Application` adds command-line parsing and configuration files.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import os
import sys
import traceback
from typing import Any, NoReturn

from gunicorn import debug, util
from gunicorn.arbiter import Arbiter
from gunicorn.config import Config, get_default_config_file
from gunicorn.errors import AppImportError, ConfigError

CONFIG_MODULE_NAME = "__config__"

# Config locations: "python:pkg.mod" names a module, "file:PATH" or a bare
# PATH a file.
_MODULE_PREFIX = "python:"
_FILE_PREFIX = "file:"
_PYTHON_SUFFIXES = frozenset({".py", ".pyc"})


def _die(message: str, *, with_traceback: bool = False) -> NoReturn:
    """Report a fatal start-up problem on stderr and leave with status 1."""
    sys.stderr.write(message + "\n")
    if with_traceback:
        traceback.print_exc()
    sys.stderr.flush()
    sys.exit(1)


class BaseApplication:
    """An application the arbiter can serve.

    Args:
        usage: argparse usage text (only used by argv-parsing subclasses).
        prog: program name shown in usage and ``--version``.

    Attributes:
        usage, prog: as given.
        cfg: the :class:`gunicorn.config.Config`, built by :meth:`do_load_config`.
        callable: the loaded application (cached by :meth:`wsgi`).
        logger: unused here; kept for subclasses that expect it.

    Construction loads the configuration; any exception while doing so
    prints ``Error: <message>`` on stderr and exits with status 1.
    """

    def __init__(self, usage: str | None = None, prog: str | None = None) -> None:
        self.usage = usage
        self.prog = prog
        self.cfg: Config = None  # type: ignore[assignment]
        self.callable: Any = None
        self.logger: Any = None
        self.do_load_config()

    def do_load_config(self) -> None:
        """Build a fresh Config, fill it with :meth:`load_config` and check it
        with ``Config.validate()``; exit 1 on error."""
        steps = (self.load_default_config, self.load_config,
                 lambda: self.cfg.validate())
        for step in steps:
            try:
                step()
            except Exception as exc:
                _die("\nError: %s" % exc)

    def load_default_config(self) -> None:
        """Set ``self.cfg`` to a Config holding only defaults."""
        self.cfg = Config(self.usage, prog=self.prog)

    def init(self, parser: argparse.ArgumentParser, opts: argparse.Namespace,
             args: list[str]) -> dict[str, Any] | None:
        """Return application-specific setting defaults (or None); subclasses implement it."""
        raise NotImplementedError

    def load(self) -> Any:
        """Import and return the application callable; subclasses implement it."""
        raise NotImplementedError

    def load_config(self) -> None:
        """Fill ``self.cfg`` (e.g. with ``self.cfg.set(name, value)``); subclasses implement it."""
        raise NotImplementedError

    def reload(self) -> None:
        """Reload the configuration (used on SIGHUP) and re-install the tracer if ``spew`` is on."""
        self.do_load_config()
        if self.cfg.spew:
            debug.spew()

    def wsgi(self) -> Any:
        """Return the application, loading it on first use."""
        if self.callable is None:
            self.callable = self.load()
        return self.callable

    def run(self) -> None:
        """Start the arbiter and serve until it stops.

        A RuntimeError or ConfigError while the arbiter is set up or runs
        (e.g. a worker class that cannot be loaded, or one this release does
        not have yet) prints ``Error: <message>`` on stderr, without a
        traceback, and exits with status 1.
        """
        try:
            Arbiter(self).run()
        except (RuntimeError, ConfigError) as exc:
            _die("\nError: %s\n" % exc)


class Application(BaseApplication):
    """A BaseApplication configured from argv, ``GUNICORN_CMD_ARGS`` and a config file.

    Precedence, strongest first: command line, ``GUNICORN_CMD_ARGS``, the
    configuration file, the dict returned by :meth:`init`, setting defaults.
    """

    def chdir(self) -> None:
        """Change to ``cfg.chdir`` and put it first on ``sys.path``."""
        target = self.cfg.chdir
        os.chdir(target)
        if target not in sys.path:
            sys.path.insert(0, target)

    def get_config_from_filename(self, filename: str) -> dict[str, Any]:
        """Execute a configuration file as module ``__config__`` and return its globals.

        A file without a ``.py`` extension still runs, after a warning. When
        the file does not exist RuntimeError is raised; when it fails to run,
        "Failed to read config file: PATH" and the traceback are printed and
        the process exits with status 1.
        """
        if not os.path.exists(filename):
            raise RuntimeError("%r doesn't exist" % filename)
        try:
            namespace = self._execute_config_file(filename)
        except Exception:
            _die("Failed to read config file: %s" % filename, with_traceback=True)
        return namespace

    @staticmethod
    def _execute_config_file(filename: str) -> dict[str, Any]:
        # importlib picks a loader from the suffix; any other name (e.g.
        # "gunicorn.conf") is still read as Python source, after a warning.
        source_loader = None
        if os.path.splitext(filename)[1] not in _PYTHON_SUFFIXES:
            util.warn("configuration file should have a valid Python extension.\n")
            source_loader = importlib.machinery.SourceFileLoader(CONFIG_MODULE_NAME, filename)
        spec = importlib.util.spec_from_file_location(
            CONFIG_MODULE_NAME, filename, loader=source_loader)
        assert spec is not None and spec.loader is not None
        config_module = importlib.util.module_from_spec(spec)
        sys.modules[CONFIG_MODULE_NAME] = config_module
        spec.loader.exec_module(config_module)
        return vars(config_module)

    def get_config_from_module_name(self, module_name: str) -> dict[str, Any]:
        """Import ``module_name`` and return its globals."""
        return vars(importlib.import_module(module_name))

    def load_config_from_module_name_or_filename(self, location: str) -> dict[str, Any]:
        """Apply a configuration from ``python:MODULE``, ``file:PATH`` or ``PATH``.

        Globals that name a setting are applied; others are ignored. For a bad
        value "Invalid value for NAME: VALUE" is printed and the validator's
        error propagates. Returns the globals.
        """
        if location.startswith(_MODULE_PREFIX):
            namespace = self.get_config_from_module_name(location.removeprefix(_MODULE_PREFIX))
        else:
            namespace = self.get_config_from_filename(location.removeprefix(_FILE_PREFIX))

        known = self.cfg.settings
        for name in [n for n in namespace if n in known]:
            value = namespace[name]
            try:
                self.cfg.set(name.lower(), value)
            except Exception:
                sys.stderr.write("Invalid value for %s: %s\n\n" % (name, value))
                sys.stderr.flush()
                raise
        return namespace

    def load_config_from_file(self, filename: str) -> dict[str, Any]:
        """Same as :meth:`load_config_from_module_name_or_filename`."""
        return self.load_config_from_module_name_or_filename(location=filename)

    def _set_many(self, pairs: Any) -> None:
        # Parsed-argument layers leave unset options as None; "args" holds
        # the positional APP_MODULE and is not a setting.
        for name, value in pairs:
            if value is not None and name != "args":
                self.cfg.set(name.lower(), value)

    def load_config(self) -> None:
        """Merge defaults, :meth:`init`, the config file, ``GUNICORN_CMD_ARGS`` and argv."""
        parser = self.cfg.parser()
        cli = parser.parse_args()

        app_defaults = self.init(parser, cli, cli.args)
        self.chdir()
        self._set_many((app_defaults or {}).items())

        from_env = parser.parse_args(self.cfg.get_cmd_args_from_env())

        # The command line names the file first, then the environment; only
        # then is ./gunicorn.conf.py looked for.
        config_location = cli.config or from_env.config or get_default_config_file()
        if config_location:
            self.load_config_from_file(config_location)

        self._set_many(vars(from_env).items())
        self._set_many(vars(cli).items())

        # The configuration may have named another directory.
        self.chdir()

    def _apply_pythonpath(self) -> None:
        extra = self.cfg.pythonpath
        if not extra:
            return
        for entry in (os.path.abspath(p.strip()) for p in extra.split(",")):
            if entry not in sys.path:
                sys.path.insert(0, entry)

    def _check_application(self) -> NoReturn:
        """Import the application once (``--check-config``/``--print-config``) and exit."""
        try:
            os.environ.update(self.cfg.env)
            self.load()
        except AppImportError as exc:
            # The message says it all (bad APP_MODULE or factory arguments).
            _die("\nError while loading the application:\n\n%s" % exc)
        except Exception:
            _die("\nError while loading the application:\n", with_traceback=True)
        sys.exit(0)

    def run(self) -> None:
        """Handle ``print_config``/``check_config``, ``spew``, ``daemon`` and
        ``pythonpath``, then serve with the arbiter."""
        self._apply_pythonpath()
        cfg = self.cfg

        if cfg.print_config:
            print(cfg, flush=True)
        if cfg.print_config or cfg.check_config:
            self._check_application()

        if cfg.spew:
            debug.spew()

        if cfg.daemon:
            # systemd's notify socket would be lost once we detach.
            if os.environ.get("NOTIFY_SOCKET"):
                sys.stderr.write("Warning: you shouldn't specify `daemon = True` when launching "
                                 "by systemd with `Type = notify`\n")
                sys.stderr.flush()
            util.daemonize(cfg.enable_stdio_inheritance)

        super().run()
