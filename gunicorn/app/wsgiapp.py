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
        self.app_uri = None
        if opts.paste:
            from gunicorn.app.pasterapp import has_logging_config

            config_uri = os.path.abspath(opts.paste)
            config_file = config_uri.split("#")[0]
            if not os.path.exists(config_file):
                raise ConfigError("%r not found" % config_file)
            self.cfg.set("default_proc_name", config_file)
            self.app_uri = config_uri
            if has_logging_config(config_file):
                self.cfg.set("logconfig", config_file)
            return None

        if args:
            self.cfg.set("default_proc_name", args[0])
            self.app_uri = args[0]
        return None

    def load_config(self) -> None:
        """Load the configuration; ConfigError "No application module specified." without an app."""
        super().load_config()
        if self.app_uri is None:
            if self.cfg.wsgi_app is not None:
                self.app_uri = self.cfg.wsgi_app
            else:
                raise ConfigError("No application module specified.")

    def load_wsgiapp(self) -> Any:
        """Import the application named by ``app_uri`` (see :func:`import_app`)."""
        return import_app(self.app_uri)  # type: ignore[arg-type]

    def load_pasteapp(self) -> Any:
        """Load the application from the PasteDeploy ini in ``app_uri``."""
        from gunicorn.app.pasterapp import get_wsgi_app

        return get_wsgi_app(self.app_uri, defaults=self.cfg.paste_global_conf)  # type: ignore[arg-type]

    def load(self) -> Any:
        """Return the application (paste or module form)."""
        if self.cfg.paste is not None:
            return self.load_pasteapp()
        return self.load_wsgiapp()


def run(prog: str | None = None) -> None:
    """Entry point of the ``gunicorn`` script: parse argv and serve.

    Usage: ``gunicorn [OPTIONS] [APP_MODULE]``.
    """
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]", prog=prog).run()


if __name__ == "__main__":
    run()
