"""The ``gunicorn`` command: serve the application named on the command line."""

from __future__ import annotations

import argparse
import os
from typing import Any

from gunicorn.app.base import Application
from gunicorn.app.importer import import_app
from gunicorn.errors import ConfigError


class WSGIApplication(Application):
    """Serve ``APP_MODULE`` (``module[:expression]``) or a PasteDeploy ini (``--paste``).

    Attributes:
        app_uri: the positional APP_MODULE, the paste ini path, or ``cfg.wsgi_app``.
    """

    app_uri: str | None = None

    def init(self, parser: argparse.ArgumentParser, opts: argparse.Namespace,
             args: list[str]) -> dict[str, Any] | None:
        """Record the application to serve and set ``default_proc_name`` from it.

        With ``--paste`` the ini file must exist (ConfigError otherwise), and its
        ``[loggers]`` section, if any, becomes the logging configuration.
        """
        if opts.paste:
            self.app_uri = self._adopt_paste_file(opts.paste)
        elif args:
            self.app_uri = args[0]
            self.cfg.set("default_proc_name", self.app_uri)
        else:
            self.app_uri = None
        return None

    def _adopt_paste_file(self, paste: str) -> str:
        """Check the ini behind ``--paste`` and take its name and logging; return its URI."""
        from gunicorn.app.pasterapp import has_logging_config

        # A PasteDeploy URI may carry "#section" after the file path.
        uri = os.path.abspath(paste)
        ini_path = uri.partition("#")[0]
        if not os.path.exists(ini_path):
            raise ConfigError("%r not found" % ini_path)
        # The ini names the process, and its [loggers] section (if any) is
        # the logging configuration.
        derived = {"default_proc_name": ini_path}
        if has_logging_config(ini_path):
            derived["logconfig"] = ini_path
        for name, value in derived.items():
            self.cfg.set(name, value)
        return uri

    def load_config(self) -> None:
        """Load the configuration; ConfigError "No application module specified." without an app."""
        super().load_config()
        if self.app_uri is not None:
            return
        # Fall back to the ``wsgi_app`` setting (e.g. from a config file).
        fallback = self.cfg.wsgi_app
        if fallback is None:
            raise ConfigError("No application module specified.")
        self.app_uri = fallback

    def load_wsgiapp(self) -> Any:
        """Import the application named by ``app_uri`` (see :func:`import_app`)."""
        return import_app(self.app_uri)  # type: ignore[arg-type]

    def load_pasteapp(self) -> Any:
        """Load the application from the PasteDeploy ini in ``app_uri``."""
        from gunicorn.app.pasterapp import get_wsgi_app

        return get_wsgi_app(self.app_uri, defaults=self.cfg.paste_global_conf)  # type: ignore[arg-type]

    def load(self) -> Any:
        """Return the application (paste or module form)."""
        loader = self.load_wsgiapp if self.cfg.paste is None else self.load_pasteapp
        return loader()


def run(prog: str | None = None) -> None:
    """Entry point of the ``gunicorn`` script: parse argv and serve.

    Usage: ``gunicorn [OPTIONS] [APP_MODULE]``.
    """
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]", prog=prog).run()


if __name__ == "__main__":
    run()
