"""PasteDeploy support: load an app from an ini file, and the ``egg:gunicorn#main`` server runner.

PasteDeploy is optional; it is imported only when these functions run.
"""

from __future__ import annotations

import configparser
import os
from typing import Any

from gunicorn.app.wsgiapp import WSGIApplication
from gunicorn.config import get_default_config_file


def get_wsgi_app(config_uri: str, name: str | None = None,
                 defaults: dict[str, str] | None = None) -> Any:
    """Load a WSGI app with ``paste.deploy.loadapp``.

    Args:
        config_uri: ``PATH[#section]`` or a full ``scheme:...`` URI; a bare
            path gets the ``config:`` scheme.
        name: application section name (default ``main``).
        defaults: global_conf variables.

    Raises ImportError (with an install hint) when PasteDeploy is missing.
    """
    try:
        from paste.deploy import loadapp
    except ImportError as e:
        raise ImportError("PasteDeploy is required for --paste: pip install PasteDeploy") from e
    if ":" not in config_uri:
        config_uri = "config:%s" % config_uri
    return loadapp(config_uri, name=name, relative_to=os.getcwd(), global_conf=defaults)


def has_logging_config(config_file: str) -> bool:
    """True when the ini file has a ``[loggers]`` section."""
    parser = configparser.ConfigParser()
    parser.read([config_file])
    return parser.has_section("loggers")


def serve(app: Any, global_conf: dict[str, Any], **local_conf: Any) -> None:
    """PasteDeploy server runner for ``[server:main] use = egg:gunicorn#main``.

    ``host`` and ``port`` become ``bind``; ``config`` names a gunicorn
    configuration file (default ``./gunicorn.conf.py`` when present); every
    other key is set as a setting. Serves until the arbiter stops.
    """
    config_file = global_conf["__file__"]
    gunicorn_config_file = local_conf.pop("config", None)
    host = local_conf.pop("host", "")
    port = local_conf.pop("port", "")
    if host and port:
        local_conf["bind"] = "%s:%s" % (host, port)
    elif host:
        local_conf["bind"] = host.split(",")

    class PasterServerApplication(WSGIApplication):
        def load_config(self) -> None:
            self.cfg.set("default_proc_name", config_file)
            if has_logging_config(config_file):
                self.cfg.set("logconfig", config_file)
            location = gunicorn_config_file or get_default_config_file()
            if location:
                self.load_config_from_file(location)
            for key, value in local_conf.items():
                if value is not None:
                    self.cfg.set(key.lower(), value)

        def load(self) -> Any:
            return app

    PasterServerApplication().run()
