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
from typing import Any

from gunicorn import debug, util
from gunicorn.config import Config, get_default_config_file
from gunicorn.errors import AppImportError

CONFIG_MODULE_NAME = "__config__"


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
        self.cfg: Config = None  # type: ignore[assignment]
        self.callable: Any = None
        self.prog = prog
        self.logger: Any = None
        self.do_load_config()

    def do_load_config(self) -> None:
        """Build a fresh Config, fill it with :meth:`load_config` and check it
        with ``Config.validate()``; exit 1 on error."""
        try:
            self.load_default_config()
            self.load_config()
            self.cfg.validate()
        except Exception as e:
            print("\nError: %s" % e, file=sys.stderr)
            sys.stderr.flush()
            sys.exit(1)

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

        A RuntimeError (e.g. a worker class that cannot be loaded) prints
        ``Error: <message>`` on stderr and exits with status 1.
        """
        from gunicorn.arbiter import Arbiter

        try:
            Arbiter(self).run()
        except RuntimeError as e:
            print("\nError: %s\n" % e, file=sys.stderr)
            sys.stderr.flush()
            sys.exit(1)


class Application(BaseApplication):
    """A BaseApplication configured from argv, ``GUNICORN_CMD_ARGS`` and a config file.

    Precedence, strongest first: command line, ``GUNICORN_CMD_ARGS``, the
    configuration file, the dict returned by :meth:`init`, setting defaults.
    """

    def chdir(self) -> None:
        """Change to ``cfg.chdir`` and put it first on ``sys.path``."""
        os.chdir(self.cfg.chdir)
        if self.cfg.chdir not in sys.path:
            sys.path.insert(0, self.cfg.chdir)

    def get_config_from_filename(self, filename: str) -> dict[str, Any]:
        """Execute a configuration file as module ``__config__`` and return its globals.

        A file without a ``.py`` extension still runs, after a warning. When
        the file does not exist RuntimeError is raised; when it fails to run,
        "Failed to read config file: PATH" and the traceback are printed and
        the process exits with status 1.
        """
        if not os.path.exists(filename):
            raise RuntimeError("%r doesn't exist" % filename)
        ext = os.path.splitext(filename)[1]
        try:
            if ext in (".py", ".pyc"):
                spec = importlib.util.spec_from_file_location(CONFIG_MODULE_NAME, filename)
            else:
                util.warn("configuration file should have a valid Python extension.\n")
                loader = importlib.machinery.SourceFileLoader(CONFIG_MODULE_NAME, filename)
                spec = importlib.util.spec_from_file_location(
                    CONFIG_MODULE_NAME, filename, loader=loader)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[CONFIG_MODULE_NAME] = module
            spec.loader.exec_module(module)
        except Exception:
            print("Failed to read config file: %s" % filename, file=sys.stderr)
            traceback.print_exc()
            sys.stderr.flush()
            sys.exit(1)
        return vars(module)

    def get_config_from_module_name(self, module_name: str) -> dict[str, Any]:
        """Import ``module_name`` and return its globals."""
        return vars(importlib.import_module(module_name))

    def load_config_from_module_name_or_filename(self, location: str) -> dict[str, Any]:
        """Apply a configuration from ``python:MODULE``, ``file:PATH`` or ``PATH``.

        Globals that name a setting are applied; others are ignored. For a bad
        value "Invalid value for NAME: VALUE" is printed and the validator's
        error propagates. Returns the globals.
        """
        if location.startswith("python:"):
            namespace = self.get_config_from_module_name(location[len("python:"):])
        else:
            filename = location[len("file:"):] if location.startswith("file:") else location
            namespace = self.get_config_from_filename(filename)

        settings = self.cfg.settings
        for key, value in namespace.items():
            if key not in settings:
                continue
            try:
                self.cfg.set(key.lower(), value)
            except Exception:
                print("Invalid value for %s: %s\n" % (key, value), file=sys.stderr)
                sys.stderr.flush()
                raise
        return namespace

    def load_config_from_file(self, filename: str) -> dict[str, Any]:
        """Same as :meth:`load_config_from_module_name_or_filename`."""
        return self.load_config_from_module_name_or_filename(location=filename)

    def load_config(self) -> None:
        """Merge defaults, :meth:`init`, the config file, ``GUNICORN_CMD_ARGS`` and argv."""
        parser = self.cfg.parser()
        args = parser.parse_args()

        app_defaults = self.init(parser, args, args.args)
        self.chdir()
        if app_defaults:
            for key, value in app_defaults.items():
                self.cfg.set(key.lower(), value)

        env_args = parser.parse_args(self.cfg.get_cmd_args_from_env())

        if args.config:
            self.load_config_from_file(args.config)
        elif env_args.config:
            self.load_config_from_file(env_args.config)
        else:
            default_config = get_default_config_file()
            if default_config is not None:
                self.load_config_from_file(default_config)

        for layer in (env_args, args):
            for key, value in vars(layer).items():
                if value is None or key == "args":
                    continue
                self.cfg.set(key.lower(), value)

        # The configuration may have named another directory.
        self.chdir()

    def _apply_pythonpath(self) -> None:
        if not self.cfg.pythonpath:
            return
        for path in self.cfg.pythonpath.split(","):
            path = os.path.abspath(path.strip())
            if path not in sys.path:
                sys.path.insert(0, path)

    def run(self) -> None:
        """Handle ``print_config``/``check_config``, ``spew``, ``daemon`` and
        ``pythonpath``, then serve with the arbiter."""
        self._apply_pythonpath()

        if self.cfg.print_config:
            print(self.cfg)
            sys.stdout.flush()

        if self.cfg.print_config or self.cfg.check_config:
            try:
                os.environ.update(self.cfg.env)
                self.load()
            except AppImportError as e:
                # The message says it all (bad APP_MODULE or factory arguments).
                print("\nError while loading the application:\n\n%s" % e, file=sys.stderr)
                sys.stderr.flush()
                sys.exit(1)
            except Exception:
                print("\nError while loading the application:\n", file=sys.stderr)
                traceback.print_exc()
                sys.stderr.flush()
                sys.exit(1)
            sys.exit(0)

        if self.cfg.spew:
            debug.spew()

        if self.cfg.daemon:
            if os.environ.get("NOTIFY_SOCKET"):
                print("Warning: you shouldn't specify `daemon = True` when launching by systemd "
                      "with `Type = notify`", file=sys.stderr, flush=True)
            util.daemonize(self.cfg.enable_stdio_inheritance)

        super().run()
